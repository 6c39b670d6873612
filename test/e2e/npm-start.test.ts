// The commands a user runs: `npm start` (the local broker with the development key) and `npm run invoke`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import mqtt from 'mqtt';
import { spawn } from 'node:child_process';
import { ENV, expectNoStack, ROOT, run, startStack } from '../helpers/processes.ts';

describe('13.7 a bad JWT_* value in npm start and npm run invoke', () => {
  it.each([
    ['npm start', ['--import', 'tsx', 'local/start.ts']],
    ['npm run invoke', ['--import', 'tsx', 'scripts/invoke.ts']],
  ])('%s prints the problems, each naming its variable, and exits 2', async (_name, args) => {
    const result = await run(args, { JWT_CLOCK_SKEW_SECONDS: 'soon', JWT_FORM: 'password', MQTT_PORT: '0', MQTT_WS_PORT: '0', IOT_HTTP_PORT: '0', MQTT_TLS_PORT: '0' });
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

  it('14: builds the event of an HTTPS publish or a WebSocket upgrade (--protocol)', async () => {
    const https = await run(['--import', 'tsx', 'scripts/invoke.ts', '--protocol', 'https'], { JWT_FROM: 'header:authorization' });
    expect(https.code).toBe(0);
    expect(https.stdout).not.toContain('iot:Connect');
    const wss = await run(['--import', 'tsx', 'scripts/invoke.ts', '--protocol', 'wss'], { JWT_FROM: 'query:token' });
    expect(wss.code).toBe(0);
    expect(wss.stdout).toContain('iot:Connect');
    const nowhere = await run(['--import', 'tsx', 'scripts/invoke.ts', '--protocol', 'https']);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain('JWT_FROM has no source a https client can carry the token in');
  });
});

describe('13.8 npm start with a port taken', () => {
  let blocker: Server;
  let taken: number;
  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    taken = (blocker.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it.each(['MQTT_PORT', 'MQTT_WS_PORT', 'IOT_HTTP_PORT', 'MQTT_TLS_PORT'])('says which port and which variable moves it (%s)', async (variable) => {
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
      const url = /MQTT over TCP +(mqtt:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
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
      const url = /MQTT over TCP +(mqtt:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
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
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { cwd: ROOT, env: { ...ENV, MQTT_PORT: '0', MQTT_WS_PORT: '0', IOT_HTTP_PORT: '0', MQTT_TLS_PORT: '0' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start within 15 s:\n${stderr}`)), 15_000);
        child.stderr.on('data', () => { if (stderr.includes('Ctrl-C')) { clearTimeout(timer); resolve(); } });
      });
      const url = /MQTT over TCP +(mqtt:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
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

describe('14: what npm start prints for each kind of client works as printed', () => {
  it('the AWS IoT Device SDK v2 snippet connects over TLS; the curl line publishes; the page URL serves the page', async () => {
    const { code } = await startStack({}, async (stderr) => {
      const token = /mqtt sub .* -P '([^']+)'/.exec(stderr)![1]!;
      const snippet = /(const config = iot\.[\s\S]*?client\.start\(\);)/.exec(stderr)?.[1];
      expect(snippet, 'the printed SDK snippet').toBeDefined();
      const program = `import { iot, mqtt5 } from 'aws-iot-device-sdk-v2';
const TOKEN = process.env.TOKEN;
${snippet}
const done = (line) => { console.log(line); client.stop(); };
client.on('connectionSuccess', () => done('connected'));
client.on('connectionFailure', (event) => done(\`failed \${event.connack?.reasonCode ?? event.error}\`));
client.on('stopped', () => { client.close(); process.exit(0); });
setTimeout(() => done('timed out'), 8000).unref();`;
      const sdk = await new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', program], { cwd: ROOT, env: { ...ENV, TOKEN: token } });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
        child.once('exit', () => resolve(out.trim()));
      });
      expect(sdk).toBe('connected');
      const curl = /^ {2}(curl -X POST .*)$/m.exec(stderr)![1]!;
      const published = await new Promise<string>((resolve) => {
        const child = spawn('bash', ['-c', `${curl} -sS`], { env: ENV });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
        child.once('exit', () => resolve(out));
      });
      expect(JSON.parse(published)).toMatchObject({ message: 'OK' });
      const page = /^ {2}(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m.exec(stderr)![1]!;
      expect(await (await fetch(page)).text()).toContain('Connect with a JWT over WebSocket');
    });
    expect(code).toBe(0);
  }, 40_000);
});
