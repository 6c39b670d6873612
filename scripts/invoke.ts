// npm run invoke -- [--token T] [--client-id C] [--username U] [--claims JSON] [--ttl SECONDS]
// Calls the built bundle's handler with the event AWS IoT Core would send and prints the log line and the
// response. With no key source configured it trusts the development key and mints a token with it.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { connectEvent, lambdaContext } from '../local/iot-event.ts';
import { devJwks, loadDevKey, mintDevToken } from '../local/dev-key.ts';

const { values } = parseArgs({
  options: {
    token: { type: 'string' },
    'client-id': { type: 'string', default: 'dev-device-1' },
    username: { type: 'string', default: 'dev-user' },
    'authorizer-name': { type: 'string', default: 'JwtAuthorizer' },
    claims: { type: 'string', default: '{}' },
    ttl: { type: 'string', default: '3600' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: npm run invoke -- [--token T] [--client-id C] [--username U] [--claims JSON] [--ttl SECONDS]');
  process.exit(0);
}

const KEY_SOURCES = ['JWT_SECRET_ID', 'JWT_PUBLIC_KEY', 'JWT_JWKS', 'JWT_JWKS_URL'];
const devMode = KEY_SOURCES.every((name) => !process.env[name]);
const clientId = values['client-id'];
let token = values.token;
if (devMode) {
  const key = await loadDevKey();
  process.env.JWT_JWKS = devJwks(key);
  console.error('no key source configured: trusting the development key in .dev/dev-key.json (JWT_JWKS)');
  if (token === undefined) {
    token = await mintDevToken(key, { sub: clientId, ...JSON.parse(values.claims) }, Number(values.ttl));
    console.error(`minted a development token for sub=${clientId}:\n${token}\n`);
  }
}
if (token === undefined) {
  console.error('give --token: a key source is configured, so no development token is minted');
  process.exit(2);
}

const fromUsername = process.env.JWT_FROM === 'username';
const event = connectEvent({
  clientId,
  username: fromUsername ? token : values.username,
  password: fromUsername ? undefined : token,
  authorizerName: values['authorizer-name'],
});
const bundle = fileURLToPath(new URL('../dist/authorizer/index.mjs', import.meta.url));
const { handler } = (await import(bundle)) as { handler: (e: unknown, c: unknown) => Promise<unknown> };
const response = await handler(event, lambdaContext());
console.log(JSON.stringify(response, null, 2));
