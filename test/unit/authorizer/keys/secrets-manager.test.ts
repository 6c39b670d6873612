import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { detectFormat, secretKeys } from '../../../../functions/authorizer/keys/secrets-manager.ts';
import { DEFAULT_ALGORITHMS } from '../../../../functions/authorizer/keys/algorithms.ts';

const { publicKey } = generateKeyPairSync('ed25519');
const PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const JWK = { ...publicKey.export({ format: 'jwk' }), kid: 'e1' };
const text = (value: string) => ({ text: value, bytes: undefined });

describe('detectFormat', () => {
  it.each([
    [JSON.stringify({ keys: [JWK] }), 'jwks'],
    [JSON.stringify(JWK), 'jwks'],
    [`\n  ${PEM}`, 'pem'],
    ['{not json but a secret', 'hmac'],
    ['{"password":"x"}', 'hmac'],
    ['a-plain-secret', 'hmac'],
  ])('reads %j as %s', (value, format) => {
    expect(detectFormat(value)).toBe(format);
  });
});

describe('secretKeys', () => {
  it('reads a single JWK as a one-key set', () => {
    expect(secretKeys(text(JSON.stringify(JWK)), 'jwks', 'o', DEFAULT_ALGORITHMS).map((k) => k.kid)).toEqual(['e1']);
  });

  it.each([
    ['hmac-base64 that is not base64', text('not base64!'), 'hmac-base64', /not base64/],
    ['jwks that is not JSON', text('nope'), 'jwks', /not JSON/],
    ['a JWK Set without usable keys', text('{"keys":[]}'), 'jwks', /no usable key/],
    ['pem that is not PEM', text('nope'), 'pem', /no PEM block/],
    ['a binary secret read as PEM', { text: undefined, bytes: new Uint8Array(32) }, 'pem', /binary secret cannot be pem/],
    ['an empty secret', { text: undefined, bytes: undefined }, 'auto', /empty/],
  ] as const)('refuses %s', (_name, value, format, message) => {
    expect(() => secretKeys(value, format, 'o', DEFAULT_ALGORITHMS)).toThrow(message);
  });
});
