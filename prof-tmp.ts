import { lambdaContext } from './local/iot-event.ts';
import { authorizerEnv, benchKey, eventFor, HERMETIC_AWS_ENV, mintTokens } from './scripts/bench/fixtures.ts';
const key = await benchKey('ES256');
Object.assign(process.env, HERMETIC_AWS_ENV, authorizerEnv(key));
const { handler } = await import('./functions/authorizer/handler.ts');
const tokens = await mintTokens(key, 3000);
const events = tokens.map((t) => eventFor(t.token, t.clientId));
const mode = process.argv[2];
const end = Date.now() + 4000; let n = 0;
while (Date.now() < end) { await handler(mode === 'repeat' ? events[0] : events[n % 3000], lambdaContext()); n++; }
console.error(mode, 'per second', n / 4);
