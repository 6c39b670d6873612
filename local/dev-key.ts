// The development key: an ES256 pair kept in .dev/ (git-ignored) so tokens minted by one command verify in the next.
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const KEY_FILE = fileURLToPath(new URL('../.dev/dev-key.json', import.meta.url));
const KID = 'dev-key-1';
const ALG = 'ES256';

export interface DevKey {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/** Loads the development key, creating it on first use. */
export async function loadDevKey(): Promise<DevKey> {
  if (existsSync(KEY_FILE)) return JSON.parse(readFileSync(KEY_FILE, 'utf8')) as DevKey;
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: KID, alg: ALG, use: 'sig' };
  const key: DevKey = { privateJwk: { ...(await exportJWK(privateKey)), kid: KID, alg: ALG }, publicJwk };
  mkdirSync(new URL('.', `file://${KEY_FILE}`), { recursive: true });
  writeFileSync(KEY_FILE, JSON.stringify(key, null, 2), { mode: 0o600 });
  return key;
}

/** The JWKS that trusts the development key, as JWT_JWKS takes it. */
export function devJwks(key: DevKey): string {
  return JSON.stringify({ keys: [key.publicJwk] });
}

/** Signs a token with the development key; `ttlSeconds` sets `exp` from now unless the claims give one. */
export async function mintDevToken(key: DevKey, claims: JWTPayload, ttlSeconds: number): Promise<string> {
  return signToken(await importJWK(key.privateJwk, ALG), { alg: ALG, kid: KID }, claims, ttlSeconds);
}

/** Signs claims, adding `iat` (now) and `exp` (now + ttl) where the claims do not give them. */
export function signToken(key: Parameters<SignJWT['sign']>[0], header: { alg: string; kid?: string }, claims: JWTPayload, ttlSeconds: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iat: now, exp: now + ttlSeconds, ...claims }).setProtectedHeader({ ...header, typ: 'JWT' }).sign(key);
}
