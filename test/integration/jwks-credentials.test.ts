// JWKS endpoints behind credentials (issue 15, single-issuer settings): HTTP Basic and header credentials
// read from Secrets Manager, a private CA, and mutual TLS, against a real local HTTPS server with a CA
// generated at test time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../functions/authorizer/authorizer.ts';
import { parseConfig } from '../../functions/authorizer/config/config.ts';
import { createDevPki, type DevPki } from '../../local/dev-pki.ts';
import { startJwksServer, type JwksServer } from '../../local/jwks-server.ts';
import { startSecretsManager, type SecretsManagerEmulator } from '../../local/secrets-manager-emulator.ts';
import { asymmetricSigner, jwksOf, mint, type Signer } from '../helpers/keys.ts';
import { connect, verdict } from '../helpers/decide.ts';
import { configProblems } from '../helpers/config-problems.ts';

let pki: DevPki;
let signer: Signer;
let sm: SecretsManagerEmulator;
const servers: JwksServer[] = [];

beforeAll(async () => {
  pki = createDevPki();
  signer = await asymmetricSigner('ES256');
  sm = await startSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = sm.endpoint;
});
afterAll(async () => {
  for (const server of servers) await server.close();
  await sm.close();
});

async function serve(options: Parameters<typeof startJwksServer>[1]) {
  const server = await startJwksServer({ json: jwksOf(signer) }, options);
  servers.push(server);
  return server;
}

function authorizerFor(server: JwksServer, env: Record<string, string>) {
  const failures: string[] = [];
  const authorizer = createAuthorizer(parseConfig({ JWT_JWKS_URL: server.url.href, JWT_KEY_REFETCH_COOLDOWN_SECONDS: '0', ...env }), {
    onKeyLoadFailed: (_source, err) => failures.push((err as Error).message),
  });
  return { authorizer, failures };
}

describe('a JWKS endpoint behind credentials', () => {
  it('sends HTTP Basic credentials from a Secrets Manager secret, and is refused without them', async () => {
    const server = await serve({ basicAuth: { username: 'idp-reader', password: 's3cr3t-pw' } });
    sm.put('jwks-basic', JSON.stringify({ username: 'idp-reader', password: 's3cr3t-pw' }));
    const { authorizer, failures } = authorizerFor(server, { JWT_JWKS_AUTH_SECRET_ID: 'jwks-basic' });
    expect(await verdict(authorizer, await mint(signer))).toBe('ALLOW');
    expect(failures).toEqual([]);
    const without = authorizerFor(server, {});
    const { record } = await connect(without.authorizer, await mint(signer));
    expect(record).toMatchObject({ reason: 'KEY_SOURCE_UNAVAILABLE', detail: { cause: 'JWT_JWKS_URL: JWKS endpoint answered HTTP 401' } });
  });

  it('sends headers from a secret (an API key), and never logs them', async () => {
    const server = await serve({ requiredHeader: { name: 'x-api-key', value: 'k-123456' } });
    sm.put('jwks-headers', JSON.stringify({ headers: { 'X-Api-Key': 'k-123456' } }));
    const { authorizer } = authorizerFor(server, { JWT_JWKS_AUTH_SECRET_ID: 'jwks-headers' });
    const { record } = await connect(authorizer, await mint(signer));
    expect(record.decision).toBe('allow');
    expect(JSON.stringify(record)).not.toContain('k-123456');
  });

  it('reads the credentials again after a 401 (a rotated password), at most once per cooldown', async () => {
    const server = await serve({ basicAuth: { username: 'u', password: 'new-password' } });
    sm.put('jwks-rotating', JSON.stringify({ username: 'u', password: 'old-password' }));
    const { authorizer, failures } = authorizerFor(server, { JWT_JWKS_AUTH_SECRET_ID: 'jwks-rotating' });
    expect(await verdict(authorizer, await mint(signer))).toBe('KEY_SOURCE_UNAVAILABLE');
    expect(failures.length).toBeGreaterThan(0);
    expect(new Set(failures)).toEqual(new Set(['JWKS endpoint answered HTTP 401']));
    sm.put('jwks-rotating', JSON.stringify({ username: 'u', password: 'new-password' }));
    expect(await verdict(authorizer, await mint(signer))).toBe('ALLOW');
  });

  it('reads the credentials no more than once per cooldown while the endpoint keeps refusing them', async () => {
    const server = await serve({ basicAuth: { username: 'u', password: 'right' } });
    sm.put('jwks-wrong', JSON.stringify({ username: 'u', password: 'wrong' }));
    const failures: string[] = [];
    const authorizer = createAuthorizer(parseConfig({ JWT_JWKS_URL: server.url.href, JWT_JWKS_AUTH_SECRET_ID: 'jwks-wrong', JWT_KEY_REFETCH_COOLDOWN_SECONDS: '60' }), {
      onKeyLoadFailed: (_source, err) => failures.push((err as Error).message),
    });
    sm.resetCalls();
    for (let i = 0; i < 5; i += 1) expect(await verdict(authorizer, await mint(signer))).toBe('KEY_SOURCE_UNAVAILABLE');
    expect(sm.calls()).toBe(1);
  });

  it('says what is wrong with a credentials secret without quoting it', async () => {
    const server = await serve({});
    sm.put('jwks-bad', JSON.stringify({ user: 'x', pass: 'hunter2' }));
    const { authorizer, failures } = authorizerFor(server, { JWT_JWKS_AUTH_SECRET_ID: 'jwks-bad' });
    const { record } = await connect(authorizer, await mint(signer));
    expect(record.reason).toBe('KEY_SOURCE_UNAVAILABLE');
    expect(failures[0]).toBe('JWT_JWKS_AUTH_SECRET_ID: the secret is neither {"username","password"} nor {"headers":{…}}');
    expect(JSON.stringify(record) + failures.join()).not.toContain('hunter2');
    const missing = authorizerFor(server, { JWT_JWKS_AUTH_SECRET_ID: 'no-such-secret' });
    await connect(missing.authorizer, await mint(signer));
    expect(missing.failures[0]).toMatch(/^JWT_JWKS_AUTH_SECRET_ID could not be read: ResourceNotFoundException/);
  });

  it('trusts a private CA given in JWT_JWKS_CA, and only with it', async () => {
    const server = await serve({ tls: pki.server() });
    expect(await verdict(authorizerFor(server, { JWT_JWKS_CA: pki.ca.cert }).authorizer, await mint(signer))).toBe('ALLOW');
    const { authorizer, failures } = authorizerFor(server, {});
    expect(await verdict(authorizer, await mint(signer))).toBe('KEY_SOURCE_UNAVAILABLE');
    expect(failures[0]).toMatch(/certificate/i);
  });

  it('presents a client certificate from a secret for mutual TLS', async () => {
    const server = await serve({ tls: { ...pki.server(), clientCa: pki.ca.cert } });
    const client = pki.client('iot-jwt-authorizer');
    sm.put('jwks-client-cert', JSON.stringify({ cert: client.cert, key: client.key }));
    const env = { JWT_JWKS_CA: pki.ca.cert, JWT_JWKS_CLIENT_CERT_SECRET_ID: 'jwks-client-cert' };
    expect(await verdict(authorizerFor(server, env).authorizer, await mint(signer))).toBe('ALLOW');
    const without = authorizerFor(server, { JWT_JWKS_CA: pki.ca.cert });
    expect(await verdict(without.authorizer, await mint(signer))).toBe('KEY_SOURCE_UNAVAILABLE');
    // A certificate from another CA is refused at the handshake.
    const stranger = createDevPki('another CA').client('intruder');
    sm.put('jwks-stranger-cert', JSON.stringify(stranger));
    expect(await verdict(authorizerFor(server, { ...env, JWT_JWKS_CLIENT_CERT_SECRET_ID: 'jwks-stranger-cert' }).authorizer, await mint(signer))).toBe('KEY_SOURCE_UNAVAILABLE');
  });

  it('checks the settings at cold start, naming each', () => {
    expect(configProblems({ JWT_JWKS_URL: 'https://idp.example/jwks', JWT_JWKS_CA: 'not a certificate' })).toEqual(['JWT_JWKS_CA: no PEM certificate found (-----BEGIN CERTIFICATE-----)']);
    expect(configProblems({ JWT_JWKS_URL: 'http://127.0.0.1/jwks', JWT_JWKS_CA: pki.ca.cert })).toEqual(['JWT_JWKS_CA: needs an https:// JWT_JWKS_URL']);
    expect(configProblems({ JWT_JWKS: JSON.stringify(jwksOf(signer)), JWT_JWKS_AUTH_SECRET_ID: 'x' })).toEqual(['JWT_JWKS_AUTH_SECRET_ID: set, but JWT_JWKS_URL is not']);
    const broken = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIJ\n-----END CERTIFICATE-----';
    expect(configProblems({ JWT_JWKS_URL: 'https://idp.example/jwks', JWT_JWKS_CA: broken })).toEqual(['JWT_JWKS_CA: a certificate does not parse']);
  });
});
