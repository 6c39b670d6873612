// What each invocation writes to CloudWatch, measured from the built bundle: the bytes of every line on
// stdout and stderr, billed as CloudWatch bills them (UTF-8 bytes + 26 per event). Run by scripts/bench.ts
// in a child process; argv[2] = "allows" or "denies-only" (JWT_LOG_ALLOWS=false).
import { importAuthorizer } from '../../local/bundle.ts';
import { lambdaContext } from '../../local/iot-event.ts';
import { benchKey, authorizerEnv, eventFor, HERMETIC_AWS_ENV, ISSUER, mintTokens } from './fixtures.ts';
import { SignJWT } from 'jose';

const CLOUDWATCH_EVENT_OVERHEAD = 26;
const key = await benchKey('ES256');
const stranger = await benchKey('ES256');
Object.assign(process.env, HERMETIC_AWS_ENV, authorizerEnv(key), process.argv[2] === 'denies-only' && { JWT_LOG_ALLOWS: 'false' });

// Every line the process writes, by invocation.
let current: string[] = [];
const capture = (stream: NodeJS.WriteStream) => {
  stream.write = ((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) if (line !== '') current.push(line);
    return true;
  }) as typeof stream.write;
};
capture(process.stdout);
capture(process.stderr);
const billed = () => {
  const bytes = current.reduce((sum, line) => sum + Buffer.byteLength(line) + CLOUDWATCH_EVENT_OVERHEAD, 0);
  current = [];
  return bytes;
};

const handler = await importAuthorizer();
const [good, other] = await mintTokens(key, 2);
const now = Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>, signer = key) => new SignJWT({ iss: ISSUER, aud: 'mqtt', iat: now, exp: now + 3600, ...claims })
  .setProtectedHeader({ alg: 'ES256', kid: signer.kid }).sign(signer.signingKey);
const cases: Record<string, { token: string; clientId: string }> = {
  'allow (cold start)': good!,
  allow: good!,
  'deny TOKEN_EXPIRED': { token: await sign({ sub: good!.clientId, exp: now - 600 }), clientId: good!.clientId },
  'deny SIGNATURE_INVALID': { token: await sign({ sub: good!.clientId }, { ...stranger, kid: key.kid }), clientId: good!.clientId },
  'deny KEY_NOT_FOUND': { token: await sign({ sub: good!.clientId }, stranger), clientId: good!.clientId },
  'deny CLAIM_MISMATCH': { token: other!.token, clientId: good!.clientId },
  'deny TOKEN_MALFORMED': { token: 'not.a.token', clientId: good!.clientId },
};
const bytes: Record<string, number> = {};
for (const [name, { token, clientId }] of Object.entries(cases)) {
  await handler(eventFor(token, clientId), lambdaContext());
  bytes[name] = billed();
}
process.send!({ bytes });
process.exit(0);
