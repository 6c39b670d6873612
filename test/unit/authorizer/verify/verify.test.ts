import { parseProfile } from '../../../helpers/config-problems.ts';
import { describe, expect, it, beforeAll } from 'vitest';
import { createSecretKey, randomBytes } from 'node:crypto';
import type { Profile } from '../../../../functions/authorizer/config/config.ts';
import { Denied } from '../../../../functions/authorizer/deny.ts';
import { createKeySources } from '../../../../functions/authorizer/keys/key-source.ts';
import { hmacKey } from '../../../../functions/authorizer/keys/key-material.ts';
import type { KeySource } from '../../../../functions/authorizer/keys/key-source.ts';
import { readHeader, verifyToken } from '../../../../functions/authorizer/verify/verify.ts';
import { ASYMMETRIC_ALGS, asymmetricSigner, hmacSigner, jwksOf, mint, signRawES256, type Signer } from '../../../helpers/keys.ts';
import { memorySource } from '../../../helpers/memory-source.ts';

const NOW = 1_800_000_000; // a fixed "now" (seconds) for the time-claim boundaries
const at = (claims: Record<string, unknown>) => ({ iat: NOW - 10, exp: NOW + 3600, ...claims });

let signers: Record<string, Signer>;
let config: Profile;
let sources: KeySource[];

beforeAll(async () => {
  signers = Object.fromEntries(await Promise.all(ASYMMETRIC_ALGS.map(async (alg) => [alg, await asymmetricSigner(alg)])));
  config = parseProfile({ JWT_JWKS: JSON.stringify(jwksOf(...Object.values(signers))) });
  sources = createKeySources(config, { now: () => NOW * 1000, onLoadFailed: () => {}, fetchTimeoutMs: 1500 });
});

async function outcome(token: string, options: { config?: Profile; sources?: readonly KeySource[]; nowS?: number } = {}) {
  try {
    const header = readHeader(token);
    const result = await verifyToken(token, header, options.sources ?? sources, options.config ?? config, (options.nowS ?? NOW) * 1000);
    return { code: 'VERIFIED', payload: result.payload, origin: result.key.origin };
  } catch (err) {
    if (!(err instanceof Denied)) throw err;
    return { code: err.code, detail: err.detail };
  }
}

const segments = (obj: unknown) => Buffer.from(JSON.stringify(obj)).toString('base64url');

describe('verifyToken', () => {
  it.each(ASYMMETRIC_ALGS)('verifies %s with a public key from the key set', async (alg) => {
    const token = await mint(signers[alg]!, at({ sub: 'dev-1' }));
    expect(await outcome(token)).toMatchObject({ code: 'VERIFIED', payload: { sub: 'dev-1' }, origin: 'JWT_JWKS' });
  });

  it.each(['HS256', 'HS384', 'HS512'])('verifies %s with a secret', async (alg) => {
    const secret = randomBytes(64);
    const source = memorySource(hmacKey(secret, 'memory', config.algorithms));
    const token = await mint(hmacSigner(secret, alg), at({}), { withKid: false });
    expect(await outcome(token, { sources: [source] })).toMatchObject({ code: 'VERIFIED' });
  });

  it('picks the key by kid, and tries the keys of the alg when the token has none', async () => {
    const token = await mint(signers.ES256!, at({}), { withKid: false });
    expect(await outcome(token)).toMatchObject({ code: 'VERIFIED' });
  });

  it('denies an unknown kid with KEY_NOT_FOUND', async () => {
    const other = await asymmetricSigner('ES256');
    expect(await outcome(await mint(other, at({})))).toMatchObject({ code: 'KEY_NOT_FOUND' });
  });

  it('denies a known kid whose signature does not verify with SIGNATURE_INVALID', async () => {
    const impostor = await asymmetricSigner('ES256', signers.ES256!.kid);
    expect(await outcome(await mint(impostor, at({})))).toMatchObject({ code: 'SIGNATURE_INVALID' });
  });

  it('denies a tampered payload', async () => {
    const [h, , s] = (await mint(signers.RS256!, at({ sub: 'a' }))).split('.');
    expect(await outcome(`${h}.${segments(at({ sub: 'admin' }))}.${s}`)).toMatchObject({ code: 'SIGNATURE_INVALID' });
  });

  // RFC 8725 §2.1 and §3.1: "none" and algorithms the verifier did not choose.
  it('denies alg none, signed or not', async () => {
    const body = segments(at({}));
    expect(await outcome(`${segments({ alg: 'none' })}.${body}.`)).toMatchObject({ code: 'TOKEN_MALFORMED' });
    expect(await outcome(`${segments({ alg: 'none' })}.${body}.AAAA`)).toMatchObject({ code: 'ALG_NOT_ALLOWED' });
  });

  it('denies an algorithm outside JWT_ALGORITHMS', async () => {
    const { alg: _alg, ...rsaJwk } = signers.RS256!.jwk;
    const strict = parseProfile({ JWT_JWKS: JSON.stringify({ keys: [rsaJwk] }), JWT_ALGORITHMS: 'PS256' });
    const token = await mint(signers.RS256!, at({}));
    expect(await outcome(token, { config: strict, sources: createKeySources(strict, { now: Date.now, onLoadFailed: () => {}, fetchTimeoutMs: 1500 }) }))
      .toMatchObject({ code: 'ALG_NOT_ALLOWED', detail: { alg: 'RS256' } });
  });

  // RFC 8725 §2.1: an RSA public key, known to everyone, used as an HMAC secret.
  it('denies HMAC/RSA key confusion', async () => {
    const rsaPem = signers.RS256!.pem!;
    const pemConfig = parseProfile({ JWT_PUBLIC_KEY: rsaPem });
    const pemSources = createKeySources(pemConfig, { now: Date.now, onLoadFailed: () => {}, fetchTimeoutMs: 1500 });
    const forged = await mint(hmacSigner(Buffer.from(rsaPem)), at({}), { withKid: false });
    expect(await outcome(forged, { config: pemConfig, sources: pemSources })).toMatchObject({ code: 'KEY_NOT_FOUND', detail: { alg: 'HS256' } });
  });

  it.each([
    ['expired beyond the skew', { exp: NOW - 31 }, 'TOKEN_EXPIRED'],
    ['expired within the skew', { exp: NOW - 29 }, 'VERIFIED'],
    ['not valid before, beyond the skew', { nbf: NOW + 31 }, 'TOKEN_NOT_YET_VALID'],
    ['not valid before, within the skew', { nbf: NOW + 29 }, 'VERIFIED'],
    ['issued in the future, beyond the skew', { iat: NOW + 31 }, 'TOKEN_NOT_YET_VALID'],
    ['issued in the future, within the skew', { iat: NOW + 30 }, 'VERIFIED'],
    ['without exp', { exp: undefined }, 'CLAIM_MISSING'],
    ['with exp as a string', { exp: String(NOW + 3600) }, 'CLAIM_INVALID'],
    ['with nbf as a string', { nbf: 'yesterday' }, 'CLAIM_INVALID'],
  ])('checks a token %s', async (_name, claims, code) => {
    expect((await outcome(await mint(signers.ES256!, at(claims)))).code).toBe(code);
  });

  it('honours JWT_REQUIRE_EXP=false, JWT_MAX_AGE_SECONDS, JWT_ISSUER and JWT_AUDIENCE', async () => {
    const strict = parseProfile({
      JWT_JWKS: JSON.stringify(jwksOf(signers.ES256!)), JWT_REQUIRE_EXP: 'false', JWT_MAX_AGE_SECONDS: '600',
      JWT_ISSUER: 'https://idp.example.com,https://idp2.example.com', JWT_AUDIENCE: 'mqtt', JWT_CLOCK_SKEW_SECONDS: '0',
    });
    const strictSources = createKeySources(strict, { now: Date.now, onLoadFailed: () => {}, fetchTimeoutMs: 1500 });
    const check = async (claims: Record<string, unknown>) =>
      (await outcome(await mint(signers.ES256!, claims, { ttl: null }), { config: strict, sources: strictSources })).code;
    const good = { iat: NOW - 60, iss: 'https://idp2.example.com', aud: ['other', 'mqtt'] };
    expect(await check(good)).toBe('VERIFIED');
    expect(await check({ ...good, iat: NOW - 601 })).toBe('TOKEN_TOO_OLD');
    expect(await check({ ...good, iat: undefined })).toBe('CLAIM_MISSING');
    expect(await check({ ...good, iss: 'https://evil.example.com' })).toBe('ISSUER_MISMATCH');
    expect(await check({ ...good, iss: undefined })).toBe('CLAIM_MISSING');
    expect(await check({ ...good, aud: 'web' })).toBe('AUDIENCE_MISMATCH');
  });

  // RFC 7515 §4.1.11: a recipient that does not understand a `crit` extension must reject the JWS.
  it.each([
    ['a crit header it does not understand', { alg: 'ES256', crit: ['x-custom'], 'x-custom': 1 }],
    ['a b64=false header (RFC 7797; a JWT must not)', { alg: 'ES256', crit: ['b64'], b64: false }],
    ['an empty crit', { alg: 'ES256', crit: [] }],
  ])('denies %s with a good signature', async (_name, header) => {
    const token = await signRawES256(signers.ES256!, JSON.stringify({ ...header, kid: signers.ES256!.kid }), JSON.stringify(at({})));
    expect(await outcome(token)).toMatchObject({ code: 'TOKEN_MALFORMED', detail: { why: 'crit: no JWS extension is understood here' } });
  });

  it('verifies the same token built by hand, so the raw signer is sound', async () => {
    const token = await signRawES256(signers.ES256!, JSON.stringify({ alg: 'ES256', kid: signers.ES256!.kid }), JSON.stringify(at({})));
    expect((await outcome(token)).code).toBe('VERIFIED');
  });

  it.each([
    ['one segment', 'abc'],
    ['two segments', 'abc.def'],
    ['four segments', 'a.b.c.d'],
    ['a header that is not JSON', `${Buffer.from('{nope').toString('base64url')}.e30.AAAA`],
    ['a header that is an array', `${segments([1])}.e30.AAAA`],
    ['a header without alg', `${segments({ typ: 'JWT' })}.e30.AAAA`],
    ['a numeric kid', `${segments({ alg: 'ES256', kid: 7 })}.e30.AAAA`],
    ['padding', 'eyJhbGciOiJFUzI1NiJ9=.e30.AAAA'],
    ['unicode', 'ｅｙＪ.e30.AAAA'],
  ])('denies %s with TOKEN_MALFORMED', async (_name, token) => {
    expect((await outcome(token)).code).toBe('TOKEN_MALFORMED');
  });

  it('denies a payload that is not a JSON object', async () => {
    const [h, , ] = (await mint(signers.ES256!, at({}))).split('.');
    expect((await outcome(`${h}.${Buffer.from('[1]').toString('base64url')}.AAAA`)).code).toMatch(/TOKEN_MALFORMED|SIGNATURE_INVALID/);
  });

  it('denies KEY_SOURCE_UNAVAILABLE when no source has keys', async () => {
    expect(await outcome(await mint(signers.ES256!, at({})), { sources: [memorySource('unavailable')] }))
      .toMatchObject({ code: 'KEY_SOURCE_UNAVAILABLE' });
  });

  it('refetches once on an unknown kid and verifies a key published since', async () => {
    const fresh = await asymmetricSigner('EdDSA');
    const freshConfig = parseProfile({ JWT_JWKS: JSON.stringify(jwksOf(fresh)) });
    const source = memorySource([], { onRefetch: () => freshConfig.staticKeys });
    expect(await outcome(await mint(fresh, at({})), { sources: [source] })).toMatchObject({ code: 'VERIFIED' });
    expect(source.refetches).toBe(1);
  });

  it('refetches a rotating source on a signature miss, but not a key set on a known kid', async () => {
    const oldSecret = randomBytes(32);
    const newSecret = randomBytes(32);
    const rotating = memorySource(hmacKey(oldSecret, 'memory', config.algorithms), {
      refetchOnSignatureMiss: true, onRefetch: () => hmacKey(newSecret, 'memory', config.algorithms),
    });
    expect(await outcome(await mint(hmacSigner(newSecret), at({}), { withKid: false }), { sources: [rotating] })).toMatchObject({ code: 'VERIFIED' });
    expect(rotating.refetches).toBe(1);

    const keySet = memorySource(config.staticKeys, { onRefetch: () => undefined });
    const impostor = await asymmetricSigner('ES256', signers.ES256!.kid);
    expect((await outcome(await mint(impostor, at({})), { sources: [keySet] })).code).toBe('SIGNATURE_INVALID');
    expect(keySet.refetches).toBe(0);
  });

  it('tries at most 8 keys for a token without kid', async () => {
    const many = Array.from({ length: 12 }, () => hmacKey(randomBytes(32), 'memory', config.algorithms)[0]!);
    const lastSecret = many[11]!.key.export();
    const token = await mint(hmacSigner(lastSecret), at({}), { withKid: false });
    expect(await outcome(token, { sources: [memorySource(many)] })).toMatchObject({ code: 'SIGNATURE_INVALID', detail: { tried: 8 } });
    expect(createSecretKey(lastSecret).symmetricKeySize).toBe(32);
  });
});

describe('what the warm path keeps', () => {
  // readHeader keeps the headers it has read (a bounded few), findCandidates the keys it found per alg and
  // kid until a key set changes: each answer must be the one a first reading gives, whatever came before.
  it('reads a header from its memory as from the token, through floods of others', async () => {
    const { default: fc } = await import('fast-check');
    const field = fc.oneof(fc.constantFrom(undefined, null, 1, 'HS256', 'ES256', 'none', '', '__proto__', '${clientid}', '\ud800'), fc.string());
    const header = fc.record({ alg: field, kid: field, crit: fc.constantFrom(undefined, ['b64']), typ: fc.constantFrom(undefined, 'JWT') }, { requiredKeys: [] });
    const read = (token: string) => { try { return readHeader(token); } catch (err) { return (err as Denied).code; } };
    fc.assert(fc.property(fc.array(header, { minLength: 1, maxLength: 80 }), (headers) => {
      const tokens = headers.map((h) => `${segments(h)}.${segments({})}.c2ln`);
      const first = tokens.map(read);
      // Again, in reverse, after every other header was read (the memory is full and started over at times).
      expect([...tokens].reverse().map(read)).toEqual([...first].reverse());
      tokens.forEach((token, i) => {
        const h = headers[i]!;
        if (typeof first[i] === 'object') expect(first[i]).toEqual({ alg: h.alg, kid: h.kid ?? undefined });
        else expect(first[i]).toBe('TOKEN_MALFORMED');
      });
    }), { numRuns: 200 });
  });

  it('finds the keys a rotated key set holds now, not those it held', async () => {
    const secret = randomBytes(32);
    const token = await mint(hmacSigner(secret), at({}), { withKid: false });
    const before = memorySource(hmacKey(randomBytes(32), 'before', new Set(['HS256'])), { onRefetch: () => hmacKey(secret, 'after', new Set(['HS256'])) });
    expect(await outcome(token, { sources: [before] })).toMatchObject({ code: 'SIGNATURE_INVALID' });
    await before.refetch(); // the set changes in place, as a refresh does
    expect(await outcome(token, { sources: [before] })).toMatchObject({ code: 'VERIFIED', origin: 'after' });
  });
});
