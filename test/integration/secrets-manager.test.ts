import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createAuthorizer } from '../../functions/authorizer/authorizer.ts';
import { parseConfig } from '../../functions/authorizer/config/config.ts';
import { asymmetricSigner, hmacSigner, mint } from '../helpers/keys.ts';
import { startSecretsManager, type SecretsManagerEmulator } from '../../local/secrets-manager-emulator.ts';
import { verdict } from '../helpers/decide.ts';

let sm: SecretsManagerEmulator;
const clock = { offsetMs: 0 };
const failures: string[] = [];

beforeAll(async () => {
  sm = await startSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = sm.endpoint;
});
afterAll(() => sm.close());
beforeEach(() => {
  sm.fail(undefined);
  sm.resetCalls();
  clock.offsetMs = 0;
  failures.length = 0;
});

function authorizerFor(secretId: string, env: Record<string, string> = {}) {
  const config = parseConfig({ JWT_SECRET_ID: secretId, JWT_FETCH_TIMEOUT_MS: '300', ...env });
  return createAuthorizer(config, {
    now: () => Date.now() + clock.offsetMs,
    onKeyLoadFailed: (_source, err) => failures.push((err as Error).name),
  });
}

const secretText = () => randomBytes(30).toString('base64'); // 40 characters, 40 bytes

describe('keys from AWS Secrets Manager', () => {
  it('verifies HS256 with a raw secret string', async () => {
    const secret = secretText();
    sm.put('raw', secret);
    expect(await verdict(authorizerFor('raw'), await mint(hmacSigner(Buffer.from(secret)), {}, { withKid: false }))).toBe('ALLOW');
  });

  it('verifies HS512 with a base64 secret (JWT_SECRET_FORMAT=hmac-base64)', async () => {
    const bytes = randomBytes(64);
    sm.put('b64', bytes.toString('base64'));
    const authorizer = authorizerFor('b64', { JWT_SECRET_FORMAT: 'hmac-base64' });
    expect(await verdict(authorizer, await mint(hmacSigner(bytes, 'HS512'), {}, { withKid: false }))).toBe('ALLOW');
  });

  it('verifies with a binary secret', async () => {
    const bytes = randomBytes(32);
    sm.put('binary', bytes);
    expect(await verdict(authorizerFor('binary'), await mint(hmacSigner(bytes)))).toBe('ALLOW');
  });

  it.each(['RS256', 'PS256', 'ES256', 'EdDSA'])('verifies %s with a PEM public key, detected', async (alg) => {
    const signer = await asymmetricSigner(alg);
    sm.put(`pem-${alg}`, signer.pem!);
    expect(await verdict(authorizerFor(`pem-${alg}`), await mint(signer))).toBe('ALLOW');
  });

  it('picks one of several HMAC secrets by kid from a JWK Set (emqx#10279)', async () => {
    const a = hmacSigner(randomBytes(32), 'HS256', 'a');
    const b = hmacSigner(randomBytes(32), 'HS256', 'b');
    const ec = await asymmetricSigner('ES256', 'c');
    sm.put('jwks', JSON.stringify({ keys: [a.jwk, b.jwk, ec.jwk] }));
    const authorizer = authorizerFor('jwks');
    expect(await verdict(authorizer, await mint(a))).toBe('ALLOW');
    expect(await verdict(authorizer, await mint(b))).toBe('ALLOW');
    expect(await verdict(authorizer, await mint(ec))).toBe('ALLOW');
    expect(await verdict(authorizer, await mint(hmacSigner(randomBytes(32), 'HS256', 'zzz')))).toBe('KEY_NOT_FOUND');
    // A secret under a known kid that is not that kid's secret.
    expect(await verdict(authorizer, await mint(hmacSigner(randomBytes(32), 'HS256', 'a')))).toBe('SIGNATURE_INVALID');
  });

  it('reads the secret once per cache period, whatever the traffic', async () => {
    const secret = randomBytes(32);
    sm.put('cached', secret);
    const authorizer = authorizerFor('cached', { JWT_SECRET_CACHE_SECONDS: '300' });
    const token = await mint(hmacSigner(secret));
    for (let i = 0; i < 50; i += 1) expect(await verdict(authorizer, token)).toBe('ALLOW');
    expect(sm.calls('AWSCURRENT')).toBe(1);
    clock.offsetMs = 301_000;
    expect(await verdict(authorizer, token)).toBe('ALLOW');
    expect(sm.calls('AWSCURRENT')).toBe(2);
  });

  it('verifies a token signed with a rotated-in secret at once, and the previous one still', async () => {
    const before = randomBytes(32);
    const after = randomBytes(32);
    sm.put('rotating', before);
    const authorizer = authorizerFor('rotating');
    expect(await verdict(authorizer, await mint(hmacSigner(before)))).toBe('ALLOW');
    sm.put('rotating', after);
    clock.offsetMs = 1000; // the refetch cooldown since the previous fetch
    expect(await verdict(authorizer, await mint(hmacSigner(after)))).toBe('ALLOW');
    expect(await verdict(authorizer, await mint(hmacSigner(before)))).toBe('ALLOW');
    expect(sm.calls('AWSCURRENT')).toBe(2);
  });

  it('refuses the AWSPREVIOUS secret with JWT_SECRET_ACCEPT_PREVIOUS=false', async () => {
    const before = randomBytes(32);
    sm.put('strict-rotation', before);
    sm.put('strict-rotation', randomBytes(32));
    const authorizer = authorizerFor('strict-rotation', { JWT_SECRET_ACCEPT_PREVIOUS: 'false' });
    expect(await verdict(authorizer, await mint(hmacSigner(before)))).toBe('SIGNATURE_INVALID');
    expect(sm.calls('AWSPREVIOUS')).toBe(0);
  });

  it('costs at most a few GetSecretValue calls under a flood of bad tokens', async () => {
    sm.put('flooded', randomBytes(32));
    const authorizer = authorizerFor('flooded');
    const bad = await Promise.all(Array.from({ length: 200 }, () => mint(hmacSigner(randomBytes(32)))));
    const verdicts = await Promise.all(bad.map((token) => verdict(authorizer, token)));
    expect(new Set(verdicts)).toEqual(new Set(['SIGNATURE_INVALID']));
    expect(sm.calls('AWSCURRENT')).toBeLessThanOrEqual(2);
  });

  it('keeps the cached secret working when Secrets Manager fails', async () => {
    const secret = randomBytes(32);
    sm.put('outage', secret);
    const authorizer = authorizerFor('outage');
    const token = await mint(hmacSigner(secret));
    expect(await verdict(authorizer, token)).toBe('ALLOW');
    for (const mode of ['internal', 'throttle', 'hang'] as const) {
      sm.fail(mode);
      clock.offsetMs += 400_000; // past the cache period: a refresh is due and fails
      expect(await verdict(authorizer, token)).toBe('ALLOW');
    }
    expect(failures).toHaveLength(3);
  });

  it.each([
    ['hangs', 'hang', 'TimeoutError|AbortError'],
    ['fails', 'internal', 'InternalServiceError'],
    ['throttles', 'throttle', 'ThrottlingException|AbortError'], // the SDK's retry back-off may outlast the 300 ms budget
    ['denies access', 'access-denied', 'AccessDeniedException'],
    ['lost the secret', 'deleted', 'ResourceNotFoundException'],
  ] as const)('denies KEY_SOURCE_UNAVAILABLE, in bounded time, when Secrets Manager %s before any key was read', async (_name, mode, error) => {
    sm.put(`down-${mode}`, randomBytes(32));
    sm.fail(mode);
    const started = Date.now();
    expect(await verdict(authorizerFor(`down-${mode}`), await mint(hmacSigner(randomBytes(32))))).toBe('KEY_SOURCE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(3000); // IoT's limit is 5 s; the fetch timeout here is 300 ms
    expect(failures[0]).toMatch(new RegExp(error));
  });

  it('recovers by itself once Secrets Manager is back', async () => {
    const secret = randomBytes(32);
    sm.put('recovers', secret);
    sm.fail('internal');
    const authorizer = authorizerFor('recovers');
    const token = await mint(hmacSigner(secret));
    expect(await verdict(authorizer, token)).toBe('KEY_SOURCE_UNAVAILABLE');
    sm.fail(undefined);
    clock.offsetMs = 1000;
    expect(await verdict(authorizer, token)).toBe('ALLOW');
  });

  it('denies KEY_SOURCE_UNAVAILABLE when the secret holds nothing usable', async () => {
    sm.put('short', 'emqxsecret'); // 10 bytes: under RFC 7518's 32-byte minimum for HS256
    expect(await verdict(authorizerFor('short'), await mint(hmacSigner(Buffer.from('emqxsecret'))))).toBe('KEY_SOURCE_UNAVAILABLE');
    expect(failures).toEqual(['KeyMaterialError']);
  });
});
