import { describe, expect, it } from 'vitest';
import { createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS, algorithmsForKey } from '../../../../functions/authorizer/keys/algorithms.ts';
import { hmacKey, keysFromJwks, keysFromPem } from '../../../../functions/authorizer/keys/key-material.ts';

const ALL = new Set(SUPPORTED_ALGORITHMS);
const pemOf = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ed = generateKeyPairSync('ed25519');

describe('algorithmsForKey', () => {
  it.each([
    ['RSA', rsa.publicKey, ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']],
    ['RSA under 2048 bits', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, []],
    ['RSA-PSS', generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey, ['PS256', 'PS384', 'PS512']],
    ['P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey, ['ES256']],
    ['P-384', ec384.publicKey, ['ES384']],
    ['P-521', generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey, ['ES512']],
    ['secp256k1 (not a JWS curve here)', generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey, []],
    ['Ed25519', ed.publicKey, ['EdDSA', 'Ed25519']],
    ['X25519 (not a signing key)', generateKeyPairSync('x25519').publicKey, []],
    // RFC 7518 §3.2: an HMAC key at least as long as the hash.
    ['a 31-byte secret', createSecretKey(Buffer.alloc(31)), []],
    ['a 32-byte secret', createSecretKey(Buffer.alloc(32)), ['HS256']],
    ['a 48-byte secret', createSecretKey(Buffer.alloc(48)), ['HS256', 'HS384']],
    ['a 64-byte secret', createSecretKey(Buffer.alloc(64)), ['HS256', 'HS384', 'HS512']],
  ])('%s', (_name, key, algorithms) => {
    expect(algorithmsForKey(key)).toEqual(algorithms);
  });

  it('allows every algorithm the issue names by default, and never none', () => {
    expect(DEFAULT_ALGORITHMS.has('none')).toBe(false);
    expect(DEFAULT_ALGORITHMS.size).toBe(13);
  });
});

describe('keysFromPem', () => {
  it('reads several public keys and a certificate-free PEM bundle', () => {
    const keys = keysFromPem(`${pemOf(rsa.publicKey)}\n${pemOf(ec384.publicKey)}`, 'test', ALL);
    expect(keys.map((k) => [...k.algorithms])).toEqual([['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'], ['ES384']]);
  });

  it('narrows each key to the allow-list', () => {
    expect([...keysFromPem(pemOf(rsa.publicKey), 'test', new Set(['PS256', 'ES256']))[0]!.algorithms]).toEqual(['PS256']);
  });

  it('refuses a private key', () => {
    expect(() => keysFromPem(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 't', ALL)).toThrow(/private key/);
  });
});

describe('hmacKey', () => {
  it('refuses an empty or too-short secret', () => {
    expect(() => hmacKey(new Uint8Array(0), 't', ALL)).toThrow(/empty/);
    expect(() => hmacKey(Buffer.from('emqxsecret'), 't', ALL)).toThrow(/10 bytes/);
  });
});

describe('keysFromJwks', () => {
  const jwk = (key: KeyObject, extra: Record<string, unknown> = {}) => ({ ...key.export({ format: 'jwk' }), ...extra });

  it('keeps usable keys with their kid and alg, and says why it skipped the others', () => {
    const { keys, skipped } = keysFromJwks({
      keys: [
        jwk(rsa.publicKey, { kid: 'r1', alg: 'RS256' }),
        jwk(ed.publicKey, { kid: 'e1' }),
        jwk(rsa.publicKey, { kid: 'enc', use: 'enc' }),
        { kty: 'oct', k: Buffer.alloc(32).toString('base64url'), kid: 'h1' },
        jwk(ec384.privateKey, { kid: 'priv' }),
        { kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'broken' },
        'not a key',
        jwk(rsa.publicKey, { kid: 7 }),
        jwk(rsa.publicKey, { key_ops: ['encrypt'] }),
      ],
    }, 'JWT_JWKS_URL', { allowSymmetric: false, allowed: ALL });
    expect(keys.map((k) => [k.kid, [...k.algorithms]])).toEqual([['r1', ['RS256']], ['e1', ['EdDSA', 'Ed25519']]]);
    expect(skipped).toEqual([
      { index: 2, reason: 'use is not "sig"', secretMaterial: false },
      { index: 3, reason: 'symmetric (oct) key in public key material', secretMaterial: true },
      { index: 4, reason: 'holds private key material ("d")', secretMaterial: true },
      { index: 5, reason: 'no allowed algorithm fits it', secretMaterial: false },
      { index: 6, reason: 'not an object', secretMaterial: false },
      { index: 7, reason: 'kid is not a string', secretMaterial: false },
      { index: 8, reason: 'key_ops lacks "verify"', secretMaterial: false },
    ]);
  });

  it('accepts symmetric keys from a secret store, each by kid', () => {
    const { keys } = keysFromJwks({
      keys: [{ kty: 'oct', k: Buffer.alloc(32, 1).toString('base64url'), kid: 'a' }, { kty: 'oct', k: Buffer.alloc(64, 2).toString('base64url'), kid: 'b', alg: 'HS512' }],
    }, 'JWT_SECRET_ID:AWSCURRENT', { allowSymmetric: true, allowed: ALL });
    expect(keys.map((k) => [k.kid, [...k.algorithms]])).toEqual([['a', ['HS256']], ['b', ['HS512']]]);
  });

  it.each([null, [], {}, { keys: {} }, 'x'])('refuses %j as a key set', (value) => {
    expect(() => keysFromJwks(value, 't', { allowSymmetric: false, allowed: ALL })).toThrow(/not a JWK Set/);
  });
});
