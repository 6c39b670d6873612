// RSS over 100k invocations (after a GC at each sample) with a token mix that churns every cache: more
// distinct tokens than the verified-signature cache holds, cycled, so that it is always full.
import { importAuthorizer } from '../../local/bundle.ts';
import { lambdaContext } from '../../local/iot-event.ts';
import { startSecretsManager } from '../../local/secrets-manager-emulator.ts';
import { authorizerEnv, benchKey, eventFor, HERMETIC_AWS_ENV, mintTokens } from './fixtures.ts';

const INVOCATIONS = Number(process.env.BENCH_MEMORY_INVOCATIONS ?? 100_000);
const key = await benchKey('HS256');
const sm = await startSecretsManager();
sm.put('bench-secret', key.secret!);
Object.assign(process.env, HERMETIC_AWS_ENV, authorizerEnv(key, sm.endpoint));
const handler = await importAuthorizer();
const tokens = await mintTokens(key, 3000);
const events = tokens.map(({ token, clientId }) => eventFor(token, clientId));
const gc = (globalThis as { gc?: () => void }).gc!;
const samples: Array<{ invocations: number; rssMiB: number; heapMiB: number }> = [];
for (let i = 1; i <= INVOCATIONS; i += 1) {
  const response = await handler(events[i % events.length]!, lambdaContext());
  if (!response.isAuthenticated) throw new Error('denied a good token');
  if (i % (INVOCATIONS / 10) === 0) {
    gc();
    const { rss, heapUsed } = process.memoryUsage();
    samples.push({ invocations: i, rssMiB: rss / 2 ** 20, heapMiB: heapUsed / 2 ** 20 });
  }
}
process.send!({ samples });
await sm.close();
process.exit(0);
