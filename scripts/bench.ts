// npm run bench: speed, cold start, memory, upstream calls and cost of the built authorizer, side by side
// with bare jose and raw node:crypto in the same processes. Prints a table with each target beside its
// figure, and writes dist/bench.json. The machine is shared: read the ratios, not the absolute rates.
import { fork, spawn } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: the build script is plain JavaScript
import { buildAuthorizer } from './build.mjs';
import { BUNDLE_PATH } from '../local/bundle.ts';
import { startSecretsManager } from '../local/secrets-manager-emulator.ts';
import { ALGORITHMS, authorizerEnv, benchKey, eventFor, HERMETIC_AWS_ENV, median, mintTokens } from './bench/fixtures.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const started = Date.now();

/** Runs a benchmark script in its own process (the handler's log lines go nowhere) and returns its report. */
function worker<T>(script: string, args: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(`${ROOT}scripts/bench/${script}`, args, { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let report: T | undefined;
    child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
    child.on('message', (message) => { report = message as T; });
    child.on('exit', (code) => (report !== undefined ? resolve(report) : reject(new Error(`${script} ${args.join(' ')} exited ${code}:\n${stderr}`))));
  });
}

const { bytes, gzipBytes } = await buildAuthorizer({ quiet: true });
process.stderr.write('warm path');

interface Warm { alg: string; perSecond: Record<string, number>; handlerLatencyMs: { p50: number; p99: number; mean: number } }
const warm: Warm[] = [];
for (const alg of ALGORITHMS) {
  warm.push(await worker<Warm>('warm.ts', [alg]));
  process.stderr.write(` ${alg}`);
}

process.stderr.write('\ncold start');
// Fresh processes, as close to a Lambda cold start as this machine gets. NODE_EXTRA_CA_CERTS (set on this
// machine) costs Node 20 about 80 ms at start-up: it is left out of every run alike.
const { NODE_EXTRA_CA_CERTS: _ca, ...baseEnv } = process.env;
const coldKey = await benchKey('ES256');
const coldSecret = await benchKey('HS256');
const sm = await startSecretsManager();
sm.put('bench-secret', coldSecret.secret!);
const [coldToken] = await mintTokens(coldKey, 1);
const [coldSecretToken] = await mintTokens(coldSecret, 1);
const wall = (args: string[], env: Record<string, string | undefined>) => new Promise<number>((resolve, reject) => {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
  child.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${args.join(' ')} exited ${code}`))));
});
const coldEnv = (extra: Record<string, string>, token: { token: string; clientId: string }) =>
  ({ ...baseEnv, ...HERMETIC_AWS_ENV, ...extra, BENCH_BUNDLE: BUNDLE_PATH, BENCH_EVENT: JSON.stringify(eventFor(token.token, token.clientId)) });
const coldRuns = { baseline: [] as number[], staticKeys: [] as number[], secretsManager: [] as number[] };
for (let i = 0; i < 15; i += 1) {
  coldRuns.baseline.push(await wall(['-e', '0'], baseEnv));
  coldRuns.staticKeys.push(await wall([`${ROOT}scripts/bench/cold.mjs`], coldEnv(authorizerEnv(coldKey), coldToken!)));
  coldRuns.secretsManager.push(await wall([`${ROOT}scripts/bench/cold.mjs`], coldEnv(authorizerEnv(coldSecret, sm.endpoint), coldSecretToken!)));
}
await sm.close();
const cold = Object.fromEntries(Object.entries(coldRuns).map(([k, v]) => [k, median(v)])) as Record<keyof typeof coldRuns, number>;

process.stderr.write('\nmemory (100k invocations)');
const memory = await worker<{ samples: Array<{ invocations: number; rssMiB: number; heapMiB: number }> }>('memory.ts');
process.stderr.write('\nupstream calls\n');
const caching = await worker<{ results: Record<string, { calls: number; allowed: number; of: number }> }>('caching.ts');

// Lambda's public prices, us-east-1, arm64 (aws.amazon.com/lambda/pricing): $0.20 per million requests,
// $0.0000133334 per GB-second, billed per 1 ms. A function gets CPU in proportion to its memory (one vCPU
// at 1,769 MB), so the measured time is scaled by 1769/memory: a rough, pessimistic estimate.
const PRICE_PER_REQUEST = 0.2 / 1e6;
const PRICE_PER_GB_SECOND = 0.0000133334;
const costPerMillion = (ms: number, memoryMb: number) => {
  const billedMs = Math.max(1, Math.ceil(ms * Math.max(1, 1769 / memoryMb)));
  return 1e6 * (PRICE_PER_REQUEST + (billedMs / 1000) * (memoryMb / 1024) * PRICE_PER_GB_SECOND);
};

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mark = (ok: boolean) => (ok ? 'ok  ' : 'MISS');
const lines: string[] = [];
const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const row of rows) lines.push(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  lines.push('');
};
lines.push(`iot-jwt-authorizer bench: Node ${process.version}, ${process.platform} ${process.arch}, ${cpus().length} cores, ${new Date().toISOString()}`, '');
lines.push('Warm path: invocations per second, one at a time (median of 7 interleaved rounds); the handler is the built bundle');
lines.push('with middy, logging, claims and a 5-rule policy; tokens never seen before (signature cache off).');
table([
  ['alg', 'handler/s', 'jose/s', 'crypto/s', 'handler÷jose', 'target ≥0.9', 'added µs', 'handler÷crypto', 'p50 ms', 'p99 ms', 'repeat/s', 'repeat÷jose', 'target ≥5'],
  ...warm.map(({ alg, perSecond: r, handlerLatencyMs: l }) => [
    alg, fmt(r.handler!), fmt(r.jose!), fmt(r.crypto!), fmt(r.handler! / r.jose!, 2), mark(r.handler! / r.jose! >= 0.9),
    fmt(1e6 / r.handler! - 1e6 / r.jose!), fmt(r.handler! / r.crypto!, 3),
    fmt(l.p50, 3), fmt(l.p99, 3), fmt(r.handlerRepeat!), fmt(r.handlerRepeat! / r.joseRepeat!, 2), mark(r.handlerRepeat! / r.joseRepeat! >= 5),
  ]),
]);
lines.push('"added µs": time per call beyond bare jose (event parsing, claims, rules compiled into a policy, middy, the log line).');
lines.push('"repeat": the same token again (IoT\'s policy refresh, a reconnect): the verified-signature cache, time claims re-checked.', '');
lines.push('Cold start: a fresh process imports the bundle and answers one CONNECT (wall time, median of 15).');
table([
  ['configuration', 'ms', '÷ node -e 0', 'target', ''],
  ['node -e 0', fmt(cold.baseline, 1), '1.00', '', ''],
  ['static keys (JWT_JWKS)', fmt(cold.staticKeys, 1), fmt(cold.staticKeys / cold.baseline, 2), '< 2', mark(cold.staticKeys / cold.baseline < 2)],
  ['Secrets Manager', fmt(cold.secretsManager, 1), fmt(cold.secretsManager / cold.baseline, 2), '< 3.5', mark(cold.secretsManager / cold.baseline < 3.5)],
]);
lines.push(`Bundle: dist/authorizer/index.mjs ${fmt(bytes)} bytes (${fmt(bytes / 1024, 1)} KiB), gzip ${fmt(gzipBytes)} bytes; target ≤ 350 KB: ${mark(bytes <= 350_000)}`, '');
const afterWarmUp = memory.samples[1]!;
const last = memory.samples.at(-1)!;
lines.push('Memory: RSS after a GC, HS256, 3,000 distinct tokens cycled (the signature cache always full).');
table([['invocations', ...memory.samples.map((s) => fmt(s.invocations))], ['RSS MiB', ...memory.samples.map((s) => fmt(s.rssMiB, 1))], ['heap MiB', ...memory.samples.map((s) => fmt(s.heapMiB, 1))]]);
const growth = last.rssMiB - afterWarmUp.rssMiB;
lines.push(`RSS growth from ${fmt(afterWarmUp.invocations)} to ${fmt(last.invocations)} invocations: ${fmt(growth, 1)} MiB; heap ${fmt(last.heapMiB - afterWarmUp.heapMiB, 1)} MiB; target: no growth (≤ 2 MiB of noise): ${mark(growth <= 2)}`, '');
lines.push('Upstream calls (GetSecretValue counts both stages, AWSCURRENT and AWSPREVIOUS).');
const cachingTargets: Record<string, number> = {
  'secrets-manager: steady state': 2, 'jwks: steady state': 1, 'secrets-manager: 100 concurrent cold invocations': 2, 'jwks: 100 concurrent cold invocations': 1,
};
table([
  ['scenario', 'invocations', 'allowed', 'calls', 'target', ''],
  ...Object.entries(caching.results).map(([name, r]) => [name, fmt(r.of), fmt(r.allowed), fmt(r.calls), cachingTargets[name] !== undefined ? `≤ ${cachingTargets[name]}` : 'a few', mark(r.calls <= (cachingTargets[name] ?? 20))]),
]);
lines.push('Cost per million authorizations, arm64, from the measured mean handler time scaled to the function\'s CPU share');
lines.push('(1769 MB = 1 vCPU), billed per ms, plus $0.20 per million requests; prices: $0.0000133334/GB-s, us-east-1.');
table([
  ['alg', 'mean ms here', '128 MB', '256 MB'],
  ...warm.map(({ alg, handlerLatencyMs: l }) => [alg, fmt(l.mean, 3), `$${fmt(costPerMillion(l.mean, 128), 3)}`, `$${fmt(costPerMillion(l.mean, 256), 3)}`]),
]);
lines.push(`Ran in ${fmt((Date.now() - started) / 1000, 1)} s.`);
console.log(lines.join('\n'));
mkdirSync(`${ROOT}dist`, { recursive: true });
writeFileSync(`${ROOT}dist/bench.json`, JSON.stringify({ node: process.version, date: new Date().toISOString(), warm, cold, bundle: { bytes, gzipBytes }, memory, caching: caching.results }, null, 2));
console.log('Wrote dist/bench.json');
