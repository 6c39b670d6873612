// npm start: the local broker, authorizing with the built authorizer as AWS IoT Core would.
import { startLocalBroker } from './broker.ts';
import { importAuthorizer } from './bundle.ts';
import { mintDevToken } from './dev-key.ts';
import { needsDevKey, serveDevKey, type DevKeySource } from './dev-mode.ts';

const port = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    console.error(`${name}: expected a port number from 0 to 65535, got "${raw}"`);
    process.exit(2);
  }
  return value;
};
const mqttPort = port('MQTT_PORT', 1883);
const wsPort = port('MQTT_WS_PORT', 8083);

let dev: DevKeySource | undefined;
if (needsDevKey()) dev = await serveDevKey();
const handler = await importAuthorizer();
const broker = await startLocalBroker({
  handler, mqttPort, wsPort,
  log: (message, detail) => console.log(JSON.stringify({ level: 'INFO', source: 'broker', message, ...detail })),
}).catch((err: NodeJS.ErrnoException) => {
  if (err.code !== 'EADDRINUSE') throw err;
  console.error(`A port is in use (MQTT_PORT=${mqttPort}, MQTT_WS_PORT=${wsPort}): set them to free ports, or 0 for any.`);
  return process.exit(2);
});

console.error(`\nMQTT broker listening on ${broker.mqttUrl} (WebSocket: ${broker.wsUrl})`);
if (dev !== undefined) {
  const clientId = 'dev-device-1';
  const acl = { all: ['demo/#', 'devices/${clientid}/#'] };
  const token = await mintDevToken(dev.key, { sub: clientId, acl }, 3600);
  const { port: p } = new URL(broker.mqttUrl);
  console.error(`No key source configured: trusting the development key (.dev/dev-key.json), its JWKS served at ${dev.jwks.url.href}.
A token valid for 1 hour, allowed to publish and subscribe under demo/# and devices/<its client id>/#:

${token}

Try it, in two terminals:
  npx mqtt sub -h 127.0.0.1 -p ${p} -i ${clientId} -u ${clientId} -P '${token}' -t 'demo/#' -v
  npx mqtt pub -h 127.0.0.1 -p ${p} -i dev-device-2 -u dev-device-2 -P '${token}' -t demo/hello -m hi
Mint others with: npx iot-jwt-authorizer token --client-id dev-device-3 --acl '{"pub":["demo/#"]}'
`);
}
console.error('Ctrl-C stops the broker.');

const stop = async () => {
  await broker.close();
  await dev?.jwks.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
