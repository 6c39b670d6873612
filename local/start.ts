// npm start: the local broker, authorizing with the built authorizer as AWS IoT Core would.
import { parseConfig } from '../functions/authorizer/config/config.ts';
import { PortInUseError, startLocalBroker } from './broker.ts';
import { loadDevTls } from './dev-tls.ts';
import { createExplain } from './explain.ts';
import { placeToken } from './iot-event.ts';
import { importAuthorizerOrExit } from './bundle.ts';
import { needsDevKey, serveDevKey, type DevKeySource } from './dev-mode.ts';
import { LOCAL_AWS_ENV, startLocalDynamoDb, type LocalDynamoDb } from './dynamodb-local.ts';
import { mintTryItToken } from './try-it.ts';

// The local stack runs the SDK for its own DynamoDB: its notice that future SDK releases need Node 22 is
// about upgrades, not this run (the README says which Node versions are supported).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

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
const httpPort = port('IOT_HTTP_PORT', 8080);
const tlsPort = port('MQTT_TLS_PORT', 8883);
const authorizerName = process.env.IOT_AUTHORIZER_NAME?.trim() || 'JwtAuthorizer';
// Every client the local stack serves, browsers included (whose JavaScript can only put the token in the
// WebSocket URL): the token is read from the MQTT password, then the query, then an Authorization header.
const LOCAL_JWT_FROM = 'password,query:token,header:authorization';
const jwtFromDefaulted = !process.env.JWT_FROM;
if (jwtFromDefaulted) process.env.JWT_FROM = LOCAL_JWT_FROM;

let dev: DevKeySource | undefined;
if (needsDevKey()) {
  try {
    dev = await serveDevKey();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
}
// Revocation, for real: a local DynamoDB (dynalite) with the table, unless the user names a table of their own.
let dynamodb: LocalDynamoDb | undefined;
if (!process.env.JWT_REVOCATION_TABLE) {
  dynamodb = await startLocalDynamoDb();
  process.env.JWT_REVOCATION_TABLE = dynamodb.table;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.endpoint;
  if (!process.env.AWS_ACCESS_KEY_ID) Object.assign(process.env, LOCAL_AWS_ENV);
  process.env.AWS_REGION ||= LOCAL_AWS_ENV.AWS_REGION;
}
const handler = await importAuthorizerOrExit();
const tls = loadDevTls();
// The configuration the bundle has just accepted, read again here for what the local stack prints and serves.
const localConfig = parseConfig(process.env);
const broker = await startLocalBroker({
  handler, mqttPort, wsPort, httpPort, tlsPort, tls, authorizerName,
  // The page's "why was I refused": the authorizer's own decision, read from the source with the same settings.
  explain: createExplain(localConfig, authorizerName),
  pageTokenParameter: localConfig.tokenFrom.find((source) => source.kind === 'query')?.name,
  log: (message, detail) => console.log(JSON.stringify({ level: 'INFO', source: 'broker', message, ...detail })),
}).catch(async (err: unknown) => {
  if (!(err instanceof PortInUseError)) throw err;
  console.error(err.message);
  await dev?.close();
  await dynamodb?.close();
  return process.exit(2);
});

const tlsUrl = new URL(broker.tlsUrl!);
console.error(`
Local IoT Core, authorizer "${authorizerName}" (IOT_AUTHORIZER_NAME), MQTT 3.1.1 and 5 on every MQTT port:
  MQTT over TCP        ${broker.mqttUrl}  (MQTT_PORT)
  MQTT over TLS        ${broker.tlsUrl}  (MQTT_TLS_PORT; ALPN "mqtt"; CA ${tls.caFile})
  MQTT over WebSocket  ${broker.wsUrl}  (MQTT_WS_PORT; ?token=… in the URL works)
  Data endpoint        ${broker.dataUrl}  (IOT_HTTP_PORT: HTTPS publish POST /topics/{topic}, DeleteConnection)
  Browser page         ${broker.dataUrl}/
Tokens are read from ${process.env.JWT_FROM}${jwtFromDefaulted ? ' (JWT_FROM, the local default)' : ' (JWT_FROM)'}.
AWS IoT Device SDK v2 (MQTT 5), unchanged but for the endpoint and the CA file:
  const config = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithCustomAuth('${tlsUrl.hostname}',
    { authorizerName: '${authorizerName}', username: 'dev-device-1', password: Buffer.from(TOKEN) })
    .withPort(${tlsUrl.port}).withCertificateAuthorityFromPath(undefined, '${tls.caFile}')
    .withConnectProperties({ clientId: 'dev-device-1', keepAliveIntervalSeconds: 60 }).build();
  const client = new mqtt5.Mqtt5Client(config); client.start();`);
if (dynamodb !== undefined) {
  console.error(`Revocation table "${dynamodb.table}" on a local DynamoDB at ${dynamodb.endpoint}. Revoke a client and throw it off:
  JWT_REVOCATION_TABLE=${dynamodb.table} AWS_ENDPOINT_URL_DYNAMODB=${dynamodb.endpoint} AWS_ENDPOINT_URL_IOT_DATA_PLANE=${broker.dataUrl} \\
    AWS_REGION=${process.env.AWS_REGION} AWS_ACCESS_KEY_ID=${process.env.AWS_ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY=${process.env.AWS_SECRET_ACCESS_KEY} \\
    npx iot-jwt-authorizer revoke --client-id dev-device-1 --until 1h --reason stolen --disconnect`);
}
if (dev !== undefined) {
  const config = localConfig;
  const acl = { all: ['demo/#', 'devices/${clientid}/#'] };
  const [sub, pub] = await Promise.all(['dev-device-1', 'dev-device-2'].map((clientId) => mintTryItToken(config, dev!.key, clientId, { acl }, 3600)));
  // A backend publishing over HTTPS has no client id: its rules name plain topics.
  const backend = await mintTryItToken(config, dev.key, 'dev-backend', { acl: { pub: ['demo/#'] } }, 3600, 'https');
  // The token goes where JWT_FROM looks first for an HTTPS request: a header, or the query string.
  const placed = placeToken(config.tokenFrom, 'https', backend.token);
  const header = Object.entries(placed?.headers ?? {})[0];
  const curlUrl = `${broker.dataUrl}/topics/demo/hello?qos=1${placed?.queryString ? `&${placed.queryString.slice(1)}` : ''}`;
  const https = backend.refused === undefined
    ? `or publish over HTTPS, as a backend would (the subscriber above receives it):
  curl -X POST '${curlUrl}'${header ? ` -H '${header[0]}: ${header[1]}'` : ''} -d hi`
    : `(HTTPS publish: your settings refuse a backend's token, which has no client id: ${backend.refused})`;
  const { port: p } = new URL(broker.mqttUrl);
  const refused = [sub!, pub!].find((t) => t.refused !== undefined)?.refused;
  if (dev.auth.length > 0) console.error(`The JWKS endpoint demands HTTPS from a local CA${dev.auth.includes('basic') ? ', HTTP Basic credentials' : ''}${dev.auth.includes('mtls') ? ' and a client certificate' : ''} (LOCAL_JWKS_AUTH), read from a local Secrets Manager.`);
  console.error(`No key source configured: trusting the development key (.dev/dev-key.json), its JWKS served at ${dev.jwks.url.href}.
Tokens valid for 1 hour, allowed to publish and subscribe under demo/# and devices/<its client id>/#${config.profiles[0]!.issuers || config.profiles[0]!.audiences || Object.keys(config.profiles[0]!.verifyClaims).length > 0 ? ', minted with the iss, aud and claims your JWT_* settings ask for' : ''}:

${sub!.token}

Try it, in two terminals:
  npx mqtt sub -h 127.0.0.1 -p ${p} -i dev-device-1 -u dev-device-1 -P '${sub!.token}' -t 'demo/#' -v
  npx mqtt pub -h 127.0.0.1 -p ${p} -i dev-device-2 -u dev-device-2 -P '${pub!.token}' -t demo/hello -m hi
${https}
or connect from a browser, over WebSocket with the token in the URL, on the page at
  ${broker.dataUrl}/?token=${sub!.token}
Mint others with: npx iot-jwt-authorizer token --client-id dev-device-3 --acl '{"pub":["demo/#"]}'
`);
  if (refused !== undefined) {
    console.error(`Note: your JWT_* settings deny these tokens (${refused}): a setting the development key cannot satisfy. ` +
      'Run npx iot-jwt-authorizer explain on a token to see why.\n');
  }
}
const stop = async () => {
  await broker.close();
  await dev?.close();
  await dynamodb?.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
console.error('Ctrl-C stops the broker.');
