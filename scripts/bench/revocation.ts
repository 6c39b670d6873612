// What revocation adds: a fleet scenario against a local DynamoDB (dynalite) through a counting proxy,
// on a simulated clock, so that the cache's hit rate is that of minutes of traffic, not of a tight loop.
// Run by scripts/bench.ts in a child process.
import { createAuthorizer } from '../../functions/authorizer/authorizer.ts';
import { parseConfig } from '../../functions/authorizer/config/config.ts';
import { startLocalDynamoDb, LOCAL_AWS_ENV } from '../../local/dynamodb-local.ts';
import { connectEvent, LOCAL_FUNCTION_ARN } from '../../local/iot-event.ts';
import { startDynamoDbFaults } from '../../test/helpers/dynamodb-faults.ts';
import { benchKey, HERMETIC_AWS_ENV, mintTokens } from './fixtures.ts';

const DEVICES = 2000;
const CONNECTS_PER_DEVICE = 5;
const WINDOW_S = 600; // each device's connects fall at random within 10 simulated minutes (a flapping fleet)
const CACHE_S = 30;

Object.assign(process.env, HERMETIC_AWS_ENV, LOCAL_AWS_ENV);
const db = await startLocalDynamoDb('bench-revocations');
const proxy = await startDynamoDbFaults(db.endpoint);
process.env.AWS_ENDPOINT_URL_DYNAMODB = proxy.endpoint;
const key = await benchKey('ES256');
const tokens = await mintTokens(key, DEVICES);
let clock = Date.now();
const authorizer = createAuthorizer(parseConfig({
  JWT_JWKS: JSON.stringify({ keys: [key.publicJwk] }), JWT_REVOCATION_TABLE: db.table, JWT_REVOCATION_CACHE_SECONDS: String(CACHE_S),
}), { now: () => clock });

const schedule = tokens.flatMap((t) => Array.from({ length: CONNECTS_PER_DEVICE }, () => ({ at: Math.random() * WINDOW_S * 1000, ...t })))
  .sort((a, b) => a.at - b.at);
const start = clock;
const latencies: number[] = [];
let allowed = 0;
for (const { at, token, clientId } of schedule) {
  clock = start + at;
  const before = proxy.batchGets();
  const t0 = performance.now();
  const { record } = await authorizer.decide(connectEvent({ password: token, clientId, username: clientId }), LOCAL_FUNCTION_ARN);
  if (proxy.batchGets() > before) latencies.push(performance.now() - t0);
  if (record.decision === 'allow') allowed += 1;
}
latencies.sort((a, b) => a - b);
process.send!({
  invocations: schedule.length, allowed, batchGets: proxy.batchGets(), keysPerRead: 4, cacheSeconds: CACHE_S,
  devices: DEVICES, windowSeconds: WINDOW_S, lookupMsP50: latencies[Math.floor(latencies.length / 2)] ?? 0,
});
await proxy.close();
await db.close();
process.exit(0);
