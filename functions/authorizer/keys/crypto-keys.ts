import type { KeyObject } from 'node:crypto';
import { importJWK, type CryptoKey, type JWK } from 'jose';

// jose re-imports a key given as a KeyObject or bytes on every verification (an HMAC secret each time,
// through WebCrypto): each trusted key is imported once per algorithm instead, and kept with the key.
const imported = new WeakMap<KeyObject, Map<string, Promise<CryptoKey>>>();

/** The key as a WebCrypto CryptoKey for this JWS algorithm, imported on first use. */
export function cryptoKeyFor(key: KeyObject, alg: string): Promise<CryptoKey> {
  let byAlg = imported.get(key);
  if (byAlg === undefined) {
    byAlg = new Map();
    imported.set(key, byAlg);
  }
  let pending = byAlg.get(alg);
  if (pending === undefined) {
    pending = key.type === 'secret'
      ? crypto.subtle.importKey('raw', key.export(), { name: 'HMAC', hash: `SHA-${alg.slice(2)}` }, false, ['verify'])
      : (importJWK(key.export({ format: 'jwk' }) as JWK, alg) as Promise<CryptoKey>);
    // A failed import must not stay cached (it is retried, and fails again, for that token only).
    pending.catch(() => byAlg.delete(alg));
    byAlg.set(alg, pending);
  }
  return pending;
}
