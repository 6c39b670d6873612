// What a new user and an outside test suite tripped over (issue 13): wrong answers and vague denies,
// one describe per finding, against real local servers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createAuthorizer, type Authorizer } from '../../functions/authorizer/authorizer.ts';
import { parseConfig, type Profile } from '../../functions/authorizer/config/config.ts';
import { configProblems, parseProfile } from '../helpers/config-problems.ts';
import { createKeySources } from '../../functions/authorizer/keys/key-source.ts';
import { readHeader, verifyToken } from '../../functions/authorizer/verify/verify.ts';
import { VerifiedTokenCache } from '../../functions/authorizer/verify/verified-cache.ts';
import { asymmetricSigner, hmacSigner, jwksOf, mint, nowSeconds, signRawES256, type Signer } from '../helpers/keys.ts';
import { connect, verdict } from '../helpers/decide.ts';
import { startJwksServer, type JwksServer } from '../../local/jwks-server.ts';
import { startSecretsManager, type SecretsManagerEmulator } from '../../local/secrets-manager-emulator.ts';

let signer: Signer;
let jwks: JwksServer;
let sm: SecretsManagerEmulator;
const authorizerWith = (env: Record<string, string> = {}): Authorizer => createAuthorizer(parseConfig({ JWT_JWKS: JSON.stringify(jwksOf(signer)), ...env }));

beforeAll(async () => {
  signer = await asymmetricSigner('ES256');
  jwks = await startJwksServer({ json: jwksOf(signer) });
  sm = await startSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = sm.endpoint;
});
afterAll(async () => {
  await jwks.close();
  await sm.close();
});

const problems = configProblems;

describe('13.1 registered claims of the wrong type', () => {
  it.each([
    ['sub', { id: 1 }], ['sub', 42], ['iss', ['a']], ['jti', 7], ['aud', [1]], ['aud', { a: 1 }], ['nbf', '0'], ['iat', 'yesterday'],
  ])('denies %s = %j with CLAIM_INVALID', async (claim, value) => {
    const payload = JSON.stringify({ sub: 'dev-1', exp: nowSeconds() + 3600, [claim]: value });
    const token = await signRawES256(signer, JSON.stringify({ alg: 'ES256', kid: signer.kid }), payload);
    const { record, response } = await connect(authorizerWith(), token);
    expect(record).toMatchObject({ decision: 'deny', reason: 'CLAIM_INVALID', detail: { claim } });
    expect(response.isAuthenticated).toBe(false);
  });

  it('accepts the right types: aud as a string or an array of strings', async () => {
    expect(await verdict(authorizerWith(), await mint(signer, { sub: 'd', iss: 'i', jti: 'j', aud: ['a', 'b'] }))).toBe('ALLOW');
    expect(await verdict(authorizerWith(), await mint(signer, { aud: 'a' }))).toBe('ALLOW');
  });
});

describe('13.2 a token past its exp but within the clock skew', () => {
  it('is TOKEN_EXPIRED, and the detail says the skew would have covered it', async () => {
    const token = await mint(signer, {}, { ttl: -10 });
    const { record } = await connect(authorizerWith(), token);
    expect(record.reason).toBe('TOKEN_EXPIRED');
    expect(String(record.detail?.why)).toMatch(/expired 1\d s ago: within the clock skew, but IoT needs 300 s left/);
    // Still in the future but under 300 s: that one is too soon, not expired.
    expect(await verdict(authorizerWith(), await mint(signer, {}, { ttl: 100 }))).toBe('EXPIRES_TOO_SOON');
  });
});

describe('13.3 JWKS request headers', () => {
  it('sends a named header instead of the default of that name, and no browser headers', async () => {
    jwks.serve({ json: jwksOf(signer) });
    const authorizer = createAuthorizer(parseConfig({ JWT_JWKS_URL: jwks.url.href, JWT_JWKS_HEADERS: '{"Accept":"application/json","x-api-key":"k1"}' }));
    expect(await verdict(authorizer, await mint(signer))).toBe('ALLOW');
    const headers = jwks.lastHeaders()!;
    expect(headers.accept).toBe('application/json');
    expect(headers['x-api-key']).toBe('k1');
    expect(Object.keys(headers).sort()).toEqual(['accept', 'connection', 'host', 'user-agent', 'x-api-key']);
  });
});

describe('13.4 an HMAC secret shorter than the algorithm needs', () => {
  it('says the secret\'s length and what the algorithm needs in the deny', async () => {
    const secret = randomBytes(43);
    sm.put('short-for-hs512', secret);
    const authorizer = createAuthorizer(parseConfig({ JWT_SECRET_ID: 'short-for-hs512' }));
    const { record } = await connect(authorizer, await mint(hmacSigner(secret, 'HS512')));
    expect(record).toMatchObject({ reason: 'KEY_NOT_FOUND', detail: { why: 'JWT_SECRET_ID:AWSCURRENT: the HMAC secret is 43 bytes; HS512 needs at least 64 (RFC 7518 §3.2)' } });
    expect(await verdict(authorizer, await mint(hmacSigner(secret, 'HS256')))).toBe('ALLOW');
  });

  it('warns once when a secret is too short for every allowed HS algorithm', async () => {
    sm.put('too-short', 'emqxsecret');
    const failures: string[] = [];
    const authorizer = createAuthorizer(parseConfig({ JWT_SECRET_ID: 'too-short' }), { onKeyLoadFailed: (_s, err) => failures.push((err as Error).message) });
    const { record } = await connect(authorizer, await mint(hmacSigner(Buffer.from('emqxsecret'))));
    expect(record).toMatchObject({ reason: 'KEY_SOURCE_UNAVAILABLE', detail: { cause: 'JWT_SECRET_ID: the HMAC secret is 10 bytes; HS256 needs at least 32 (RFC 7518 §3.2)' } });
    expect(failures).toEqual(['the HMAC secret is 10 bytes; HS256 needs at least 32 (RFC 7518 §3.2)']);
  });

  it('warns about a short secret in a JWK Set kept in Secrets Manager, and serves the others', async () => {
    const good = hmacSigner(randomBytes(32), 'HS256', 'good');
    sm.put('set-with-short', JSON.stringify({ keys: [good.jwk, { kty: 'oct', kid: 'short', k: randomBytes(16).toString('base64url') }] }));
    const skipped: string[] = [];
    const authorizer = createAuthorizer(parseConfig({ JWT_SECRET_ID: 'set-with-short' }), { onKeySkipped: (source, why) => skipped.push(`${source} ${why}`) });
    expect(await verdict(authorizer, await mint(good))).toBe('ALLOW');
    expect(skipped).toEqual(['JWT_SECRET_ID JWT_SECRET_ID:AWSCURRENT key 1: the HMAC secret is 16 bytes; HS256 needs at least 32 (RFC 7518 §3.2)']);
  });
});

describe('13.5 plain http JWKS URLs', () => {
  it.each(['http://localhost:8080/jwks', 'http://127.0.0.1/jwks', 'http://10.1.2.3/jwks', 'http://172.16.0.9/jwks', 'http://172.31.255.1/jwks',
    'http://192.168.1.1/jwks', 'http://[::1]:9/jwks', 'http://[fd00::1]/jwks', 'http://[fc12:3::1]/jwks', 'http://0x7f.1/jwks'])('accepts %s', (url) => {
    expect(problems({ JWT_JWKS_URL: url })).toEqual([]);
  });

  it.each(['http://idp.example.com/jwks', 'http://172.32.0.1/jwks', 'http://8.8.8.8/jwks', 'http://[fe80::1]/jwks', 'http://[fc::1]/jwks', 'http://192.169.0.1/jwks'])(
    'refuses %s, naming JWT_JWKS_URL, unless JWT_JWKS_ALLOW_HTTP=true', (url) => {
      expect(problems({ JWT_JWKS_URL: url })).toEqual([expect.stringMatching(/^JWT_JWKS_URL: plain http:\/\/ only for localhost/)]);
      expect(problems({ JWT_JWKS_URL: url, JWT_JWKS_ALLOW_HTTP: 'true' })).toEqual([]);
    },
  );

  it('needs no exception for https', () => {
    expect(problems({ JWT_JWKS_URL: 'https://idp.example.com/jwks' })).toEqual([]);
    expect(problems({ JWT_JWKS: JSON.stringify(jwksOf(signer)), JWT_JWKS_ALLOW_HTTP: 'true' })).toEqual(['JWT_JWKS_ALLOW_HTTP: set, but JWT_JWKS_URL is not']);
  });
});

describe('13.6 the verified-signature cache', () => {
  const NOW = 1_800_000_000;
  let config: Profile;
  beforeAll(() => {
    config = parseProfile({ JWT_JWKS: JSON.stringify(jwksOf(signer)), JWT_REQUIRE_EXP: 'false' });
  });
  const verify = (token: string, sources: ReturnType<typeof createKeySources>, cache: VerifiedTokenCache, nowS: number) =>
    verifyToken(token, readHeader(token), sources, config, nowS * 1000, cache).then(() => 'VERIFIED', (err: { code: string }) => err.code);

  it('never serves an entry past the token\'s exp plus the skew, and forgets it', async () => {
    const cache = new VerifiedTokenCache(10);
    const sources = createKeySources(config, { now: () => NOW * 1000, onLoadFailed: () => {}, fetchTimeoutMs: 1500 });
    const token = await mint(signer, { iat: NOW, exp: NOW + 600 });
    expect(await verify(token, sources, cache, NOW)).toBe('VERIFIED');
    expect(cache.size).toBe(1);
    expect(await verify(token, sources, cache, NOW + 600 + 29)).toBe('VERIFIED'); // within the 30 s skew
    expect(await verify(token, sources, cache, NOW + 600 + 30)).toBe('TOKEN_EXPIRED');
    expect(cache.size).toBe(0);
  });

  it('never serves an entry for a token without exp once its key has left the key set', async () => {
    const other = await asymmetricSigner('ES256');
    jwks.serve({ json: jwksOf(signer) });
    const live = parseProfile({ JWT_JWKS_URL: jwks.url.href, JWT_REQUIRE_EXP: 'false', JWT_JWKS_REFRESH_SECONDS: '60' });
    let now = NOW;
    const sources = createKeySources(live, { now: () => now * 1000, onLoadFailed: () => {}, fetchTimeoutMs: 1500 });
    const cache = new VerifiedTokenCache(10);
    const token = await mint(signer, { iat: NOW }, { ttl: null });
    const check = () => verifyToken(token, readHeader(token), sources, live, now * 1000, cache).then(() => 'VERIFIED', (err: { code: string }) => err.code);
    expect(await check()).toBe('VERIFIED');
    jwks.serve({ json: jwksOf(other) }); // rotated: the signing key is gone
    now += 61;
    expect(await check()).toBe('KEY_NOT_FOUND');
    expect(cache.size).toBe(0);
  });
});

describe('13.10 denies that say what went wrong', () => {
  it('names the key origin by its setting', async () => {
    jwks.serve({ json: jwksOf(signer) });
    const { record } = await connect(createAuthorizer(parseConfig({ JWT_JWKS_URL: jwks.url.href })), await mint(signer));
    expect(record.keyOrigin).toBe('JWT_JWKS_URL');
    const secret = randomBytes(32);
    sm.put('origin', secret);
    const fromSecret = await connect(createAuthorizer(parseConfig({ JWT_SECRET_ID: 'origin' })), await mint(hmacSigner(secret)));
    expect(fromSecret.record.keyOrigin).toBe('JWT_SECRET_ID:AWSCURRENT');
  });

  it.each([
    ['connection refused', () => ({ JWT_JWKS_URL: 'http://127.0.0.1:1/jwks' }), /JWT_JWKS_URL: connection refused/],
    ['an HTTP status', () => { jwks.serve({ status: 503 }); return { JWT_JWKS_URL: jwks.url.href }; }, /JWT_JWKS_URL: JWKS endpoint answered HTTP 503/],
    ['bad JSON', () => { jwks.serve({ status: 200, body: '{"keys":[' }); return { JWT_JWKS_URL: jwks.url.href }; }, /not JSON/],
    ['a timeout', () => { jwks.serve('hang'); return { JWT_JWKS_URL: jwks.url.href, JWT_FETCH_TIMEOUT_MS: '100' }; }, /JWT_JWKS_URL: timed out after 100 ms/],
    ['access denied', () => { sm.fail('access-denied'); return { JWT_SECRET_ID: 'origin', JWT_FETCH_TIMEOUT_MS: '500' }; }, /JWT_SECRET_ID: AccessDeniedException \(HTTP 400\)/],
  ] as const)('gives the cause of KEY_SOURCE_UNAVAILABLE: %s', async (_name, setup, cause) => {
    try {
      const { record } = await connect(createAuthorizer(parseConfig(setup())), await mint(signer));
      expect(record.reason).toBe('KEY_SOURCE_UNAVAILABLE');
      expect(String(record.detail?.cause)).toMatch(cause);
    } finally {
      sm.fail(undefined);
      jwks.serve({ json: jwksOf(signer) });
    }
  });
});
