import { parseProfile } from '../../../helpers/config-problems.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { jwtVerify } from 'jose';
import { VerifiedTokenCache } from '../../../../functions/authorizer/verify/verified-cache.ts';
import { readHeader, verifyToken } from '../../../../functions/authorizer/verify/verify.ts';
import { checkTimeClaims } from '../../../../functions/authorizer/verify/registered-claims.ts';
import type { Profile } from '../../../../functions/authorizer/config/config.ts';
import { toDenied } from '../../../../functions/authorizer/deny.ts';
import { denyCodeOf } from '../../../helpers/jose-codes.ts';
import { hmacKey, type TrustedKey } from '../../../../functions/authorizer/keys/key-material.ts';
import { hmacSigner, mint, type Signer } from '../../../helpers/keys.ts';
import { memorySource } from '../../../helpers/memory-source.ts';

const NOW = 1_800_000_000;
const config = (env: Record<string, string> = {}): Profile => parseProfile({ JWT_PUBLIC_KEY: '', JWT_JWKS_URL: 'https://x/j', ...env });
const fakeKey = { kid: 'k' } as unknown as TrustedKey;
const HEADER = { alg: 'ES256', kid: 'k' };

describe('VerifiedTokenCache', () => {
  it('evicts the least recently used entry beyond its size', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('a', { payload: {}, key: fakeKey, header: HEADER });
    cache.set('b', { payload: {}, key: fakeKey, header: HEADER });
    expect(cache.peek('b')).toBeDefined(); // peeking does not count as a use
    cache.get('a');
    cache.set('c', { payload: {}, key: fakeKey, header: HEADER });
    expect([cache.get('a') !== undefined, cache.get('b') !== undefined, cache.get('c') !== undefined]).toEqual([true, false, true]);
  });

  it('stays within its character budget whatever the token sizes', () => {
    fc.assert(fc.property(fc.array(fc.string({ minLength: 1, maxLength: 3000 }), { maxLength: 200 }), (tokens) => {
      const cache = new VerifiedTokenCache(50, 20_000);
      for (const token of tokens) cache.set(token, { payload: {}, key: fakeKey, header: HEADER });
      expect(cache.size).toBeLessThanOrEqual(50);
      const held = [...new Set(tokens)].filter((t) => cache.get(t) !== undefined).reduce((n, t) => n + t.length, 0);
      expect(held).toBeLessThanOrEqual(20_000);
    }));
  });

  it('holds nothing with zero entries', () => {
    const cache = new VerifiedTokenCache(0);
    cache.set('a', { payload: {}, key: fakeKey, header: HEADER });
    expect(cache.size).toBe(0);
  });
});

describe('verifyToken with the cache', () => {
  let signer: Signer;
  let keys: TrustedKey[];
  beforeAll(() => {
    const secret = randomBytes(32);
    signer = hmacSigner(secret);
    keys = hmacKey(secret, 'memory', config().algorithms);
  });
  const run = async (token: string, source: ReturnType<typeof memorySource>, cache: VerifiedTokenCache, nowS: number) => {
    try {
      await verifyToken(token, readHeader(token), [source], config(), nowS * 1000, cache);
      return 'VERIFIED';
    } catch (err) {
      return toDenied(err).code;
    }
  };

  it('re-checks the time claims of a cached token on every call', async () => {
    const cache = new VerifiedTokenCache(10);
    const token = await mint(signer, { iat: NOW, exp: NOW + 600 });
    const source = memorySource(keys);
    expect(await run(token, source, cache, NOW)).toBe('VERIFIED');
    expect(cache.size).toBe(1);
    expect(await run(token, source, cache, NOW + 600 + 31)).toBe('TOKEN_EXPIRED');
  });

  it('forgets a token when the key that verified it leaves the key set', async () => {
    const cache = new VerifiedTokenCache(10);
    const token = await mint(signer, { iat: NOW, exp: NOW + 600 });
    const other = hmacKey(randomBytes(32), 'memory', config().algorithms);
    let current: readonly TrustedKey[] = keys;
    const source = { ...memorySource(keys), keys: async () => current, fresh: () => current };
    expect(await run(token, source, cache, NOW)).toBe('VERIFIED');
    current = other;
    expect(await run(token, source, cache, NOW)).toBe('SIGNATURE_INVALID');
    expect(cache.size).toBe(0);
  });
});

describe('checkTimeClaims', () => {
  it('decides as jose does at any time, for any exp, nbf, iat, skew and maximum age', async () => {
    const secret = randomBytes(32);
    const signer = hmacSigner(secret);
    const time = fc.option(fc.integer({ min: NOW - 4000, max: NOW + 4000 }), { nil: undefined });
    await fc.assert(fc.asyncProperty(time, time, time, fc.integer({ min: 0, max: 120 }), fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined }), async (exp, nbf, iat, skew, maxAge) => {
      const cfg = config({ JWT_CLOCK_SKEW_SECONDS: String(skew), JWT_REQUIRE_EXP: 'false', ...(maxAge !== undefined && { JWT_MAX_AGE_SECONDS: String(maxAge) }) });
      const claims = { exp, nbf, iat };
      const token = await mint(signer, claims, { ttl: null });
      const ours = (() => { try { checkTimeClaims(claims, cfg, NOW * 1000); return 'OK'; } catch (err) { return toDenied(err).code; } })();
      const jose = await jwtVerify(token, secret, { currentDate: new Date(NOW * 1000), clockTolerance: skew, ...(maxAge !== undefined && { maxTokenAge: maxAge }) })
        .then(() => 'OK', (err) => denyCodeOf(err));
      // jose leaves a future iat alone unless maxTokenAge is set; we always deny it.
      const futureIat = iat !== undefined && iat > NOW + skew;
      if (maxAge !== undefined && iat === undefined) return; // jose requires iat then: CLAIM_MISSING, checked before time
      if (jose === 'OK' && futureIat) expect(ours).toBe('TOKEN_NOT_YET_VALID');
      else if (ours === 'OK' || jose === 'OK') expect(ours).toBe(jose);
    }), { numRuns: 500 });
  });
});
