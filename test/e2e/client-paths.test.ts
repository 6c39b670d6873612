// Issue 14, end to end: every way a client reaches IoT Core, against the local broker running the built
// bundle: MQTT over WebSocket with the token in a header or the URL, MQTT 5 on TCP, TLS and WebSocket, the
// AWS IoT Device SDK v2's MQTT 3 and MQTT 5 clients over TLS with ALPN "mqtt", and HTTPS publish.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iot, mqtt as crtMqtt, mqtt5 } from 'aws-iot-device-sdk-v2';
import { WebSocket } from 'ws';
import type { LocalBroker } from '../../local/broker.ts';
import { loadDevTls, type DevTls } from '../../local/dev-tls.ts';
import { mint, type Signer } from '../helpers/keys.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

const ACL = { acl: { all: ['devices/${clientid}/#', 'demo/#'] } };
let stack: TestStack;
let broker: LocalBroker;
let signer: Signer;
let brokerLog: TestStack['brokerLog'];
let tls: DevTls;
let tlsDir: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  tlsDir = mkdtempSync(join(tmpdir(), 'iot-tls-'));
  tls = loadDevTls(tlsDir);
  // The suite is silent; this file reads the authorizer's deny lines (POWERTOOLS_LOG_LEVEL).
  stack = await startTestStack({ JWT_FROM: 'password,query:token,header:authorization', POWERTOOLS_LOG_LEVEL: 'WARN' }, { tlsPort: 0, tls });
  ({ broker, signer, brokerLog } = stack);
});
afterAll(async () => {
  for (const client of clients) client.end(true);
  await stack?.close();
  rmSync(tlsDir, { recursive: true, force: true });
});

const tokenFor = (clientId: string, claims: Record<string, unknown> = ACL) => mint(signer, { sub: clientId, ...claims });

async function open(url: string, options: IClientOptions): Promise<MqttClient> {
  // MQTT 3.1.1 sends a password only with a username; devices put their client id there.
  const username = options.password === undefined ? options.username : options.username ?? String(options.clientId);
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000, ...options, username });
  clients.push(client);
  return client;
}

function nextMessage(client: MqttClient, withinMs = 3000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), withinMs);
    client.once('message', (topic, payload) => { clearTimeout(timer); resolve(`${topic} ${payload.toString()}`); });
  });
}

async function roundTrip(client: MqttClient, topic: string): Promise<string | undefined> {
  await client.subscribeAsync(topic, { qos: 1 });
  const received = nextMessage(client);
  await client.publishAsync(topic, 'ping', { qos: 1 });
  return received;
}

describe('MQTT over WebSocket, the token in the upgrade request', () => {
  it('connects with the token in an Authorization header (no MQTT password)', async () => {
    const token = await tokenFor('ws-header');
    const client = await open(broker.wsUrl, { clientId: 'ws-header', wsOptions: { headers: { Authorization: `Bearer ${token}` } } });
    expect(await roundTrip(client, 'devices/ws-header/echo')).toBe('devices/ws-header/echo ping');
  });

  it('connects with the token in the URL, as a browser must, the authorizer named in the query', async () => {
    const token = await tokenFor('ws-query');
    const client = await open(`${broker.wsUrl}?x-amz-customauthorizer-name=JwtAuthorizer&token=${encodeURIComponent(token)}`, { clientId: 'ws-query' });
    expect(await roundTrip(client, 'devices/ws-query/echo')).toBe('devices/ws-query/echo ping');
  });

  it('refuses a bad token in the URL (CONNACK 5 for MQTT 3.1.1, 0x87 for MQTT 5), and an unknown authorizer name', async () => {
    const token = await tokenFor('ws-bad');
    const forged = `${token.slice(0, -4)}AAAA`;
    await expect(open(`${broker.wsUrl}?token=${forged}`, { clientId: 'ws-bad' })).rejects.toMatchObject({ code: 5 });
    await expect(open(`${broker.wsUrl}?token=${forged}`, { clientId: 'ws-bad', protocolVersion: 5 })).rejects.toMatchObject({ code: 0x87 });
    await expect(open(`${broker.wsUrl}?token=${token}`, { clientId: 'ws-bad', wsOptions: { headers: { 'x-amz-customauthorizer-name': 'Other' } } })).rejects.toMatchObject({ code: 5 });
    expect(brokerLog.some((l) => l.message === 'connect refused' && String(l.detail.why).includes('"Other"'))).toBe(true);
  });

  it('serves WebSocket only at /mqtt, as IoT does', async () => {
    const socket = new WebSocket(broker.wsUrl.replace('/mqtt', '/other'), 'mqtt');
    const status = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => resolve('no answer'), 3000);
      socket.once('unexpected-response', (_req, res) => { clearTimeout(timer); resolve(res.statusCode ?? 0); });
      socket.once('error', (err) => { clearTimeout(timer); resolve(err.message); });
    });
    socket.terminate();
    expect(status).toBe(400);
  });
});

describe('MQTT 5', () => {
  it.each(['tcp', 'ws'] as const)('connects, subscribes, publishes and receives over %s', async (transport) => {
    const clientId = `v5-${transport}`;
    const client = await open(transport === 'tcp' ? broker.mqttUrl : broker.wsUrl, { clientId, protocolVersion: 5, password: await tokenFor(clientId) });
    expect(await roundTrip(client, `devices/${clientId}/echo`)).toBe(`devices/${clientId}/echo ping`);
  });

  it('refuses a CONNECT with 0x87 Not authorized, and the authorizer logs the deny reason', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { written.push(String(chunk)); return true; });
    try {
      await expect(open(broker.mqttUrl, { clientId: 'v5-expired', protocolVersion: 5, password: await mint(signer, { sub: 'x' }, { ttl: -60 }) })).rejects.toMatchObject({ code: 0x87 });
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toContain('"reason":"TOKEN_EXPIRED"');
  });

  it('answers an unauthorized PUBLISH with PUBACK 0x87 and SUBSCRIBE with SUBACK 0x87, and keeps the connection', async () => {
    const client = await open(broker.mqttUrl, { clientId: 'v5-limited', protocolVersion: 5, password: await tokenFor('v5-limited') });
    await expect(client.publishAsync('elsewhere/x', 'no', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    await expect(client.subscribeAsync('elsewhere/#', { qos: 1 })).rejects.toMatchObject({ packet: { granted: [0x87] } });
    expect(client.connected).toBe(true);
    expect(await roundTrip(client, 'devices/v5-limited/still')).toBe('devices/v5-limited/still ping');
  });

  it('still closes an MQTT 3.1.1 connection on an unauthorized PUBLISH, as IoT does', async () => {
    const client = await open(broker.mqttUrl, { clientId: 'v3-limited', password: await tokenFor('v3-limited') });
    const closed = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 3000);
      client.once('close', () => { clearTimeout(timer); resolve(true); });
    });
    client.publish('elsewhere/x', 'no', { qos: 1 });
    expect(await closed).toBe(true);
  });
});

describe('MQTT over TLS with ALPN "mqtt"', () => {
  const tlsOptions = () => ({ ca: tls.ca, ALPNProtocols: ['mqtt'], servername: 'localhost', rejectUnauthorized: true });

  it('connects with the development CA, MQTT 3.1.1 and 5', async () => {
    for (const protocolVersion of [4, 5] as const) {
      const clientId = `tls-v${protocolVersion}`;
      const client = await open(broker.tlsUrl!, { clientId, protocolVersion, password: await tokenFor(clientId), ...tlsOptions() });
      expect(await roundTrip(client, `devices/${clientId}/echo`)).toBe(`devices/${clientId}/echo ping`);
    }
  });

  it('refuses custom authentication without ALPN "mqtt", as IoT does on port 443', async () => {
    await expect(open(broker.tlsUrl!, { clientId: 'tls-no-alpn', password: await tokenFor('tls-no-alpn'), ca: tls.ca, servername: 'localhost' })).rejects.toMatchObject({ code: 5 });
    expect(brokerLog.some((l) => l.message === 'connect refused' && String(l.detail.why).includes('ALPN'))).toBe(true);
  });
});

describe('the AWS IoT Device SDK v2, unchanged but for the endpoint and the CA file', () => {
  const port = () => Number(new URL(broker.tlsUrl!).port);

  it('MQTT 3.1.1 client: custom-authorizer connect, subscribe, publish, receive', async () => {
    const clientId = 'sdk-v3';
    const config = iot.AwsIotMqttConnectionConfigBuilder.new_default_builder()
      .with_custom_authorizer(clientId, 'JwtAuthorizer', '', await tokenFor(clientId))
      .with_endpoint('localhost').with_port(port())
      .with_certificate_authority_from_path(undefined, tls.caFile)
      .with_client_id(clientId).with_clean_session(true).build();
    const connection = new crtMqtt.MqttClient().new_connection(config);
    try {
      await connection.connect();
      const received = new Promise<string>((resolve) => {
        void connection.subscribe(`devices/${clientId}/#`, crtMqtt.QoS.AtLeastOnce, (topic, payload) => resolve(`${topic} ${Buffer.from(payload).toString()}`));
      });
      // The subscription is acknowledged before the publish.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await connection.publish(`devices/${clientId}/echo`, 'from the sdk', crtMqtt.QoS.AtLeastOnce);
      expect(await Promise.race([received, new Promise((resolve) => setTimeout(() => resolve('timed out'), 5000))])).toBe(`devices/${clientId}/echo from the sdk`);
    } finally {
      await connection.disconnect().catch(() => {});
    }
  }, 20_000);

  const mqtt5Client = (clientId: string, token: string) => new mqtt5.Mqtt5Client(
    iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithCustomAuth('localhost', { authorizerName: 'JwtAuthorizer', username: clientId, password: Buffer.from(token) })
      .withPort(port())
      .withCertificateAuthorityFromPath(undefined, tls.caFile)
      .withConnectProperties({ clientId, keepAliveIntervalSeconds: 60 })
      .build());

  // The CRT client holds native resources: stopped, then closed, or the test worker never exits.
  async function shutDown(client: mqtt5.Mqtt5Client) {
    const stopped = new Promise((resolve) => client.once('stopped', resolve));
    client.stop();
    await stopped;
    client.close();
  }

  it('MQTT 5 client: connects, subscribes, publishes and receives', async () => {
    const clientId = 'sdk-v5';
    const client = mqtt5Client(clientId, await tokenFor(clientId));
    try {
      const connected = new Promise<unknown>((resolve, reject) => {
        client.once('connectionSuccess', resolve);
        client.once('connectionFailure', (event) => reject(event.error));
      });
      client.start();
      await connected;
      const suback = await client.subscribe({ subscriptions: [{ topicFilter: `devices/${clientId}/#`, qos: mqtt5.QoS.AtLeastOnce }] });
      expect(suback.reasonCodes).toEqual([mqtt5.SubackReasonCode.GrantedQoS1]);
      const received = new Promise<string>((resolve) => client.once('messageReceived', ({ message }) => resolve(`${message.topicName} ${Buffer.from(message.payload as ArrayBuffer).toString()}`)));
      await client.publish({ topicName: `devices/${clientId}/echo`, qos: mqtt5.QoS.AtLeastOnce, payload: 'from the sdk' });
      expect(await received).toBe(`devices/${clientId}/echo from the sdk`);
      const denied = await client.publish({ topicName: 'elsewhere/x', qos: mqtt5.QoS.AtLeastOnce, payload: 'no' });
      expect(denied?.reasonCode).toBe(mqtt5.PubackReasonCode.NotAuthorized);
    } finally {
      await shutDown(client);
    }
  }, 20_000);

  it('MQTT 5 client: a refused token gets CONNACK 0x87, not 0x84 (the broker speaks MQTT 5)', async () => {
    const client = mqtt5Client('sdk-v5-bad', await mint(signer, { sub: 'x' }, { ttl: -60 }));
    try {
      const failed = new Promise<number | undefined>((resolve) => client.once('connectionFailure', (event) => resolve(event.connack?.reasonCode)));
      client.start();
      expect(await failed).toBe(mqtt5.ConnectReasonCode.NotAuthorized);
    } finally {
      await shutDown(client);
    }
  }, 20_000);
});

describe('HTTPS publish: POST /topics/{topic}', () => {
  const post = (topic: string, headers: Record<string, string>, query = '?qos=1', body = 'from a backend') =>
    fetch(`${broker.dataUrl}/topics/${topic}${query}`, { method: 'POST', headers, body });

  it('publishes with the token in an Authorization header, delivered to subscribers', async () => {
    const watcher = await open(broker.mqttUrl, { clientId: 'https-watcher', password: await tokenFor('https-watcher') });
    await watcher.subscribeAsync('demo/#');
    const received = nextMessage(watcher);
    const res = await post('demo/from-backend', { authorization: `Bearer ${await tokenFor('backend-1', { acl: { pub: ['demo/#'] } })}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ message: 'OK', traceId: expect.any(String) });
    expect(await received).toBe('demo/from-backend from a backend');
  });

  it('publishes with the token in the query string, and with curl', async () => {
    const token = await tokenFor('backend-2', { acl: { pub: ['demo/#'] } });
    expect((await post('demo/q', {}, `?qos=0&token=${token}`)).status).toBe(200);
    const curl = await new Promise<string>((resolve, reject) => execFile('curl', ['-sS', '-X', 'POST', `${broker.dataUrl}/topics/demo/curl?qos=1`, '-H', `Authorization: Bearer ${token}`, '-d', 'hi'],
      { timeout: 10_000 }, (error, stdout) => (error ? reject(new Error(`curl is needed for this test: ${error.message}`)) : resolve(stdout))));
    expect(JSON.parse(curl)).toMatchObject({ message: 'OK' });
  });

  it('the README\'s curl line works word for word (the port aside)', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const line = /^\s*(curl -X POST "http:\/\/127\.0\.0\.1:8080\/topics\/.*)$/m.exec(readme)?.[1];
    expect(line, 'the README\'s curl line').toBeDefined();
    const command = line!.replace('http://127.0.0.1:8080', broker.dataUrl);
    const token = await tokenFor('readme-backend', { acl: { pub: ['demo/#'] } });
    const out = await new Promise<string>((resolve, reject) => execFile('bash', ['-c', `${command} -sS`], { env: { ...process.env, TOKEN: token }, timeout: 10_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout))));
    expect(JSON.parse(out)).toMatchObject({ message: 'OK' });
  });

  it('answers 401 for a refused or missing token, 403 for a topic the policy does not allow, 400 for a bad request', async () => {
    const token = await tokenFor('backend-3', { acl: { pub: ['demo/#'] } });
    const refused = await post('demo/x', { authorization: `Bearer ${token.slice(0, -4)}AAAA` });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-amzn-errortype')).toBe('UnauthorizedException');
    expect((await post('demo/x', {})).status).toBe(401);
    const forbidden = await post('elsewhere/x', { authorization: `Bearer ${token}` });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ message: 'Forbidden' });
    expect((await post('demo/x', { authorization: `Bearer ${token}` }, '?qos=2')).status).toBe(400);
    expect((await post('demo/%2B', { authorization: `Bearer ${token}` })).status).toBe(400);
    expect((await fetch(`${broker.dataUrl}/topics/demo/x`, { method: 'GET' })).status).toBe(405);
  });

  it('retains with retain=true only where the policy allows iot:RetainPublish too', async () => {
    const retaining = await tokenFor('backend-5', { acl: [{ permission: 'allow', action: 'publish', topic: 'demo/#' }] });
    const plain = await tokenFor('backend-6', { acl: [{ permission: 'allow', action: 'publish', topic: 'demo/#', retain: false }] });
    expect((await post('demo/retained', { authorization: `Bearer ${plain}` }, '?qos=1&retain=true')).status).toBe(403);
    expect((await post('demo/retained', { authorization: `Bearer ${retaining}` }, '?qos=1&retain=true', 'kept')).status).toBe(200);
    const late = await open(broker.mqttUrl, { clientId: 'late-subscriber', password: await tokenFor('late-subscriber') });
    const received = nextMessage(late);
    await late.subscribeAsync('demo/retained');
    expect(await received).toBe('demo/retained kept');
  });

  it('cannot publish with a rule that needs the client id: an HTTPS request has none', async () => {
    const token = await tokenFor('backend-4', { acl: { pub: ['devices/${clientid}/#'] } });
    expect((await post('devices/backend-4/x', { authorization: `Bearer ${token}` })).status).toBe(401);
  });
});
