import { constants, createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

/**
 * How each JWS algorithm (RFC 7518 §3) is checked with node:crypto: synchronously, with the key imported
 * once as a KeyObject. jose's path goes through WebCrypto, an asynchronous hop to the thread pool for
 * every token, which was most of a verification's time here.
 */
type Check = (input: Buffer, signature: Buffer, key: KeyObject) => boolean;

const hmac = (hash: string, bytes: number): Check => (input, signature, key) =>
  // The length is not secret (it is the algorithm's); the comparison of the bytes is constant-time.
  signature.length === bytes && timingSafeEqual(createHmac(hash, key).update(input).digest(), signature);

const rsa = (hash: string): Check => (input, signature, key) => verify(hash, input, key, signature);

// RFC 7518 §3.5: the salt is as long as the hash.
const pss = (hash: string): Check => (input, signature, key) =>
  verify(hash, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);

// RFC 7518 §3.4: R and S, each as long as the curve's order, concatenated (IEEE P1363), not DER.
const ecdsa = (hash: string, bytes: number): Check => (input, signature, key) =>
  signature.length === bytes && verify(hash, input, { key, dsaEncoding: 'ieee-p1363' }, signature);

// RFC 8037 §3.1: Ed25519 signs the message itself, with no separate digest.
const eddsa: Check = (input, signature, key) => signature.length === 64 && verify(null, input, key, signature);

const CHECKS: ReadonlyMap<string, Check> = new Map([
  ['HS256', hmac('sha256', 32)], ['HS384', hmac('sha384', 48)], ['HS512', hmac('sha512', 64)],
  ['RS256', rsa('sha256')], ['RS384', rsa('sha384')], ['RS512', rsa('sha512')],
  ['PS256', pss('sha256')], ['PS384', pss('sha384')], ['PS512', pss('sha512')],
  ['ES256', ecdsa('sha256', 64)], ['ES384', ecdsa('sha384', 96)], ['ES512', ecdsa('sha512', 132)],
  ['EdDSA', eddsa], ['Ed25519', eddsa],
]);

/**
 * Whether `signature` is `alg`'s signature of `input` under `key`. The caller has already matched the
 * algorithm to the key's type (keys/algorithms.ts); an unknown algorithm verifies nothing.
 */
export function verifySignature(alg: string, key: KeyObject, input: Buffer, signature: Buffer): boolean {
  const check = CHECKS.get(alg);
  if (check === undefined) return false;
  try {
    return check(input, signature, key);
  } catch {
    return false; // e.g. a signature OpenSSL cannot parse for this key
  }
}
