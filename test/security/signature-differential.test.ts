// The node:crypto signature path (signature.ts) against jose's, for every algorithm the authorizer allows:
// they agree on genuine tokens and on a stream of mutated ones (bit flips, truncated and padded signatures,
// high-S ECDSA, zero and wrong-length signatures, tampered signing input).
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, exportJWK, generateKeyPair, importJWK, type CryptoKey } from 'jose';
import { createPublicKey } from 'node:crypto';
import { verifySignature } from '../../functions/authorizer/verify/signature.ts';
import { algorithmsForKey } from '../../functions/authorizer/keys/algorithms.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000) >= 10_000 ? 150 : 40;
const ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

// The order n of each curve, for high-S signatures (s' = n - s verifies as s does in plain ECDSA).
const CURVE_ORDER: Record<string, bigint> = {
  ES256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  ES384: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  ES512: 0x01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
};

interface Fixture { alg: string; ours: KeyObject; jose: CryptoKey | Uint8Array; signingKey: CryptoKey | Uint8Array }
const fixtures = new Map<string, Fixture>();

beforeAll(async () => {
  await Promise.all(ALGS.map(async (alg) => {
    if (alg.startsWith('HS')) {
      const secret = randomBytes(64);
      fixtures.set(alg, { alg, ours: createSecretKey(secret), jose: secret, signingKey: secret });
      return;
    }
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(publicKey);
    fixtures.set(alg, { alg, ours: createPublicKey({ key: jwk as never, format: 'jwk' }), jose: (await importJWK(jwk, alg)) as CryptoKey, signingKey: privateKey });
  }));
}, 60_000);

const genuine = (alg: string): Promise<string> => new CompactSign(Buffer.from(JSON.stringify({ sub: 'dev-1', exp: 1_900_000_000, n: randomBytes(4).toString('hex') })))
  .setProtectedHeader({ alg, kid: 'k' }).sign(fixtures.get(alg)!.signingKey);

function agree(alg: string, token: string): Promise<void> {
  const f = fixtures.get(alg)!;
  const dot = token.lastIndexOf('.');
  const ours = /^[\w-]*$/.test(token.slice(dot + 1))
    && verifySignature(alg, f.ours, Buffer.from(token.slice(0, dot)), Buffer.from(token.slice(dot + 1), 'base64url'));
  return compactVerify(token, f.jose as never, { algorithms: [alg] }).then(() => true, () => false)
    .then((jose) => { expect(ours, `${alg} ${token}`).toBe(jose); });
}

/** High-S: the same signature with s replaced by n - s. */
function highS(alg: string, signature: Buffer): Buffer {
  const half = signature.length / 2;
  const s = BigInt(`0x${signature.subarray(half).toString('hex')}`);
  const flipped = (CURVE_ORDER[alg]! - s).toString(16).padStart(half * 2, '0');
  return Buffer.concat([signature.subarray(0, half), Buffer.from(flipped, 'hex')]);
}

describe('the node:crypto signature path agrees with jose', () => {
  it.each(ALGS)('%s: genuine tokens verify on both', async (alg) => {
    for (let i = 0; i < 5; i += 1) {
      const token = await genuine(alg);
      await agree(alg, token);
      const dot = token.lastIndexOf('.');
      expect(verifySignature(alg, fixtures.get(alg)!.ours, Buffer.from(token.slice(0, dot)), Buffer.from(token.slice(dot + 1), 'base64url'))).toBe(true);
    }
  });

  it.each(ALGS)('%s: mutated signatures and signing inputs are judged alike', async (alg) => {
    const token = await genuine(alg);
    const dot = token.lastIndexOf('.');
    const input = token.slice(0, dot);
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    const mutatedSignature = fc.oneof(
      fc.tuple(fc.nat(signature.length - 1), fc.nat(7)).map(([i, bit]) => { const s = Buffer.from(signature); s[i]! ^= 1 << bit; return s; }),
      fc.nat(signature.length).map((n) => signature.subarray(0, n)),
      fc.uint8Array({ minLength: 1, maxLength: 8 }).map((extra) => Buffer.concat([signature, extra])),
      fc.nat(200).map((n) => Buffer.alloc(n)),
      fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
      fc.constant(alg.startsWith('ES') ? highS(alg, signature) : signature),
      fc.constant(Buffer.alloc(signature.length)),
    ).map((s) => `${input}.${s.toString('base64url')}`);
    const mutatedInput = fc.tuple(fc.nat(input.length - 1), fc.constantFrom('A', 'B', '_', '-', 'x')).map(([i, c]) => `${input.slice(0, i)}${c}${input.slice(i + 1)}.${token.slice(dot + 1)}`);
    await fc.assert(fc.asyncProperty(fc.oneof(mutatedSignature, mutatedInput), (mutated) => agree(alg, mutated)), { numRuns: RUNS });
  });

  it('accepts a high-S ECDSA signature as jose (WebCrypto) does: S is not normalised by either', async () => {
    for (const alg of ['ES256', 'ES384', 'ES512']) {
      const token = await genuine(alg);
      const dot = token.lastIndexOf('.');
      const flipped = `${token.slice(0, dot)}.${highS(alg, Buffer.from(token.slice(dot + 1), 'base64url')).toString('base64url')}`;
      await agree(alg, flipped);
    }
  });

  it('verifies nothing with an algorithm outside RFC 7518\'s list, or a key of the wrong type', () => {
    const f = fixtures.get('ES256')!;
    expect(verifySignature('none', f.ours, Buffer.from('a.b'), Buffer.alloc(0))).toBe(false);
    expect(verifySignature('ES256K', f.ours, Buffer.from('a.b'), Buffer.alloc(64))).toBe(false);
    expect(verifySignature('RS256', f.ours, Buffer.from('a.b'), Buffer.alloc(256))).toBe(false);
    for (const alg of ALGS) expect(algorithmsForKey(fixtures.get(alg)!.ours)).toContain(alg);
  });
});
