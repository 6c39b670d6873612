// The commands a user runs: the CLI (explain, token), with the development key and with the user's own keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSecretsManager, type SecretsManagerEmulator } from '../../local/secrets-manager-emulator.ts';
import { cli, expectNoStack, ROOT } from '../helpers/processes.ts';

describe('npx iot-jwt-authorizer', () => {
  it('mints a development token and explains it: decision, claims and policy', async () => {
    const minted = await cli(['token', '--client-id', 'dev-42', '--acl', '{"pub":["devices/${clientid}/#"]}', '--claims', '{"env":"dev"}']);
    expect(minted.code).toBe(0);
    const token = minted.stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const explained = await cli(['explain', token, '--client-id', 'dev-42']);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toMatch(/^ALLOW {2}client dev-42/);
    expect(explained.stdout).toContain('"env": "dev"');
    expect(explained.stdout).toContain('arn:aws:iot:us-east-1:123456789012:topic/devices/dev-42/*');
    const asJson = JSON.parse((await cli(['explain', '--client-id', 'dev-42', '--json'], token)).stdout) as unknown;
    expect(asJson).toMatchObject({ decision: 'allow', claims: { sub: 'dev-42', env: 'dev' }, response: { isAuthenticated: true } });
  });

  it('explains a deny with its reason, and exits 1', async () => {
    const token = (await cli(['token', '--ttl', '60'])).stdout.trim();
    const explained = await cli(['explain', token]);
    expect(explained.code).toBe(1);
    expect(explained.stdout).toMatch(/^DENY {3}EXPIRES_TOO_SOON/);
    expect((await cli(['explain', 'not-a-token'])).stdout).toMatch(/^DENY {3}TOKEN_MALFORMED/);
  });

  it('14: explains a WebSocket upgrade and an HTTPS publish (--protocol, --header, --query)', async () => {
    const token = (await cli(['token', '--client-id', 'web-1', '--acl', '{"pub":["demo/#"]}'])).stdout.trim();
    const all = { JWT_FROM: 'password,query:token,header:authorization' };
    const https = await cli(['explain', token, '--protocol', 'https', '--json'], undefined, all);
    expect(https.code).toBe(0);
    const decided = JSON.parse(https.stdout) as { response: { policyDocuments: Array<{ Statement: Array<{ Action: string }> }> } };
    expect(decided.response.policyDocuments.flatMap((d) => d.Statement).map((s) => s.Action)).not.toContain('iot:Connect');
    // The token given in --query, as a browser sends it.
    const wss = await cli(['explain', '--protocol', 'wss', '--client-id', 'web-1', '--query', `?x-amz-customauthorizer-name=JwtAuthorizer&token=${token}`], undefined, all);
    expect(wss.stdout).toMatch(/^ALLOW {2}client web-1/);
    const header = await cli(['explain', '--protocol', 'wss', '--client-id', 'web-1', '--header', `Authorization=Bearer ${token}`], undefined, all);
    expect(header.stdout).toMatch(/^ALLOW/);
    const twice = await cli(['explain', '--protocol', 'wss', '--client-id', 'web-1', '--query', `?token=${token}&token=${token}`], undefined, all);
    expect(twice.stdout).toMatch(/^DENY {3}TOKEN_MALFORMED/);
  });

  it('14: says plainly when a protocol cannot carry the token or an option does not fit it', async () => {
    const token = (await cli(['token'])).stdout.trim();
    for (const [args, message] of [
      [['--protocol', 'https'], 'JWT_FROM has no source a https client can carry the token in'],
      [['--protocol', 'carrier-pigeon'], '--protocol: expected one of mqtt, wss, https'],
      [['--header', 'a=b'], '--header needs --protocol wss or https'],
      [['--protocol', 'wss', '--header', 'novalue'], '--header: expected NAME=VALUE'],
    ] as const) {
      const result = await cli(['explain', token, ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expectNoStack(result.stderr);
    }
  });

  it('prints its usage on an unknown command', async () => {
    const result = await cli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage:');
  });

  it('13.9 --help exits 0; an unknown or malformed option prints one line and the usage', async () => {
    for (const result of await Promise.all([['--help'], ['token', '--help'], ['explain', '-h']].map((args) => cli(args)))) {
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('usage:');
    }
    const unknown = await cli(['token', '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toMatch(/Unknown option '--frobnicate'/);
    expect(unknown.stderr).toContain('usage:');
    expectNoStack(unknown.stderr);
    const malformed = await cli(['token', '--ttl']);
    expect(malformed.code).toBe(2);
    expectNoStack(malformed.stderr);
    expect((await cli(['token', '--claims', '[1'])).stderr).toBe('--claims: not a JSON object\n');
  });

  it('13.9 token --claims keeps the exp it is given', async () => {
    const exp = Math.floor(Date.now() / 1000) + 7777;
    const token = (await cli(['token', '--claims', JSON.stringify({ exp, iat: 1_700_000_000 })])).stdout.trim();
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({ exp, iat: 1_700_000_000 });
  });

  it('13.10 explains a CLAIM_MISMATCH with the expected (placeholders filled) and the actual value', async () => {
    const token = (await cli(['token', '--sub', 'someone-else'])).stdout.trim();
    const explained = await cli(['explain', token, '--client-id', 'dev-9'], undefined, { JWT_VERIFY_CLAIMS: '{"sub":"${clientid}"}' });
    expect(explained.code).toBe(1);
    expect(explained.stdout).toContain('claim  sub: expected "dev-9", the token has "someone-else"');
  });

  it('15: names the issuer profile that decided', async () => {
    const { readFileSync } = await import('node:fs');
    const key = JSON.parse(readFileSync(join(ROOT, '.dev/dev-key.json'), 'utf8')) as { publicJwk: object };
    const token = (await cli(['token', '--claims', '{"iss":"https://devices.example"}'])).stdout.trim();
    const env = { JWT_ISSUERS: JSON.stringify([{ issuer: 'https://devices.example', jwks: { keys: [key.publicJwk] } }]) };
    const explained = await cli(['explain', token], undefined, env);
    expect(explained.stdout).toMatch(/^ALLOW/);
    expect(explained.stdout).toContain('issuer profile "https://devices.example" decided');
  });

  it('13.10 says where the key came from by its setting', async () => {
    const token = (await cli(['token'])).stdout.trim();
    expect((await cli(['explain', token])).stdout).toMatch(/verified by JWT_JWKS$/m);
  });
});

describe('13.11 token with the user\'s own key', () => {
  let sm: SecretsManagerEmulator;
  let dir: string;
  beforeAll(async () => {
    sm = await startSecretsManager();
    dir = mkdtempSync(join(tmpdir(), 'iot-jwt-keys-'));
  });
  afterAll(() => sm.close());
  const smEnv = () => ({ AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint });

  it('signs with the HMAC secret in Secrets Manager (--secret-id), which the function then accepts', async () => {
    sm.put('fleet-signing', randomBytes(48).toString('base64'));
    const minted = await cli(['token', '--secret-id', 'fleet-signing', '--client-id', 'dev-7'], undefined, smEnv());
    expect(minted.stderr).toBe('');
    const token = minted.stdout.trim();
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'HS256' });
    const explained = await cli(['explain', token, '--client-id', 'dev-7'], undefined, { ...smEnv(), JWT_SECRET_ID: 'fleet-signing' });
    expect(explained.stdout).toMatch(/^ALLOW/);
    expect(explained.stdout).toMatch(/verified by JWT_SECRET_ID:AWSCURRENT$/m);
    const missing = await cli(['token', '--secret-id', 'nope'], undefined, smEnv());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^cannot read the secret nope: ResourceNotFoundException/);
  });

  it('signs with a secret file (--secret-file) and a PEM private key (--private-key)', async () => {
    const secretFile = join(dir, 'secret.txt');
    writeFileSync(secretFile, randomBytes(64).toString('base64'));
    const hs = (await cli(['token', '--secret-file', secretFile, '--secret-format', 'hmac-base64', '--alg', 'HS512'])).stdout.trim();
    sm.put('file-copy', (await import('node:fs')).readFileSync(secretFile, 'utf8'));
    expect((await cli(['explain', hs], undefined, { ...smEnv(), JWT_SECRET_ID: 'file-copy', JWT_SECRET_FORMAT: 'hmac-base64' })).stdout).toMatch(/^ALLOW/);

    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const keyFile = join(dir, 'device-signer.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const es = (await cli(['token', '--private-key', keyFile, '--kid', 'signer-1'])).stdout.trim();
    expect(JSON.parse(Buffer.from(es.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'ES384', kid: 'signer-1' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect((await cli(['explain', es], undefined, { JWT_PUBLIC_KEY: pem })).stdout).toMatch(/^ALLOW/);
    expect((await cli(['token', '--private-key', keyFile, '--alg', 'RS256'])).stderr).toMatch(/signs ES384, not RS256/);
  });
});
