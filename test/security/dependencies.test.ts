// Dependencies that misbehave at the worst time: what the authorizer answers, within what time, with how
// many upstream calls, and that it recovers by itself. Never an allow because a dependency failed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createAuthorizer } from '../../functions/authorizer/authorizer.ts';
import { parseConfig } from '../../functions/authorizer/config/config.ts';
import { startJwksServer, type JwksServer } from '../../local/jwks-server.ts';
import { startSecretsManager, type SecretsManagerEmulator } from '../../local/secrets-manager-emulator.ts';
import { asymmetricSigner, hmacSigner, jwksOf, mint, type Signer } from '../helpers/keys.ts';
import { connect, verdict } from '../helpers/decide.ts';

const TIMEOUT_MS = 300;
let jwks: JwksServer;
let sm: SecretsManagerEmulator;
let signer: Signer;
const clock = { offsetMs: 0 };

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
beforeEach(() => {
  jwks.serve({ json: jwksOf(signer) });
  sm.fail(undefined);
  clock.offsetMs = 0;
});

const jwksAuthorizer = () => createAuthorizer(parseConfig({ JWT_JWKS_URL: jwks.url.href, JWT_FETCH_TIMEOUT_MS: String(TIMEOUT_MS) }), { now: () => Date.now() + clock.offsetMs });

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

describe('a slow JWKS endpoint', () => {
  it('is waited for when it answers within the fetch budget', async () => {
    jwks.serve({ json: jwksOf(signer), delayMs: TIMEOUT_MS / 3 });
    const { value } = await timed(async () => verdict(jwksAuthorizer(), await mint(signer)));
    expect(value).toBe('ALLOW');
  });

  it('is given up on past the budget: KEY_SOURCE_UNAVAILABLE well inside IoT\'s 5 s, one call, then recovery', async () => {
    jwks.serve({ json: jwksOf(signer), delayMs: TIMEOUT_MS * 4 });
    const authorizer = jwksAuthorizer();
    const token = await mint(signer);
    const before = jwks.hits();
    const { value, ms } = await timed(() => verdict(authorizer, token));
    expect(value).toBe('KEY_SOURCE_UNAVAILABLE');
    expect(ms).toBeLessThan(TIMEOUT_MS + 1500);
    expect(jwks.hits() - before).toBe(1);
    // Within the cooldown, further connections are refused at once, without another call.
    expect(await verdict(authorizer, token)).toBe('KEY_SOURCE_UNAVAILABLE');
    expect(jwks.hits() - before).toBe(1);
    jwks.serve({ json: jwksOf(signer) });
    clock.offsetMs = 1000;
    expect(await verdict(authorizer, token)).toBe('ALLOW');
  });

  it('with a good key set cached, serves it while the endpoint is slow', async () => {
    const authorizer = jwksAuthorizer();
    const token = await mint(signer);
    expect(await verdict(authorizer, token)).toBe('ALLOW');
    jwks.serve({ json: jwksOf(signer), delayMs: TIMEOUT_MS * 4 });
    clock.offsetMs = 301_000;
    const { value, ms } = await timed(() => verdict(authorizer, token));
    expect(value).toBe('ALLOW');
    expect(ms).toBeLessThan(TIMEOUT_MS + 1500);
  });
});

describe('Secrets Manager', () => {
  it('rotated while many invocations are in flight: old and new tokens verify, a bounded number of calls', async () => {
    const before = randomBytes(32);
    const after = randomBytes(32);
    sm.put('mid-flight', before);
    const authorizer = createAuthorizer(parseConfig({ JWT_SECRET_ID: 'mid-flight', JWT_FETCH_TIMEOUT_MS: String(TIMEOUT_MS) }), { now: () => Date.now() + clock.offsetMs });
    const oldTokens = await Promise.all(Array.from({ length: 50 }, () => mint(hmacSigner(before))));
    const newTokens = await Promise.all(Array.from({ length: 50 }, () => mint(hmacSigner(after))));
    expect(await verdict(authorizer, oldTokens[0]!)).toBe('ALLOW');
    sm.resetCalls();
    clock.offsetMs = 1000;
    const inFlight = oldTokens.map((t) => verdict(authorizer, t));
    sm.put('mid-flight', after);
    const verdicts = await Promise.all([...inFlight, ...newTokens.map((t) => verdict(authorizer, t))]);
    expect(new Set(verdicts)).toEqual(new Set(['ALLOW']));
    expect(sm.calls()).toBeLessThanOrEqual(4); // one refetch (AWSCURRENT + AWSPREVIOUS), shared
  });

  it.each(['internal', 'throttle', 'hang', 'access-denied', 'deleted'] as const)('failing with %s never allows a token it cannot verify', async (mode) => {
    sm.put(`failing-${mode}`, randomBytes(32));
    sm.fail(mode);
    const authorizer = createAuthorizer(parseConfig({ JWT_SECRET_ID: `failing-${mode}`, JWT_FETCH_TIMEOUT_MS: String(TIMEOUT_MS) }));
    const { value: decision, ms } = await timed(async () => connect(authorizer, await mint(hmacSigner(randomBytes(32)))));
    expect(decision.response.isAuthenticated).toBe(false);
    expect(decision.record.reason).toBe('KEY_SOURCE_UNAVAILABLE');
    expect(ms).toBeLessThan(TIMEOUT_MS + 1500);
  });
});
