// The commands a user runs: `npm start` (the local broker with the development key) and the CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { startSecretsManager, type SecretsManagerEmulator } from '../../local/secrets-manager-emulator.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Only what a user's shell has: no JWT_* configuration at all.
const ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('JWT_')));

type Run = { code: number; stdout: string; stderr: string };

function run(args: string[], env: Record<string, string> = {}, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, args, { cwd: ROOT, env: { ...ENV, ...env }, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    if (input !== undefined) child.stdin?.end(input);
  });
}

const cli = (args: string[], input?: string, env: Record<string, string> = {}) => run(['local/cli.mjs', ...args], env, input);

// Neither a stack trace nor (minified) source: what a user should see for a mistake of theirs.
const expectNoStack = (output: string) => {
  expect(output).not.toMatch(/^\s+at /m);
  expect(output).not.toMatch(/\^\s*$/m);
  expect(output.length).toBeLessThan(5000);
};

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

  it('prints its usage on an unknown command', async () => {
    const result = await cli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage:');
  });

  it('13.9 --help exits 0; an unknown or malformed option prints one line and the usage', async () => {
    for (const args of [['--help'], ['token', '--help'], ['explain', '-h']]) {
      const result = await cli(args);
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

describe('13.7 a bad JWT_* value in npm start and npm run invoke', () => {
  it.each([
    ['npm start', ['--import', 'tsx', 'local/start.ts']],
    ['npm run invoke', ['--import', 'tsx', 'scripts/invoke.ts']],
  ])('%s prints the problems, each naming its variable, and exits 2', async (_name, args) => {
    const result = await run(args, { JWT_CLOCK_SKEW_SECONDS: 'soon', JWT_FORM: 'password', MQTT_PORT: '0', MQTT_WS_PORT: '0', IOT_HTTP_PORT: '0' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^invalid configuration:$/m);
    expect(result.stderr).toMatch(/^- JWT_CLOCK_SKEW_SECONDS: expected a whole number/m);
    expect(result.stderr).toMatch(/^- JWT_FORM: unknown setting \(a typo\?\)$/m);
    expectNoStack(result.stderr);
  });
});

describe('13.9 npm run invoke tells allow from deny by its exit code', () => {
  it('exits 0 on an allow and 1 on a deny', async () => {
    expect((await run(['--import', 'tsx', 'scripts/invoke.ts'])).code).toBe(0);
    const denied = await run(['--import', 'tsx', 'scripts/invoke.ts', '--token', 'not-a-token']);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toContain('"isAuthenticated": false');
    expect((await run(['--import', 'tsx', 'scripts/invoke.ts', '--help'])).code).toBe(0);
    const unknown = await run(['--import', 'tsx', 'scripts/invoke.ts', '--frob']);
    expect(unknown.code).toBe(2);
    expectNoStack(unknown.stderr);
  });
});

/** Runs `npm start`'s script until it prints its Ctrl-C line (or exits), then stops it. */
async function startStack(env: Record<string, string>, use: (stderr: string) => Promise<void> = async () => {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { cwd: ROOT, env: { ...ENV, MQTT_PORT: '0', MQTT_WS_PORT: '0', IOT_HTTP_PORT: '0', ...env } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await Promise.race([
    new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start within 15 s:\n${stderr}`)), 15_000);
      child.stderr.on('data', () => { if (stderr.includes('Ctrl-C')) { clearTimeout(timer); resolve(true); } });
      child.once('exit', () => clearTimeout(timer));
    }),
    exited.then(() => false),
  ]);
  try {
    if (ready) await use(stderr);
  } finally {
    if (ready) child.kill('SIGINT');
  }
  return { code: await exited, stderr };
}

describe('13.8 npm start with a port taken', () => {
  let blocker: Server;
  let taken: number;
  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    taken = (blocker.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it.each(['MQTT_PORT', 'MQTT_WS_PORT', 'IOT_HTTP_PORT'])('says which port and which variable moves it (%s)', async (variable) => {
    const { code, stderr } = await startStack({ [variable]: String(taken) });
    expect(code).toBe(2);
    expect(stderr).toContain(`port ${taken} is in use: set ${variable} to a free port, or 0 for any free port`);
    expectNoStack(stderr);
  });
});

describe('15: npm start with a JWKS endpoint behind credentials (LOCAL_JWKS_AUTH)', () => {
  it('fetches the development key over HTTPS from a local CA with Basic credentials and a client certificate from Secrets Manager', async () => {
    const { code } = await startStack({ LOCAL_JWKS_AUTH: 'basic,mtls' }, async (stderr) => {
      expect(stderr).toContain('The JWKS endpoint demands HTTPS from a local CA, HTTP Basic credentials and a client certificate');
      expect(stderr).not.toContain('Note:');
      const url = /listening on (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
      const token = /mqtt sub .* -P '([^']+)'/.exec(stderr)![1]!;
      const client = await mqtt.connectAsync(url, { clientId: 'dev-device-1', username: 'dev-device-1', password: token, reconnectPeriod: 0, connectTimeout: 3000 });
      await client.endAsync();
    });
    expect(code).toBe(0);
    expect((await startStack({ LOCAL_JWKS_AUTH: 'kerberos' })).stderr).toContain('LOCAL_JWKS_AUTH: kerberos (expected basic, mtls or both)');
  });
});

describe('13.12 npm start under the user\'s own claim settings', () => {
  it('prints try-it commands whose tokens pass JWT_ISSUER, JWT_AUDIENCE and JWT_VERIFY_CLAIMS', async () => {
    const env = { JWT_ISSUER: 'https://devices.example.com', JWT_AUDIENCE: 'mqtt', JWT_VERIFY_CLAIMS: '{"sub":"${clientid}","tenant":"acme"}' };
    const { code } = await startStack(env, async (stderr) => {
      const url = /listening on (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
      expect(stderr).not.toContain('Note:');
      const sub = /mqtt sub .* -P '([^']+)'/.exec(stderr)![1]!;
      const pub = /mqtt pub .* -P '([^']+)'/.exec(stderr)![1]!;
      const subscriber = await mqtt.connectAsync(url, { clientId: 'dev-device-1', username: 'dev-device-1', password: sub, reconnectPeriod: 0, connectTimeout: 3000 });
      const publisher = await mqtt.connectAsync(url, { clientId: 'dev-device-2', username: 'dev-device-2', password: pub, reconnectPeriod: 0, connectTimeout: 3000 });
      await subscriber.subscribeAsync('demo/#');
      const received = new Promise<string>((resolve) => subscriber.once('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)));
      await publisher.publishAsync('demo/hello', 'hi');
      expect(await received).toBe('demo/hello hi');
      await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
    });
    expect(code).toBe(0);
  });

  it('says plainly when the configuration refuses what the development key can sign', async () => {
    const { code, stderr } = await startStack({ JWT_ALGORITHMS: 'RS256' });
    expect(code).toBe(0);
    expect(stderr).toMatch(/Note: your JWT_\* settings deny these tokens \(ALG_NOT_ALLOWED/);
  });
});

describe('npm start', () => {
  it('starts a broker on a free port, prints a token that connects, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { cwd: ROOT, env: { ...ENV, MQTT_PORT: '0', MQTT_WS_PORT: '0', IOT_HTTP_PORT: '0' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start within 15 s:\n${stderr}`)), 15_000);
        child.stderr.on('data', () => { if (stderr.includes('Ctrl-C')) { clearTimeout(timer); resolve(); } });
      });
      const url = /listening on (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
      const token = /^(eyJ[\w-]+\.[\w-]+\.[\w-]+)$/m.exec(stderr)![1]!;
      const client = await mqtt.connectAsync(url, { clientId: 'dev-device-1', username: 'dev-device-1', password: token, reconnectPeriod: 0, connectTimeout: 3000 });
      await client.subscribeAsync('demo/#');
      const received = new Promise<string>((resolve) => client.once('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)));
      await client.publishAsync('demo/hello', 'hi');
      expect(await received).toBe('demo/hello hi');
      await client.endAsync();
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  });
});
