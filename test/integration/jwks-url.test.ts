import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createAuthorizer } from '../../functions/authorizer/authorizer.ts';
import { parseConfig } from '../../functions/authorizer/config/config.ts';
import { ASYMMETRIC_ALGS, asymmetricSigner, hmacSigner, jwksOf, mint, type Signer } from '../helpers/keys.ts';
import { startJwksServer, type JwksServer } from '../../local/jwks-server.ts';
import { verdict } from '../helpers/decide.ts';

let server: JwksServer;
let signers: Signer[];
const clock = { offsetMs: 0 };
const failures: string[] = [];

beforeAll(async () => {
  signers = await Promise.all(ASYMMETRIC_ALGS.map((alg) => asymmetricSigner(alg)));
  server = await startJwksServer({ json: jwksOf(...signers) });
});
afterAll(() => server.close());
beforeEach(() => {
  server.serve({ json: jwksOf(...signers) });
  clock.offsetMs = 0;
  failures.length = 0;
});

function authorizerFor(env: Record<string, string> = {}) {
  const config = parseConfig({ JWT_JWKS_URL: server.url.href, JWT_FETCH_TIMEOUT_MS: '300', ...env });
  return createAuthorizer(config, {
    now: () => Date.now() + clock.offsetMs,
    onKeyLoadFailed: (_source, err) => failures.push((err as Error).message),
  });
}

describe('keys from a JWKS endpoint', () => {
  it.each(ASYMMETRIC_ALGS)('verifies %s by kid', async (alg) => {
    const hitsBefore = server.hits();
    const signer = signers.find((s) => s.alg === alg)!;
    expect(await verdict(authorizerFor(), await mint(signer))).toBe('ALLOW');
    expect(server.hits() - hitsBefore).toBe(1);
  });

  it('sends JWT_JWKS_HEADERS', async () => {
    await verdict(authorizerFor({ JWT_JWKS_HEADERS: '{"x-api-key":"s3cret"}' }), await mint(signers[0]!));
    expect(server.lastHeaders()?.['x-api-key']).toBe('s3cret');
  });

  it('refreshes on schedule, once per interval', async () => {
    const authorizer = authorizerFor({ JWT_JWKS_REFRESH_SECONDS: '300' });
    const token = await mint(signers[0]!);
    const before = server.hits();
    for (let i = 0; i < 20; i += 1) await verdict(authorizer, token);
    clock.offsetMs = 299_000;
    await verdict(authorizer, token);
    expect(server.hits() - before).toBe(1);
    clock.offsetMs = 300_000;
    await verdict(authorizer, token);
    expect(server.hits() - before).toBe(2);
  });

  it('shares one fetch between 100 concurrent cold invocations', async () => {
    const authorizer = authorizerFor();
    const token = await mint(signers[2]!);
    const before = server.hits();
    const verdicts = await Promise.all(Array.from({ length: 100 }, () => verdict(authorizer, token)));
    expect(new Set(verdicts)).toEqual(new Set(['ALLOW']));
    expect(server.hits() - before).toBe(1);
  });

  it('picks up a key published since the last fetch on its first use, once the cooldown has passed', async () => {
    const authorizer = authorizerFor();
    await verdict(authorizer, await mint(signers[0]!));
    const newcomer = await asymmetricSigner('ES256');
    server.serve({ json: jwksOf(...signers, newcomer) });
    clock.offsetMs = 1000;
    const before = server.hits();
    expect(await verdict(authorizer, await mint(newcomer))).toBe('ALLOW');
    expect(server.hits() - before).toBe(1);
  });

  it('costs at most a few fetches under a flood of random kids', async () => {
    const authorizer = authorizerFor();
    await verdict(authorizer, await mint(signers[0]!));
    const before = server.hits();
    const strangers = await Promise.all(Array.from({ length: 20 }, () => asymmetricSigner('ES256')));
    const tokens = await Promise.all(strangers.flatMap((s) => Array.from({ length: 10 }, () => mint(s))));
    const verdicts = await Promise.all(tokens.map((token) => verdict(authorizer, token)));
    expect(new Set(verdicts)).toEqual(new Set(['KEY_NOT_FOUND']));
    expect(server.hits() - before).toBeLessThanOrEqual(1);
  });

  it('needs no refetch for a bad signature under a known kid', async () => {
    const authorizer = authorizerFor();
    await verdict(authorizer, await mint(signers[0]!));
    clock.offsetMs = 5000;
    const before = server.hits();
    const impostor = await asymmetricSigner(signers[0]!.alg, signers[0]!.kid);
    expect(await verdict(authorizer, await mint(impostor))).toBe('SIGNATURE_INVALID');
    expect(server.hits()).toBe(before);
  });

  it('never lets a symmetric key from the endpoint verify anything', async () => {
    const secret = hmacSigner(randomBytes(32), 'HS256', 'oct-1');
    server.serve({ json: { keys: [secret.jwk, signers[0]!.jwk] } });
    expect(await verdict(authorizerFor(), await mint(secret))).toBe('KEY_NOT_FOUND');
  });

  describe('when the endpoint misbehaves after a good fetch, the last good keys keep working', () => {
    it.each([
      ['HTTP 500', { status: 500 }, 'HTTP 500'],
      ['a redirect', { status: 302, headers: { location: 'http://127.0.0.1:1/' } }, 'HTTP 302'],
      ['HTML', { status: 200, body: '<html>login</html>', headers: { 'content-type': 'text/html' } }, 'not JSON'],
      ['truncated JSON', { status: 200, body: '{"keys":[{"kty":"EC"', headers: {} }, 'not JSON'],
      ['an empty key set', { json: { keys: [] } }, 'no usable key'],
      ['keys of the wrong type', { json: { keys: [{ kty: 'oct', k: 'AAAA' }] } }, 'no usable key'],
      ['a huge body', { status: 200, body: `{"keys":[],"pad":"${'x'.repeat(600_000)}"}`, headers: {} }, 'larger than'],
      ['a hang', 'hang', 'timed out'],
    ] as const)('%s', async (_name, behaviour, message) => {
      const authorizer = authorizerFor();
      const token = await mint(signers[1]!);
      expect(await verdict(authorizer, token)).toBe('ALLOW');
      server.serve(behaviour);
      clock.offsetMs = 301_000;
      const started = Date.now();
      expect(await verdict(authorizer, token)).toBe('ALLOW');
      expect(Date.now() - started).toBeLessThan(3000);
      expect(failures.join('\n')).toMatch(new RegExp(message, 'i'));
      // and it recovers by itself
      server.serve({ json: jwksOf(...signers) });
      clock.offsetMs = 302_000;
      const newcomer = await asymmetricSigner('EdDSA');
      server.serve({ json: jwksOf(...signers, newcomer) });
      expect(await verdict(authorizer, await mint(newcomer))).toBe('ALLOW');
    });
  });

  it('denies KEY_SOURCE_UNAVAILABLE, in bounded time, when the endpoint is down from the start', async () => {
    server.serve('hang');
    const started = Date.now();
    expect(await verdict(authorizerFor(), await mint(signers[0]!))).toBe('KEY_SOURCE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('denies KEY_SOURCE_UNAVAILABLE when nothing listens', async () => {
    const config = parseConfig({ JWT_JWKS_URL: 'http://127.0.0.1:9/jwks.json', JWT_FETCH_TIMEOUT_MS: '300' });
    expect(await verdict(createAuthorizer(config), await mint(signers[0]!))).toBe('KEY_SOURCE_UNAVAILABLE');
  });

  it('still verifies with static keys when the endpoint is down', async () => {
    server.serve({ status: 503 });
    const pemSigner = await asymmetricSigner('RS256');
    const authorizer = authorizerFor({ JWT_PUBLIC_KEY: pemSigner.pem! });
    expect(await verdict(authorizer, await mint(pemSigner, {}, { withKid: false }))).toBe('ALLOW');
    // The PEM key has no kid, so it is a candidate for any RS256 token; it does not verify this one.
    expect(await verdict(authorizer, await mint(signers[0]!))).toBe('SIGNATURE_INVALID');
    expect(await verdict(authorizer, await mint(signers[2]!))).toBe('KEY_NOT_FOUND');
  });
});
