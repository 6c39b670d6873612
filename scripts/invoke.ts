// npm run invoke -- [--token T] [--client-id C] [--username U] [--claims JSON] [--ttl SECONDS] [--protocol P] [--header N=V] [--query Q]
// Calls the built bundle's handler with the event AWS IoT Core would send and prints the response. With no
// key source configured it trusts the development key and mints a token with it. Exits 0 when the
// authorizer allows, 1 when it denies, 2 on a usage or configuration problem.
import { parseArgs } from 'node:util';
import { clientEvent, lambdaContext, parseProtocol } from '../local/iot-event.ts';
import { ConfigError, EnvReader } from '../functions/authorizer/config/env-reader.ts';
import { readTokenSources } from '../functions/authorizer/request/token-sources.ts';
import { importAuthorizerOrExit } from '../local/bundle.ts';
import { devJwks, loadDevKey, mintDevToken } from '../local/dev-key.ts';
import { needsDevKey } from '../local/dev-mode.ts';

const USAGE = 'usage: npm run invoke -- [--token T] [--client-id C] [--username U] [--authorizer-name N] [--claims JSON] [--ttl SECONDS]\n' +
  '                         [--protocol mqtt|wss|https] [--header NAME=VALUE]... [--query STRING]';

let parsed;
try {
  parsed = parseArgs({
    options: {
      token: { type: 'string' },
      'client-id': { type: 'string', default: 'dev-device-1' },
      username: { type: 'string', default: 'dev-user' },
      'authorizer-name': { type: 'string', default: 'JwtAuthorizer' },
      claims: { type: 'string', default: '{}' },
      ttl: { type: 'string', default: '3600' },
      protocol: { type: 'string', default: 'mqtt' },
      header: { type: 'string', multiple: true },
      query: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (err) {
  console.error(`${(err as Error).message.split('\n')[0]}\n${USAGE}`);
  process.exit(2);
}
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const clientId = values['client-id'];
let token = values.token;
if (needsDevKey()) {
  const key = await loadDevKey();
  process.env.JWT_JWKS = devJwks(key);
  console.error('no key source configured: trusting the development key in .dev/dev-key.json (JWT_JWKS)');
  if (token === undefined) {
    let claims: unknown;
    try {
      claims = JSON.parse(values.claims);
    } catch {
      console.error('--claims: not valid JSON');
      process.exit(2);
    }
    token = await mintDevToken(key, { sub: clientId, ...(claims as object) }, Number(values.ttl));
    console.error(`minted a development token for sub=${clientId}:\n${token}\n`);
  }
}
if (token === undefined) {
  console.error('give --token: a key source is configured, so no development token is minted');
  process.exit(2);
}

// The token goes where a client configured for this JWT_FROM would put it; the bundle checks the rest.
const read = new EnvReader(process.env);
const sources = readTokenSources(read);
let event;
try {
  const protocol = parseProtocol(values.protocol);
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  event = clientEvent({
    protocol, sources, token, clientId, username: values.username, headers: values.header, query: values.query,
    authorizerName: values['authorizer-name'],
  });
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const handler = await importAuthorizerOrExit();
const response = await handler(event, lambdaContext());
console.log(JSON.stringify(response, null, 2));
process.exitCode = response.isAuthenticated ? 0 : 1;
