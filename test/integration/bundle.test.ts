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
const { event, context } = JSON.parse(process.env.TEST_INVOCATION);
const response = await handler(event, { ...context, getRemainingTimeInMillis: () => 5000 });
console.log('RESPONSE ' + JSON.stringify(response));
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

function invokeBundle(env: Record<string, string>, token: string, clientId = 'dev-1', cwd = folder): Promise<Run> {
  const { getRemainingTimeInMillis: _ignored, ...context } = lambdaContext();
  const invocation = JSON.stringify({ event: connectEvent({ password: token, username: 'u', clientId }), context });
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
const logLines = (run: Run) => `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the built bundle', () => {
  it('has no node_modules to lean on', () => {
    expect(existsSync(join(folder, 'node_modules'))).toBe(false);
  });

  it('allows a good token and writes one JSON log line with the decision', async () => {
    const token = await mint(signer, { sub: 'dev-1', iss: 'https://idp' });
    const run = await invokeBundle({ JWT_JWKS: JSON.stringify(jwksOf(signer)) }, token);
    expect(run.code).toBe(0);
    expect(responseOf(run)).toMatchObject({ isAuthenticated: true, principalId: expect.stringMatching(/^dev1[0-9a-f]{32}$/), policyDocuments: [{ Statement: [{ Action: 'iot:Connect' }] }] });
    const [line, ...rest] = logLines(run);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      level: 'INFO', message: 'connect allowed', decision: 'allow', clientId: 'dev-1', sub: 'dev-1', iss: 'https://idp',
      kid: signer.kid, alg: 'ES256', connectionId: expect.any(String), durationMs: expect.any(Number), function_request_id: expect.any(String),
    });
    for (const part of token.split('.')) expect(run.stdout).not.toContain(part);
  });

  it('denies with a reason in a WARN line', async () => {
    const other = await asymmetricSigner('ES256');
    const run = await invokeBundle({ JWT_JWKS: JSON.stringify(jwksOf(signer)) }, await mint(other));
    expect(responseOf(run)).toMatchObject({ isAuthenticated: false, policyDocuments: [] });
    expect(logLines(run)[0]).toMatchObject({ level: 'WARN', message: 'connect denied', decision: 'deny', reason: 'KEY_NOT_FOUND' });
  });

  it('reads keys from Secrets Manager (the SDK is inside the bundle)', async () => {
    const secret = randomBytes(32);
    sm.put('bundle-secret', secret);
    const run = await invokeBundle({ JWT_SECRET_ID: 'bundle-secret', AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint }, await mint(hmacSigner(secret)));
    expect(run.stderr).toBe('');
    expect(responseOf(run)).toMatchObject({ isAuthenticated: true });
    expect(sm.calls()).toBeGreaterThan(0);
  });

  it('never needs the Secrets Manager client without JWT_SECRET_ID: its chunk can be missing', async () => {
    const lean = mkdtempSync(join(tmpdir(), 'authorizer-lean-'));
    try {
      cpSync(folder, lean, { recursive: true });
      const chunks = readdirSync(join(lean, 'chunks')).filter((f) => f.endsWith('.mjs'));
      const sdk = chunks.filter((f) => readFileSync(join(lean, 'chunks', f), 'utf8').includes('GetSecretValue'));
      expect(sdk.length).toBeGreaterThan(0);
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
