// The token explainer and minter:
//   npx iot-jwt-authorizer explain [TOKEN] --client-id C [--username U] [--protocol P] [--header N=V] [--query Q] [--json]
//   npx iot-jwt-authorizer token [--client-id C] [--sub S] [--ttl SECONDS] [--claims JSON] [--acl JSON] [key options]
import { parseArgs } from 'node:util';
import { text } from 'node:stream/consumers';
import { createAuthorizer, type Decision } from '../functions/authorizer/authorizer.ts';
import { renderTemplate } from '../functions/authorizer/verify/claims.ts';
import { ConfigError, parseConfig, type Config } from '../functions/authorizer/config/config.ts';
import { devJwks, loadDevKey, signToken } from './dev-key.ts';
import { needsDevKey } from './dev-mode.ts';
import { clientEvent, LOCAL_FUNCTION_ARN, parseProtocol } from './iot-event.ts';
import { REVOCATION_USAGE, runRevocationCommand } from './revocation-cli.ts';
import { SigningKeyError, signingKeyFrom } from './signing-key.ts';

const USAGE = `usage:
  npx iot-jwt-authorizer explain [TOKEN] [--client-id C] [--username U] [--json]
                                 [--protocol mqtt|wss|https] [--header NAME=VALUE]... [--query STRING]
      verifies TOKEN (or stdin) with the JWT_* configuration, as the authorizer would for this client,
      and prints the decision, the reason or the verified claims, and the policy; exits 0 on allow, 1 on deny.
      The token goes where the first JWT_FROM source that fits the protocol says (mqtt: MQTT over TLS,
      wss: MQTT over WebSocket, https: an HTTPS publish); --header and --query add to the HTTP request
  npx iot-jwt-authorizer token [--client-id C] [--sub S] [--ttl SECONDS] [--claims JSON] [--acl JSON]
                               [--secret-id ID | --secret-file FILE | --private-key FILE] [--alg ALG] [--kid KID]
      mints a token, signed by the development key (.dev/dev-key.json) unless told otherwise:
        --secret-id ID      the HMAC secret in AWS Secrets Manager (your AWS credentials), read as the function
                            reads it (JWT_SECRET_FORMAT, or --secret-format); HS256 unless --alg
        --secret-file FILE  the same from a file
        --private-key FILE  a PEM private key (RS256, ES256/384/512 or EdDSA by its type unless --alg)
      claims in --claims (including exp and iat) win over the defaults
${REVOCATION_USAGE}`;

const OPTIONS = {
  'client-id': { type: 'string', default: 'dev-device-1' },
  username: { type: 'string' },
  sub: { type: 'string' },
  ttl: { type: 'string', default: '3600' },
  claims: { type: 'string', default: '{}' },
  acl: { type: 'string' },
  json: { type: 'boolean', default: false },
  protocol: { type: 'string', default: 'mqtt' },
  header: { type: 'string', multiple: true },
  query: { type: 'string' },
  'secret-id': { type: 'string' },
  'secret-file': { type: 'string' },
  'secret-format': { type: 'string' },
  'private-key': { type: 'string' },
  alg: { type: 'string' },
  kid: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === '--help' || command === '-h' || command === 'help' || rest.includes('--help') || rest.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
if (command === 'revoke' || command === 'unrevoke' || command === 'revocations') process.exit(await runRevocationCommand(command, rest));
let parsed;
try {
  parsed = parseArgs({ args: rest, allowPositionals: true, options: OPTIONS });
} catch (err) {
  fail(`${(err as Error).message.split('\n')[0]}\n${USAGE}`);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function json(option: string, raw: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  return fail(`--${option}: not a JSON object`);
}

async function mint(): Promise<void> {
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) fail('--ttl: a positive whole number of seconds');
  const claims = { sub: values.sub ?? values['client-id'], ...json('claims', values.claims), ...(values.acl && { acl: json('acl', values.acl) }) };
  try {
    const { key, alg, kid } = await signingKeyFrom({
      secretId: values['secret-id'], secretFile: values['secret-file'], privateKey: values['private-key'],
      secretFormat: values['secret-format'], alg: values.alg, kid: values.kid,
    });
    console.log(await signToken(key, { alg, ...(kid !== undefined && { kid }) }, claims, ttl));
  } catch (err) {
    if (err instanceof SigningKeyError) fail(err.message);
    throw err;
  }
}

async function explain(): Promise<void> {
  const httpGiven = values.header !== undefined || values.query !== undefined;
  const given = (positionals[0] ?? (process.stdin.isTTY || httpGiven ? '' : await text(process.stdin))).trim();
  // A token already in --header or --query is explained as sent.
  const token = given === '' ? undefined : given;
  if (token === undefined && !httpGiven) fail(`give a token as an argument or on stdin\n${USAGE}`);
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
  let event;
  try {
    event = clientEvent({ protocol: parseProtocol(values.protocol), sources: config.tokenFrom, token, clientId, username: values.username, headers: values.header, query: values.query });
  } catch (err) {
    fail((err as Error).message);
  }
  const decision = await createAuthorizer(config).decide(event, LOCAL_FUNCTION_ARN);
  const mismatch = claimMismatch(decision, config, clientId, values.username);
  if (values.json) {
    const { record, response, claims } = decision;
    console.log(JSON.stringify({ decision: record.decision, reason: record.reason, detail: record.detail, ...(mismatch && { mismatch }), claims, log: record, response }, null, 2));
  } else {
    console.log(readable(decision, clientId, mismatch, config.profiles.some((p) => p.issuer !== undefined)));
  }
  process.exitCode = decision.record.decision === 'allow' ? 0 : 1;
}

/** For CLAIM_MISMATCH: what JWT_VERIFY_CLAIMS expected (placeholders filled) and what the token holds. */
function claimMismatch({ record, claims }: Decision, config: Config, clientId: string, username: string | undefined) {
  const claim = record.detail?.claim;
  if (record.reason !== 'CLAIM_MISMATCH' || typeof claim !== 'string' || claims === undefined) return undefined;
  const profile = config.profiles.find((p) => p.issuer === undefined || p.issuer === claims.iss);
  const template = profile?.verifyClaims[claim];
  const expected = typeof template === 'string' ? renderTemplate(template, { clientId, username }) ?? `${template} (the client sent no value for it)` : template;
  return { claim, expected, actual: claims[claim] };
}

function readable({ record, response, claims }: Decision, clientId: string, mismatch: ReturnType<typeof claimMismatch>, profiled: boolean): string {
  const lines: string[] = [];
  if (record.decision === 'allow') lines.push(`ALLOW  client ${clientId}, principal ${response.principalId}`);
  else lines.push(`DENY   ${record.reason}${record.detail ? `  ${JSON.stringify(record.detail)}` : ''}`);
  if (mismatch !== undefined) lines.push(`claim  ${mismatch.claim}: expected ${JSON.stringify(mismatch.expected)}, the token has ${JSON.stringify(mismatch.actual)}`);
  if (profiled && claims !== undefined) lines.push(`issuer profile ${JSON.stringify(claims.iss)} decided`);
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
else fail(`unknown command "${command}"\n${USAGE}`);
