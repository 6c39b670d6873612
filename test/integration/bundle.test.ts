// The deployable alone: dist/authorizer copied to an empty folder, run by plain node without node_modules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { asymmetricSigner, hmacSigner, jwksOf, mint, type Signer } from '../helpers/keys.ts';
import { connectEvent, lambdaContext } from '../../local/iot-event.ts';
import { startSecretsManager, type SecretsManagerEmulator } from '../../local/secrets-manager-emulator.ts';

const DIST = fileURLToPath(new URL('../../dist/authorizer/', import.meta.url));
const RUNNER = `
import { handler } from './index.mjs';
const { events, context } = JSON.parse(process.env.TEST_INVOCATION);
for (const event of events) {
  const response = await handler(event, { ...context, getRemainingTimeInMillis: () => 5000 });
  console.log('RESPONSE ' + JSON.stringify(response));
}
`;

let folder: string;
let signer: Signer;
let sm: SecretsManagerEmulator;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'authorizer-bundle-'));
  cpSync(DIST, folder, { recursive: true });
  writeFileSync(join(folder, 'run.mjs'), RUNNER);
  signer = await asymmetricSigner('ES256');
  sm = await startSecretsManager();
});
afterAll(async () => {
  rmSync(folder, { recursive: true, force: true });
  await sm.close();
});

interface Run { code: number | null; stdout: string; stderr: string }

function invokeBundle(env: Record<string, string>, token: string | string[], clientId = 'dev-1', cwd = folder, username = 'u'): Promise<Run> {
  const { getRemainingTimeInMillis: _ignored, ...context } = lambdaContext();
  const events = [token].flat().map((t) => connectEvent({ password: t, username, clientId }));
  const invocation = JSON.stringify({ events, context });
  // Only what a Lambda environment has: no NODE_PATH, no project node_modules above the folder.
  const base = { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  return new Promise((resolve) => {
    execFile(process.execPath, ['run.mjs'], { cwd, env: { ...base, ...env, TEST_INVOCATION: invocation }, timeout: 15_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
}

const responseOf = (run: Run) => JSON.parse(run.stdout.split('\n').find((l) => l.startsWith('RESPONSE '))!.slice(9));
// Powertools writes WARN and ERROR through console.warn/error (stderr); Lambda sends both to CloudWatch.
const rawLines = (run: Run) => `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l.startsWith('{'));
const logLines = (run: Run) => rawLines(run).map((l) => JSON.parse(l) as Record<string, unknown>);
// What CloudWatch bills for a line: its UTF-8 bytes plus 26 bytes of overhead per event.
const billedBytes = (line: string) => Buffer.byteLength(line) + 26;

describe('the built bundle', () => {
  it('has no node_modules to lean on', () => {
    expect(existsSync(join(folder, 'node_modules'))).toBe(false);
  });

  it('allows a good token and writes one compact JSON line: who, which key, how long, IoT\'s connection id', async () => {
    const token = await mint(signer, { sub: 'dev-1', iss: 'https://idp' });
    const run = await invokeBundle({ JWT_JWKS: JSON.stringify(jwksOf(signer)) }, token);
    expect(run.code).toBe(0);
    expect(responseOf(run)).toMatchObject({ isAuthenticated: true, principalId: expect.stringMatching(/^dev1[0-9a-f]{32}$/), policyDocuments: [{ Statement: [{ Action: 'iot:Connect' }] }] });
    const [line, ...rest] = logLines(run);
    expect(rest).toEqual([]);
    expect(line).toEqual({ level: 'INFO', msg: 'allow', client: 'dev-1', sub: 'dev-1', iss: 'https://idp', kid: signer.kid, ms: expect.any(Number), conn: expect.any(String), cold: true });
    for (const part of token.split('.')) expect(run.stdout).not.toContain(part);
  });

  it('denies with the reason and a short detail in a WARN line', async () => {
    const other = await asymmetricSigner('ES256');
    const run = await invokeBundle({ JWT_JWKS: JSON.stringify(jwksOf(signer)) }, await mint(other));
    expect(responseOf(run)).toMatchObject({ isAuthenticated: false, policyDocuments: [] });
    expect(logLines(run)[0]).toMatchObject({ level: 'WARN', msg: 'deny', client: 'dev-1', reason: 'KEY_NOT_FOUND', kid: other.kid, detail: { alg: 'ES256' }, conn: expect.any(String) });
  });

  it('17: keeps an allow within 250 billed bytes and a deny within 400, with 24-character ids and a 20-character iss', async () => {
    const id = 'device-0123456789abcdefg';
    const iss = 'https://idp.example.c';
    const acl = { all: ['fleet/${clientid}/#', '$aws/things/${clientid}/shadow/#'], sub: ['fleet/broadcast/#'] };
    const good = await mint(signer, { sub: id, iss, acl });
    const expired = await mint(signer, { sub: id, iss }, { ttl: -100 });
    const other = await mint(await asymmetricSigner('ES256', signer.kid), { sub: id, iss });
    const env = { JWT_JWKS: JSON.stringify(jwksOf(signer)), JWT_VERIFY_CLAIMS: '{"sub":"${clientid}"}' };
    const run = await invokeBundle(env, [good, good, expired, other, 'e30.e30.e30', await mint(signer, { sub: 'someone-else-entirely-xx', iss })], id, folder, id);
    const lines = rawLines(run);
    expect(lines).toHaveLength(6);
    const [coldAllow, allow, ...denies] = lines;
    expect(JSON.parse(coldAllow!)).toMatchObject({ cold: true });
    expect(billedBytes(allow!)).toBeLessThanOrEqual(250);
    expect(JSON.parse(allow!)).not.toHaveProperty('cold');
    for (const deny of denies) expect(billedBytes(deny), deny).toBeLessThanOrEqual(400);
    expect(denies.map((d) => (JSON.parse(d) as { reason: string }).reason)).toEqual(['TOKEN_EXPIRED', 'SIGNATURE_INVALID', 'TOKEN_MALFORMED', 'CLAIM_MISMATCH']);
    // Nothing secret, and none of the bulky fields of the old line.
    for (const token of [good, expired, other]) for (const part of token.split('.')) expect(run.stdout + run.stderr).not.toContain(part);
    for (const bulky of ['policyDocuments', 'Statement', 'function_arn', 'function_request_id', 'timestamp', 'service']) expect(lines.join('')).not.toContain(bulky);
  });

  it('17: bounds a line even with the longest values the checks let through', async () => {
    const id = 'd'.repeat(128); // IoT's client id limit
    const token = await mint(signer, { sub: 's'.repeat(2000), iss: 'i'.repeat(2000) }, { header: { kid: signer.kid } });
    const run = await invokeBundle({ JWT_JWKS: JSON.stringify(jwksOf(signer)) }, [token, 'x'.repeat(3000)], id, folder, 'u'.repeat(3000));
    for (const line of rawLines(run)) expect(billedBytes(line)).toBeLessThanOrEqual(700);
  });

  it('17: JWT_LOG_ALLOWS=false writes denies only (and the cold start\'s line, which the dashboard counts)', async () => {
    const good = await mint(signer, { sub: 'dev-1' });
    const run = await invokeBundle({ JWT_JWKS: JSON.stringify(jwksOf(signer)), JWT_LOG_ALLOWS: 'false' }, [good, good, good, 'bad']);
    expect(logLines(run).map((l) => `${l.msg}${l.cold ? ' cold' : ''}`)).toEqual(['allow cold', 'deny']);
  });

  it('17: at DEBUG writes everything for troubleshooting: the token\'s rules, the policy, the key\'s origin, the timers', async () => {
    const acl = { pub: ['devices/${clientid}/#'] };
    const run = await invokeBundle({ JWT_JWKS: JSON.stringify(jwksOf(signer)), POWERTOOLS_LOG_LEVEL: 'DEBUG' }, await mint(signer, { sub: 'dev-1', acl }));
    const line = logLines(run).find((l) => l.msg === 'allow')!;
    expect(line).toMatchObject({
      keyOrigin: 'JWT_JWKS', alg: 'ES256', username: 'u', tokenRules: { acl }, rules: { source: 'token', count: 1, exact: true },
      disconnectAfterInSeconds: expect.any(Number), policy: [{ Statement: expect.arrayContaining([expect.objectContaining({ Action: 'iot:Connect' })]) }],
    });
  });

  it('reads keys from Secrets Manager (the SDK is inside the bundle)', async () => {
    const secret = randomBytes(32);
    sm.put('bundle-secret', secret);
    const run = await invokeBundle({ JWT_SECRET_ID: 'bundle-secret', AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint }, await mint(hmacSigner(secret)));
    expect(run.stderr).toBe('');
    expect(responseOf(run)).toMatchObject({ isAuthenticated: true });
    expect(sm.calls()).toBeGreaterThan(0);
  });

  it('never needs the AWS client (signer, HTTP handler, retries) without JWT_SECRET_ID and JWT_REVOCATION_TABLE: its chunks can be missing', async () => {
    const lean = mkdtempSync(join(tmpdir(), 'authorizer-lean-'));
    try {
      cpSync(folder, lean, { recursive: true });
      const chunks = readdirSync(join(lean, 'chunks')).filter((f) => f.endsWith('.mjs'));
      const read = (f: string) => readFileSync(join(lean, 'chunks', f), 'utf8');
      // The JSON-protocol client sets x-amz-target and signs with aws4_request; the SDK's pieces it imports come with it.
      const sdk = chunks.filter((f) => read(f).includes('x-amz-target') || read(f).includes('aws4_request'));
      expect(sdk.length).toBeGreaterThan(0);
      expect(readFileSync(join(lean, 'index.mjs'), 'utf8')).not.toContain('aws4_request');
      for (const file of sdk) rmSync(join(lean, 'chunks', file));
      const run = await invokeBundle({ JWT_JWKS: JSON.stringify(jwksOf(signer)) }, await mint(signer, { sub: 'dev-1' }), 'dev-1', lean);
      expect(responseOf(run)).toMatchObject({ isAuthenticated: true });
    } finally {
      rmSync(lean, { recursive: true, force: true });
    }
  });

  it('fails the cold start on a bad setting, naming the variable', async () => {
    const run = await invokeBundle({ JWT_JWKS: JSON.stringify(jwksOf(signer)), JWT_CLOCK_SKEW_SECONDS: 'thirty', JWT_FORM: 'password' }, 'x');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('JWT_CLOCK_SKEW_SECONDS: expected a whole number');
    expect(run.stderr).toContain('JWT_FORM: unknown setting');
  });
});
