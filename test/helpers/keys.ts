// Keys generated at test time and tokens minted with them: no pasted token blobs.
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import { randomBytes } from 'node:crypto';

export const ASYMMETRIC_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

export interface Signer {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey | Uint8Array;
  /** The public JWK (with kid and alg), or for HMAC the `oct` JWK. */
  readonly jwk: JWK;
  /** PEM of the public key; undefined for HMAC. */
  readonly pem: string | undefined;
}

export async function asymmetricSigner(alg: string, kid = `${alg.toLowerCase()}-${randomBytes(3).toString('hex')}`): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, pem: await exportSPKI(publicKey) };
}

export function hmacSigner(secret: Uint8Array = randomBytes(32), alg = 'HS256', kid = `hs-${randomBytes(3).toString('hex')}`): Signer {
  return { alg, kid, privateKey: secret, jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url'), kid, alg }, pem: undefined };
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export interface MintOptions {
  /** Seconds from now; default one hour. `null` leaves `exp` out. */
  readonly ttl?: number | null;
  /** Extra or overriding header fields; `kid: undefined` leaves it out. */
  readonly header?: Record<string, unknown>;
  readonly withKid?: boolean;
}

export async function mint(signer: Signer, claims: JWTPayload = {}, options: MintOptions = {}): Promise<string> {
  const { ttl = 3600, withKid = true } = options;
  const header = { alg: signer.alg, typ: 'JWT', ...(withKid && { kid: signer.kid }), ...options.header };
  const jwt = new SignJWT({ iat: nowSeconds(), ...(ttl !== null && { exp: nowSeconds() + ttl }), ...claims });
  return jwt.setProtectedHeader(header as { alg: string }).sign(signer.privateKey);
}

export const jwksOf = (...signers: Signer[]): { keys: JWK[] } => ({ keys: signers.map((s) => s.jwk) });

/**
 * Signs any header and payload bytes with an ES256 signer, bypassing jose's checks, to build tokens that a
 * careful library would refuse to produce (unknown `crit`, duplicate keys, odd encodings).
 */
export async function signRawES256(signer: Signer, header: string, payload: string): Promise<string> {
  if (signer.alg !== 'ES256') throw new Error('signRawES256 needs an ES256 signer');
  const input = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signer.privateKey as CryptoKey, Buffer.from(input));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}
