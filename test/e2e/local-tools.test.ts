// The commands a user runs: `npm start` (the local broker with the development key) and the CLI.
import { describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Only what a user's shell has: no JWT_* configuration at all.
const ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('JWT_')));

function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['local/cli.mjs', ...args], { cwd: ROOT, env: ENV, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    if (input !== undefined) child.stdin?.end(input);
  });
}

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
    const asJson = JSON.parse((await cli(['explain', '--client-id', 'dev-42', '--json'], token)).stdout);
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
    const run = await cli(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage:');
  });
});

describe('npm start', () => {
  it('starts a broker on a free port, prints a token that connects, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { cwd: ROOT, env: { ...ENV, MQTT_PORT: '0', MQTT_WS_PORT: '0' } });
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
