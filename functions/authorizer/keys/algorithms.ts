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
const HMAC_MIN_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };

const EC_CURVE_ALGORITHM: Readonly<Record<string, string>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

/** Every algorithm that can verify with this key, by its type (and size or curve). */
export function algorithmsForKey(key: KeyObject): string[] {
  if (key.type === 'secret') {
    const bytes = key.symmetricKeySize ?? 0;
    return HMAC_ALGORITHMS.filter((alg) => bytes >= (HMAC_MIN_BYTES[alg] ?? Infinity));
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
