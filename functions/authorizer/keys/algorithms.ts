import type { KeyObject } from 'node:crypto';

/** JWS algorithms verified with a shared secret. */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

/** JWS algorithms verified with a public key. `Ed25519` is the fully-specified name of EdDSA over Ed25519. */
export const PUBLIC_KEY_ALGORITHMS = [
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
] as const;

export const SUPPORTED_ALGORITHMS: readonly string[] = [...HMAC_ALGORITHMS, ...PUBLIC_KEY_ALGORITHMS];

/** The default allow-list: every supported algorithm, each usable only with its own key type. */
export const DEFAULT_ALGORITHMS: ReadonlySet<string> = new Set([
  ...HMAC_ALGORITHMS,
  ...PUBLIC_KEY_ALGORITHMS.filter((alg) => alg !== 'Ed25519'),
]);

// RFC 7518 §3.2: an HMAC key MUST be at least as long as the hash output.
const HMAC_MIN_BYTES: ReadonlyMap<string, number> = new Map([['HS256', 32], ['HS384', 48], ['HS512', 64]]);

/** The shortest secret an HS algorithm may verify with; undefined for other algorithms. */
export function hmacMinBytes(alg: string): number | undefined {
  return HMAC_MIN_BYTES.get(alg);
}

/**
 * Why an HMAC secret verifies none of the allowed algorithms, or undefined if it verifies some.
 * E.g. "the HMAC secret is 20 bytes; HS256 needs at least 32 (RFC 7518 §3.2)".
 */
export function shortSecretProblem(bytes: number, allowed: ReadonlySet<string>): string | undefined {
  const hs = HMAC_ALGORITHMS.filter((alg) => allowed.has(alg));
  if (hs.length === 0) return 'no allowed algorithm (JWT_ALGORITHMS) verifies with an HMAC secret';
  if (hs.some((alg) => bytes >= HMAC_MIN_BYTES.get(alg)!)) return undefined;
  return `the HMAC secret is ${bytes} bytes; ${hs[0]} needs at least ${HMAC_MIN_BYTES.get(hs[0]!)} (RFC 7518 §3.2)`;
}

const EC_CURVE_ALGORITHM: Readonly<Record<string, string>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

/** Every algorithm that can verify with this key, by its type (and size or curve). */
export function algorithmsForKey(key: KeyObject): string[] {
  if (key.type === 'secret') {
    const bytes = key.symmetricKeySize ?? 0;
    return HMAC_ALGORITHMS.filter((alg) => bytes >= HMAC_MIN_BYTES.get(alg)!);
  }
  // jose refuses RSA keys under 2048 bits (RFC 7518 §3.3 requires at least that), so they verify nothing.
  if (key.asymmetricKeyType?.startsWith('rsa') && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return [];
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const alg = EC_CURVE_ALGORITHM[key.asymmetricKeyDetails?.namedCurve ?? ''];
      return alg === undefined ? [] : [alg];
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      return [];
  }
}
