// The token explainer and development token minter:
//   npx iot-jwt-authorizer explain [TOKEN] --client-id C [--username U] [--json]   (TOKEN or stdin)
//   npx iot-jwt-authorizer token [--client-id C] [--sub S] [--ttl SECONDS] [--claims JSON] [--acl JSON]
import { parseArgs } from 'node:util';
import { text } from 'node:stream/consumers';
import { createAuthorizer, type Decision } from '../functions/authorizer/authorizer.ts';
import { ConfigError, parseConfig } from '../functions/authorizer/config.ts';
import { devJwks, loadDevKey, mintDevToken } from './dev-key.ts';
import { needsDevKey } from './dev-mode.ts';
import { connectEvent, LOCAL_FUNCTION_ARN } from './iot-event.ts';

const USAGE = `usage:
  npx iot-jwt-authorizer explain [TOKEN] --client-id C [--username U] [--json]
      verifies TOKEN (or stdin) with the JWT_* configuration, as the authorizer would for this client,
      and prints the decision, the reason or the verified claims, and the policy
  npx iot-jwt-authorizer token [--client-id C] [--sub S] [--ttl SECONDS] [--claims JSON] [--acl JSON]
      mints a token signed by the development key (.dev/dev-key.json)`;

const [command, ...rest] = process.argv.slice(2);
const { values, positionals } = parseArgs({
  args: rest,
  allowPositionals: true,
  options: {
    'client-id': { type: 'string', default: 'dev-device-1' },
    username: { type: 'string' },
    sub: { type: 'string' },
    ttl: { type: 'string', default: '3600' },
    claims: { type: 'string', default: '{}' },
    acl: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function json(option: string, raw: string): Record<string, unknown> {
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return fail(`--${option}: not valid JSON`);
  }
}

async function mint(): Promise<void> {
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) fail('--ttl: a positive whole number of seconds');
  const claims = { sub: values.sub ?? values['client-id'], ...json('claims', values.claims), ...(values.acl && { acl: json('acl', values.acl) }) };
  console.log(await mintDevToken(await loadDevKey(), claims, ttl));
}

async function explain(): Promise<void> {
  const token = (positionals[0] ?? (process.stdin.isTTY ? '' : await text(process.stdin))).trim();
  if (token === '') fail(`give a token as an argument or on stdin\n${USAGE}`);
  if (needsDevKey()) process.env.JWT_JWKS = devJwks(await loadDevKey());
  let config;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const clientId = values['client-id'];
  // The same path as the handler: the event IoT Core sends, through the authorizer's decision.
  const event = config.tokenFrom === 'username'
    ? connectEvent({ username: token, clientId, authorizerName: 'JwtAuthorizer' })
    : connectEvent({ password: token, username: values.username, clientId, authorizerName: 'JwtAuthorizer' });
  const decision = await createAuthorizer(config).decide(event, LOCAL_FUNCTION_ARN);
  if (values.json) console.log(JSON.stringify({ decision: decision.record.decision, reason: decision.record.reason, detail: decision.record.detail, claims: decision.claims, log: decision.record, response: decision.response }, null, 2));
  else console.log(readable(decision, clientId));
  process.exitCode = decision.record.decision === 'allow' ? 0 : 1;
}

function readable({ record, response, claims }: Decision, clientId: string): string {
  const lines: string[] = [];
  if (record.decision === 'allow') lines.push(`ALLOW  client ${clientId}, principal ${response.principalId}`);
  else lines.push(`DENY   ${record.reason}${record.detail ? `  ${JSON.stringify(record.detail)}` : ''}`);
  if (record.alg !== undefined) lines.push(`token  alg ${record.alg}${record.kid ? `, kid ${record.kid}` : ''}${record.keyOrigin ? `, verified by ${record.keyOrigin}` : ''}`);
  if (claims !== undefined) lines.push('claims', ...JSON.stringify(claims, null, 2).split('\n').map((l) => `  ${l}`));
  if (record.decision === 'allow') {
    lines.push(`timers disconnect after ${response.disconnectAfterInSeconds} s, refresh after ${response.refreshAfterInSeconds} s`);
    if (record.rules) lines.push(`rules  ${record.rules.count} from ${record.rules.source}, ${record.rules.exact ? 'compiled exactly' : 'compiled on the stricter side:'}`, ...(record.rules.notes ?? []).map((n) => `  - ${n}`));
    lines.push(`policy ${response.policyDocuments.length} document(s)`);
    for (const document of response.policyDocuments) {
      for (const statement of document.Statement) {
        lines.push(`  ${statement.Effect.padEnd(5)} ${[statement.Action].flat().join(', ')}`);
        for (const resource of [statement.Resource].flat()) lines.push(`          ${resource}`);
      }
    }
  }
  return lines.join('\n');
}

if (command === 'token') await mint();
else if (command === 'explain') await explain();
else fail(USAGE);
