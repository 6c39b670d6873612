// A CPU profile of the warm path: the handler, from source so that the profile names our functions, on
// tokens never seen before (signature cache off) of one algorithm, the bench's 5-rule ACL. Run it under
// `node --cpu-prof`:
//
//   node --import tsx --cpu-prof --cpu-prof-dir=dist/profile scripts/bench/profile.ts RS256
//
// and open the .cpuprofile in Chrome DevTools or VS Code. On a sandboxed machine samples gather around
// system calls: the log line's write read as a quarter of the time here and costs 1-2 µs when measured
// (JWT_LOG_ALLOWS=false takes it out), so check a syscall's share that way before believing it.
import { lambdaContext } from '../../local/iot-event.ts';
import { startSecretsManager } from '../../local/secrets-manager-emulator.ts';
import { ALGORITHMS, authorizerEnv, benchKey, eventFor, HERMETIC_AWS_ENV, mintTokens, type Alg } from './fixtures.ts';

const alg = (process.argv[2] ?? 'RS256') as Alg;
if (!ALGORITHMS.includes(alg)) throw new Error(`usage: profile.ts ${ALGORITHMS.join('|')}`);
const INVOCATIONS = 200_000;

const key = await benchKey(alg);
const sm = await startSecretsManager();
if (key.secret !== undefined) sm.put('bench-secret', key.secret);
Object.assign(process.env, HERMETIC_AWS_ENV, authorizerEnv(key, sm.endpoint), { JWT_VERIFIED_CACHE_ENTRIES: '0' });
// The configuration is read when the handler's module is imported: after the environment is set.
const { handler } = await import('../../functions/authorizer/handler.ts');
const events = (await mintTokens(key, 2000)).map(({ token, clientId }) => eventFor(token, clientId));
const context = lambdaContext();

for (let i = 0; i < 20_000; i += 1) await handler(events[i % events.length]!, context);
const started = performance.now();
for (let i = 0; i < INVOCATIONS; i += 1) await handler(events[i % events.length]!, context);
process.stderr.write(`${alg}: ${(((performance.now() - started) * 1000) / INVOCATIONS).toFixed(2)} µs per invocation\n`);
await sm.close();
