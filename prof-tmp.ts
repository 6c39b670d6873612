import { lambdaContext } from './local/iot-event.ts';
import { authorizerEnv, benchKey, eventFor, HERMETIC_AWS_ENV, mintTokens } from './scripts/bench/fixtures.ts';
const key = await benchKey('ES256');
Object.assign(process.env, HERMETIC_AWS_ENV, authorizerEnv(key), { JWT_VERIFIED_CACHE_ENTRIES: '0' });
const { handler } = await import('./functions/authorizer/handler.ts');
const tokens = await mintTokens(key, 3000);
const events = tokens.map((t) => eventFor(t.token, t.clientId));
const end = Date.now() + 5000; let n = 0;
while (Date.now() < end) { await handler(events[n % 3000], lambdaContext()); n++; }
console.error('per second', n / 5);
