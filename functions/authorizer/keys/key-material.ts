import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { isPlainObject } from '../config/env-reader.ts';
import { algorithmsForKey, shortSecretProblem } from './algorithms.ts';

/** A key the authorizer trusts, with the algorithms it may verify (already narrowed by the allow-list). */
export interface TrustedKey {
  readonly key: KeyObject;
  readonly kid: string | undefined;
  readonly algorithms: ReadonlySet<string>;
  /** Where it came from, for logs: the setting that named it: `JWT_SECRET_ID:AWSCURRENT` (or `:AWSPREVIOUS`), `JWT_JWKS_URL`, `JWT_JWKS`, `JWT_PUBLIC_KEY`. */
  readonly origin: string;
}

/** Key material that cannot be used, with a message safe to log (it never quotes the material). */
export class KeyMaterialError extends Error {
  override name = 'KeyMaterialError';
}

function trusted(key: KeyObject, origin: string, allowed: ReadonlySet<string>, kid?: string, alg?: string): TrustedKey {
  const algorithms = algorithmsForKey(key).filter((a) => allowed.has(a) && (alg === undefined || a === alg));
  return { key, kid, algorithms: new Set(algorithms), origin };
}

function usable(keys: TrustedKey[], what: string): TrustedKey[] {
  const result = keys.filter((k) => k.algorithms.size > 0);
  if (result.length === 0) throw new KeyMaterialError(`${what} holds no key usable with the allowed algorithms`);
  return result;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** One or more PEM public keys or certificates. Private keys are refused: only public material belongs here. */
export function keysFromPem(pem: string, origin: string, allowed: ReadonlySet<string>): TrustedKey[] {
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) throw new KeyMaterialError('no PEM block found (expected -----BEGIN PUBLIC KEY-----)');
  const keys = blocks.map(([block, label]) => {
    if (label?.includes('PRIVATE')) throw new KeyMaterialError(`holds a private key (${label}); give the public key`);
    try {
      return trusted(createPublicKey(block), origin, allowed);
    } catch {
      throw new KeyMaterialError(`the ${label} block does not parse as a public key`);
    }
  });
  return usable(keys, 'the PEM');
}

/** An HMAC secret. Too short for every allowed HS algorithm (RFC 7518 §3.2) means unusable. */
export function hmacKey(secret: Uint8Array, origin: string, allowed: ReadonlySet<string>): TrustedKey[] {
  if (secret.byteLength === 0) throw new KeyMaterialError('the HMAC secret is empty');
  const short = shortSecretProblem(secret.byteLength, allowed);
  if (short !== undefined) throw new KeyMaterialError(short);
  return [trusted(createSecretKey(secret), origin, allowed)];
}

export interface JwksOptions {
  /** Symmetric (`oct`) keys are secrets: accepted only from a secret store, never from public material. */
  readonly allowSymmetric: boolean;
  readonly allowed: ReadonlySet<string>;
}

export interface ParsedJwks {
  readonly keys: TrustedKey[];
  /** Why each unused key was left out, by position, for logs. */
  readonly skipped: SkippedKey[];
}

export interface SkippedKey {
  readonly index: number;
  readonly reason: string;
  /** The key is secret material (a symmetric or private key) offered where only public material belongs. */
  readonly secretMaterial: boolean;
}

/** A key set with more keys than this is refused whole. */
export const MAX_JWKS_KEYS = 100;

/** A JWK Set (RFC 7517 §5). Keys that cannot verify signatures here are skipped, with the reason. */
export function keysFromJwks(jwks: unknown, origin: string, options: JwksOptions): ParsedJwks {
  if (!isPlainObject(jwks) || !Array.isArray(jwks.keys)) throw new KeyMaterialError('not a JWK Set ({"keys": [...]})');
  // Every key of a set is imported: a set of thousands would cost a second per (unsigned) token with a new kid.
  if (jwks.keys.length > MAX_JWKS_KEYS) throw new KeyMaterialError(`the JWK Set holds ${jwks.keys.length} keys, more than ${MAX_JWKS_KEYS}`);
  const keys: TrustedKey[] = [];
  const skipped: SkippedKey[] = [];
  const skip = (index: number, reason: string, secretMaterial = false) => skipped.push({ index, reason, secretMaterial });
  jwks.keys.forEach((jwk: unknown, index) => {
    const why = jwkProblem(jwk, options);
    if (why !== undefined) {
      skip(index, why.reason, why.secretMaterial);
      return;
    }
    const { kid, alg } = jwk as { kid?: string; alg?: string };
    try {
      const object = (jwk as { kty: string }).kty === 'oct'
        ? createSecretKey(Buffer.from(String((jwk as { k?: unknown }).k ?? ''), 'base64url'))
        : createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
      const key = trusted(object, origin, options.allowed, kid, alg);
      const short = object.type === 'secret' ? shortSecretProblem(object.symmetricKeySize ?? 0, options.allowed) : undefined;
      if (short !== undefined) skip(index, short);
      else if (key.algorithms.size === 0) skip(index, 'no allowed algorithm fits it');
      else keys.push(key);
    } catch {
      skip(index, 'does not parse');
    }
  });
  return { keys, skipped };
}

function jwkProblem(jwk: unknown, options: JwksOptions): { reason: string; secretMaterial: boolean } | undefined {
  const plain = (reason: string) => ({ reason, secretMaterial: false });
  if (!isPlainObject(jwk)) return plain('not an object');
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') return plain('kid is not a string');
  if (jwk.alg !== undefined && typeof jwk.alg !== 'string') return plain('alg is not a string');
  if (jwk.use !== undefined && jwk.use !== 'sig') return plain('use is not "sig"');
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return plain('key_ops lacks "verify"');
  if (jwk.kty === 'oct' && !options.allowSymmetric) {
    return { reason: 'symmetric (oct) key in public key material', secretMaterial: true };
  }
  const secret = PRIVATE_MEMBERS.find((member) => Object.hasOwn(jwk, member));
  if (jwk.kty !== 'oct' && secret !== undefined) return { reason: `holds private key material ("${secret}")`, secretMaterial: true };
  return undefined;
}

// RFC 7518 §6.3.2 and §6.2.2: an RSA private key may be given by its primes alone, an EC or OKP one by `d`.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'];
