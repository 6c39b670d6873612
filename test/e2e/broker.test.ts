// End to end: a real MQTT client (mqtt.js) against the local broker, which runs the built authorizer
// bundle as AWS IoT Core would and enforces the policy it returns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { LocalBroker } from '../../local/broker.ts';
import { asymmetricSigner, jwksOf, mint, type Signer } from '../helpers/keys.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../local/dynamodb-local.ts';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const TIME_SCALE = 0.01; // IoT's 300-second minimum becomes 3 s
let stack: TestStack;
let broker: LocalBroker;
let signer: Signer;
let brokerLog: TestStack['brokerLog'];
let dynamodb: LocalDynamoDb;
const clients: MqttClient[] = [];

beforeAll(async () => {
  stack = await startTestStack({
    JWT_JWKS_REFRESH_SECONDS: '1', JWT_REFRESH_SECONDS: '300', JWT_ALLOW_SHORT_LIVED: 'true', JWT_REVOCATION_CACHE_SECONDS: '1',
    JWT_BASE_ACL: JSON.stringify([{ permission: 'deny', action: 'all', topic: 'devices/${clientid}/secret' }]),
  }, async () => {
    dynamodb = await startLocalDynamoDb('broker-revocations');
    process.env.JWT_REVOCATION_TABLE = dynamodb.table;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.endpoint;
    return { timeScale: TIME_SCALE };
  });
  ({ broker, signer, brokerLog } = stack);
});
afterAll(async () => {
  for (const client of clients) client.end(true);
  await stack?.close();
  await dynamodb?.close();
});

/** The CLI, as an operator runs it against this stack. */
const cli = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
  execFile(process.execPath, ['local/cli.mjs', ...args], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 20_000,
    env: { ...process.env, AWS_ENDPOINT_URL_IOT_DATA_PLANE: broker.dataUrl },
  }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
});

const ACL = { acl: [
  { permission: 'allow', action: 'all', topic: 'devices/${clientid}/#' },
  { permission: 'allow', action: 'subscribe', topic: 'fleet/#' },
  { permission: 'allow', action: 'publish', topic: 'fleet/${clientid}', retain: false },
] };

async function connect(clientId: string, claims: Record<string, unknown> = ACL, options: { url?: string; ttl?: number; token?: string } = {}) {
  const token = options.token ?? await mint(signer, { sub: clientId, ...claims }, { ttl: options.ttl ?? 3600 });
  const client = await mqtt.connectAsync(options.url ?? broker.mqttUrl, {
    clientId, username: `${clientId}?x-amz-customauthorizer-name=JwtAuthorizer`, password: token,
    reconnectPeriod: 0, connectTimeout: 3000,
  });
  clients.push(client);
  return client;
}

function closed(client: MqttClient, withinMs: number): Promise<boolean> {
  if (!client.connected) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), withinMs);
    client.once('close', () => { clearTimeout(timer); resolve(true); });
  });
}

function nextMessages(client: MqttClient, count: number, withinMs: number): Promise<string[]> {
  const seen: string[] = [];
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(seen), withinMs);
    client.on('message', (topic, payload) => {
      seen.push(`${topic} ${payload.toString()}`);
      if (seen.length === count) { clearTimeout(timer); resolve(seen); }
    });
  });
}

describe('the local broker', () => {
  it('lets an authorized device connect, subscribe, publish and receive', async () => {
    const device = await connect('dev-1');
    const watcher = await connect('watcher');
    await watcher.subscribeAsync('fleet/#');
    await device.subscribeAsync('devices/dev-1/cmd/+');
    const toWatcher = nextMessages(watcher, 1, 3000);
    const toDevice = nextMessages(device, 1, 3000);
    await device.publishAsync('fleet/dev-1', 'telemetry', { qos: 1 });
    await watcher.publishAsync('devices/watcher/x', 'ignored');
    await (await connect('dev-1-ops', { acl: { pub: ['devices/dev-1/cmd/#'] } })).publishAsync('devices/dev-1/cmd/reboot', 'now');
    expect(await toWatcher).toEqual(['fleet/dev-1 telemetry']);
    expect(await toDevice).toEqual(['devices/dev-1/cmd/reboot now']);
  });

  it('also serves MQTT over WebSocket', async () => {
    const device = await connect('ws-dev', ACL, { url: broker.wsUrl });
    await device.subscribeAsync('devices/ws-dev/#');
    const received = nextMessages(device, 1, 3000);
    await device.publishAsync('devices/ws-dev/echo', 'hi');
    expect(await received).toEqual(['devices/ws-dev/echo hi']);
  });

  it('refuses the CONNECT of a token no trusted key signed (CONNACK 5)', async () => {
    const stranger = await asymmetricSigner('ES256', signer.kid);
    const token = await mint(stranger, { sub: 'x' });
    await expect(connect('intruder', {}, { token })).rejects.toMatchObject({ code: 5 });
    await expect(connect('no-token', {}, { token: '' })).rejects.toMatchObject({ code: 5 });
  });

  it('13.13 refuses a CONNECT naming an authorizer that does not exist, and says why', async () => {
    const token = await mint(signer, { sub: 'lost', ...ACL });
    await expect(mqtt.connectAsync(broker.mqttUrl, {
      clientId: 'lost', username: 'lost?x-amz-customauthorizer-name=SomeOtherAuthorizer', password: token, reconnectPeriod: 0, connectTimeout: 3000,
    })).rejects.toMatchObject({ code: 5 });
    expect(brokerLog.some((l) => l.message === 'connect refused' && String(l.detail.why).includes('no authorizer named "SomeOtherAuthorizer"'))).toBe(true);
  });

  it('13.13 keeps the SDK\'s query parameters out of the token and the ${username} placeholder', async () => {
    const token = await mint(signer, { sub: 'sdk-dev', acl: { all: ['users/${username}/#'] } });
    const client = await mqtt.connectAsync(broker.mqttUrl, {
      clientId: 'sdk-dev', username: 'alice?x-amz-customauthorizer-name=JwtAuthorizer&SDK=NodeJSv2&Version=1.20.0&Platform=linux',
      password: token, reconnectPeriod: 0, connectTimeout: 3000,
    });
    clients.push(client);
    await client.subscribeAsync('users/alice/#');
    const received = nextMessages(client, 1, 3000);
    await client.publishAsync('users/alice/x', 'mine');
    expect(await received).toEqual(['users/alice/x mine']);
  });

  it('disconnects a client that publishes where its policy does not allow', async () => {
    const device = await connect('dev-2');
    const watcher = await connect('watcher-2');
    await watcher.subscribeAsync('fleet/#');
    const received = nextMessages(watcher, 1, 1500);
    device.publish('fleet/dev-1', 'spoofed');
    expect(await closed(device, 3000)).toBe(true);
    expect(await received).toEqual([]);
    expect(brokerLog.some((l) => l.message.startsWith('publish denied') && l.detail.topic === 'fleet/dev-1')).toBe(true);
  });

  it('disconnects a retained publish the rules allow only without retain', async () => {
    const device = await connect('dev-3');
    device.publish('fleet/dev-3', 'sticky', { retain: true });
    expect(await closed(device, 3000)).toBe(true);
  });

  it('disconnects a client that subscribes beyond its policy', async () => {
    const device = await connect('dev-4');
    device.subscribe('devices/dev-5/#');
    expect(await closed(device, 3000)).toBe(true);
    expect(brokerLog.some((l) => l.message.startsWith('subscribe denied') && l.detail.filter === 'devices/dev-5/#')).toBe(true);
  });

  it('drops deliveries the policy does not allow (iot:Receive), and keeps the connection', async () => {
    const device = await connect('dev-6');
    await device.subscribeAsync('devices/dev-6/#'); // allowed, but the base rules deny devices/dev-6/secret
    const received = nextMessages(device, 2, 3000);
    const ops = await connect('ops', { acl: { pub: ['devices/+/#'] } });
    await ops.publishAsync('devices/dev-6/secret', 'hidden', { qos: 1 });
    await ops.publishAsync('devices/dev-6/public', 'shown', { qos: 1 });
    await ops.publishAsync('devices/dev-6/last', 'shown', { qos: 1 });
    expect(await received).toEqual(['devices/dev-6/public shown', 'devices/dev-6/last shown']);
    expect(device.connected).toBe(true);
  });

  it('16: revoke --disconnect throws a connected client off at once, and it cannot connect again with that token', async () => {
    const token = await mint(signer, { sub: 'stolen-1', ...ACL });
    const device = await connect('stolen-1', ACL, { token });
    const revoked = await cli(['revoke', '--client-id', 'stolen-1', '--until', '1h', '--reason', 'stolen', '--disconnect']);
    expect(revoked.stderr).toBe('');
    // The policy refresh (300 s scaled to 3 s here) may throw the device off before DeleteConnection does.
    expect(revoked.stdout).toMatch(/^revoked client#stolen-1 until .*\ndisconnecting in 2 s, once the function's cached answers have expired\n(disconnected stolen-1|stolen-1 was not connected)\n$/);
    expect(await closed(device, 3000)).toBe(true);
    await expect(connect('stolen-1', ACL, { token })).rejects.toMatchObject({ code: 5 });
    expect((await cli(['revoke', '--client-id', 'nobody-here', '--disconnect', '--wait', '0'])).stdout).toContain('nobody-here was not connected');
  });

  it('16: throws a connected device off at the next policy refresh once its subject is revoked', async () => {
    const device = await connect('to-revoke', ACL);
    expect((await cli(['revoke', '--sub', 'to-revoke'])).code).toBe(0);
    expect(await closed(device, 8000)).toBe(true); // refresh after 300 s, scaled to 3 s
    expect(brokerLog.some((l) => l.message === 'disconnected: the policy refresh was denied' && l.detail.clientId === 'to-revoke')).toBe(true);
  });

  it('disconnects the client after disconnectAfterInSeconds (the token\'s remaining life)', async () => {
    const device = await connect('short-lived', ACL, { ttl: 330 }); // 330 s, scaled to 3.3 s
    expect(await closed(device, 1500)).toBe(false);
    expect(await closed(device, 6000)).toBe(true);
    expect(brokerLog.some((l) => l.message.startsWith('disconnected: disconnectAfterInSeconds') && l.detail.clientId === 'short-lived')).toBe(true);
  });

  it('disconnects at the policy refresh once the key that signed the token is rotated out', async () => {
    const device = await connect('rotating');
    const next = await asymmetricSigner('ES256');
    stack.jwks.serve({ json: jwksOf(next) });
    try {
      expect(await closed(device, 8000)).toBe(true); // refresh after 300 s, scaled to 3 s
      expect(brokerLog.some((l) => l.message === 'disconnected: the policy refresh was denied' && l.detail.clientId === 'rotating')).toBe(true);
      // A device with a token from the new key connects.
      const renewed = await mint(next, { sub: 'rotating', ...ACL });
      expect((await connect('rotating', ACL, { token: renewed })).connected).toBe(true);
    } finally {
      stack.jwks.serve({ json: jwksOf(signer, next) });
    }
  });

});
