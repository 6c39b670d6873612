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
import { costPerMillion, monthlyFixed, monthlyInvocations, parseFleet, PRICES, type Measured } from './bench/cost.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** One cold start per this many invocations: AWS says cold starts are typically under 1% of invocations. */
const COLD_EVERY = 100;
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
const fleetArg = process.argv.indexOf('--fleet');
if (fleetArg !== -1) {
  await printFleetCost(process.argv[fleetArg + 1] ?? '');
  process.exit(0);
}
process.stderr.write('warm path');

interface Warm { alg: string; perSecond: Record<string, number>; handlerLatencyMs: { p50: number; p99: number; mean: number } }
const warm: Warm[] = [];
for (const alg of ALGORITHMS) {
  warm.push(await worker<Warm>('warm.ts', [alg]));
  process.stderr.write(` ${alg}`);
}

process.stderr.write('\nstages');
const stages = await worker<{ micros: Record<string, number> }>('stages.ts');

process.stderr.write('\ncold start');
const cold = await measureColdStarts(15);

process.stderr.write('\nmemory (100k invocations)');
const memory = await worker<{ samples: Array<{ invocations: number; rssMiB: number; heapMiB: number }> }>('memory.ts');
process.stderr.write('\nupstream calls\n');
const caching = await worker<{ results: Record<string, { calls: number; allowed: number; of: number }> }>('caching.ts');

process.stderr.write('log bytes\n');
const logBytes = await measureLogBytes();
process.stderr.write('issuer profiles\n');
const profiles = await worker<{ profiles: number; issuer: string; single: number; multi: number }>('profiles.ts');
process.stderr.write('revocation\n');
const revocation = await worker<{ invocations: number; allowed: number; batchGets: number; keysPerRead: number; cacheSeconds: number; devices: number; windowSeconds: number; lookupMsP50: number }>('revocation.ts');

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
lines.push('with middy, the log line, claims and a 5-rule policy; tokens never seen before (signature cache off). "alternative" is');
lines.push('what a user would write instead: AWS\'s aws-jwt-verify (JWK cached, verifySync) or, for HS256 (which it lacks), fast-jwt.');
const ALTERNATIVE_TARGET: Record<string, number> = { RS256: 0.8, ES256: 0.8, HS256: 0.35 };
table([
  ['alg', 'handler/s', 'jose/s', 'alternative/s', 'handler÷alt', 'target', 'handler÷crypto', 'p50 ms', 'p99 ms', 'repeat/s', 'repeat÷alt repeat', 'target ≥2'],
  ...warm.map(({ alg, perSecond: r, handlerLatencyMs: l }) => {
    const alternative = r.awsJwtVerify ?? r.fastJwt;
    const target = ALTERNATIVE_TARGET[alg];
    const ratio = alternative === undefined ? undefined : r.handler! / alternative;
    const repeatRatio = r.awsJwtVerifyRepeat === undefined ? undefined : r.handlerRepeat! / r.awsJwtVerifyRepeat;
    return [
      alg, fmt(r.handler!), fmt(r.jose!), alternative === undefined ? '-' : `${fmt(alternative)} ${r.awsJwtVerify ? 'aws' : 'fast-jwt'}`,
      ratio === undefined ? '-' : fmt(ratio, 2), target === undefined || ratio === undefined ? '' : `≥ ${target} ${mark(ratio >= target)}`,
      fmt(r.handler! / r.crypto!, 3), fmt(l.p50, 3), fmt(l.p99, 3), fmt(r.handlerRepeat!),
      repeatRatio === undefined ? '-' : fmt(repeatRatio, 2), repeatRatio === undefined ? '' : mark(repeatRatio >= 2),
    ];
  }),
]);
lines.push('"handler÷crypto": against raw node:crypto verification of the same signatures, the physical limit.');
lines.push('"repeat": the same token again (IoT\'s policy refresh, a reconnect): the verified-signature cache, time claims re-checked.', '');
lines.push('Where a first-seen token\'s time goes: each stage alone, µs per call (median of 5 rounds of 100,000; ES256, the 5-rule ACL):');
table([['stage', 'µs'], ...Object.entries(stages.micros).map(([name, us]) => [name, fmt(us, 2)]),
  ['sum', fmt(Object.values(stages.micros).reduce((a, b) => a + b, 0), 2)]]);
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
lines.push('Log bytes per invocation, as CloudWatch bills them (each line\'s UTF-8 bytes + 26), from the built bundle:');
table([
  ['invocation', 'billed bytes', 'JWT_LOG_ALLOWS=false', 'target'],
  ...Object.keys(logBytes.allows).map((name) => [name, fmt(logBytes.allows[name]!), fmt(logBytes.deniesOnly[name]!),
    name === 'allow' ? `≤ 250 ${mark(logBytes.allows[name]! <= 250)}` : name.startsWith('deny') ? `≤ 400 ${mark(logBytes.allows[name]! <= 400)}` : '']),
]);
// The default deployment signs with the generated HMAC secret: HS256.
const basis = warm.find((w) => w.alg === 'HS256')!;
const measured = (denyOnly: boolean): Measured => ({
  invokeMs: basis.handlerLatencyMs.mean, initMs: cold.secretsManagerInitMs,
  allowBytes: (denyOnly ? logBytes.deniesOnly : logBytes.allows).allow!, denyBytes: averageDenyBytes(logBytes.allows),
});
lines.push('All-in cost per million authorizations at the default settings (HS256, the generated secret), arm64, 10% denies:');
lines.push('the measured mean handler time scaled to the function\'s CPU share (1,769 MB = 1 vCPU) and billed per ms; INIT (billed');
lines.push(`since 2025-08-01: the bundle's import and first answer, with the secret's first read, ${fmt(cold.secretsManagerInitMs, 1)} ms as the process`);
lines.push(`measures them) once per ${fmt(COLD_EVERY)} invocations; logs as measured above.`);
lines.push('Prices in docs/bench.md (us-east-1, read 2026-12-02).');
const row = (label: string, m: Measured, memoryMb: number, target?: number) => {
  const c = costPerMillion(m, { memoryMb, denyShare: 0.1, invocationsPerColdStart: COLD_EVERY });
  return [label, `${memoryMb} MB`, `$${fmt(c.requests, 3)}`, `$${fmt(c.duration, 4)}`, `$${fmt(c.init, 4)}`, `$${fmt(c.logsStandard, 3)}`, `$${fmt(c.logsInfrequent, 3)}`,
    `$${fmt(c.total, 3)}`, target === undefined ? '' : `≤ $${fmt(target, 2)} ${mark(c.total <= target)}`];
};
table([
  ['logging', 'memory', 'requests', 'duration', 'INIT', 'logs (Standard)', 'logs (IA)', 'all-in', 'target'],
  row('every decision', measured(false), 128), row('every decision', measured(false), 256, 0.35),
  row('JWT_LOG_ALLOWS=false', measured(true), 128), row('JWT_LOG_ALLOWS=false', measured(true), 256, 0.22),
]);
lines.push(`Fixed per month: ${fmt(4 + 5)} metric-filter metrics (allows, denies, cold starts, key-source failures, and one per deny reason seen;`);
lines.push(`5 reasons assumed) at $${PRICES.metricMonth} and the dashboard at $${PRICES.dashboardMonth}: $${fmt(monthlyFixed(5), 2)}. With JWT_SECRET_ID, each warm container`);
lines.push(`reads the secret twice per JWT_SECRET_CACHE_SECONDS (300): $${fmt(2 * (3600 / 300) * 24 * 30.4 * PRICES.secretsCall, 3)} per container-month.`, '');
{
  const cost = 1 - profiles.multi / profiles.single;
  lines.push(`Issuer profiles: ES256 tokens of ${profiles.issuer} (profile ${profiles.profiles / 2 + 1} of ${profiles.profiles}, each with its own key) against the`);
  lines.push('same configuration as JWT_* variables, tokens never seen before, median of interleaved rounds:');
  table([
    ['configuration', 'handler/s', 'cost of selection', 'target'],
    ['single issuer (JWT_*)', fmt(profiles.single), '', ''],
    [`${profiles.profiles} profiles (JWT_ISSUERS)`, fmt(profiles.multi), `${fmt(cost * 100, 1)}%`, `< 2% ${mark(cost < 0.02)}`],
  ]);
}
{
  const { invocations, batchGets, keysPerRead, cacheSeconds, devices, windowSeconds, lookupMsP50 } = revocation;
  const hitRate = 1 - batchGets / invocations;
  // An eventually consistent read of an item under 4 KB is half a read request unit, found or not.
  const perMillion = (batchGets / invocations) * keysPerRead * 0.5 * PRICES.dynamoDbReadUnit * 1e6;
  lines.push(`Revocation (JWT_REVOCATION_TABLE): ${fmt(devices)} devices connecting ${fmt(invocations / devices)} times each within ${windowSeconds / 60} simulated minutes,`);
  lines.push(`JWT_REVOCATION_CACHE_SECONDS=${cacheSeconds}: ${fmt(batchGets)} BatchGetItem requests of ${keysPerRead} keys for ${fmt(invocations)} authorizations, a cache hit rate of`);
  lines.push(`${fmt(hitRate * 100, 1)}%; DynamoDB on demand at $${PRICES.dynamoDbReadUnit * 1e6} per million read units: $${fmt(perMillion, 3)} per million authorizations`);
  lines.push(`($${fmt(keysPerRead * 0.5 * PRICES.dynamoDbReadUnit * 1e6, 3)} when every lookup misses the cache). A lookup that reads the table adds ${fmt(lookupMsP50, 2)} ms here (p50, local`);
  lines.push('dynalite; DynamoDB in the same region answers in single-digit ms).', '');
}
lines.push(`Ran in ${fmt((Date.now() - started) / 1000, 1)} s.`);
console.log(lines.join('\n'));
mkdirSync(`${ROOT}dist`, { recursive: true });
writeFileSync(`${ROOT}dist/bench.json`, JSON.stringify({ node: process.version, date: new Date().toISOString(), warm, cold, bundle: { bytes, gzipBytes }, memory, caching: caching.results, stages: stages.micros, logBytes, revocation, profiles }, null, 2));
console.log('Wrote dist/bench.json');

interface LogBytes { allows: Record<string, number>; deniesOnly: Record<string, number> }

async function measureLogBytes(): Promise<LogBytes> {
  const allows = await worker<{ bytes: Record<string, number> }>('log-bytes.ts', ['allows']);
  const deniesOnly = await worker<{ bytes: Record<string, number> }>('log-bytes.ts', ['denies-only']);
  return { allows: allows.bytes, deniesOnly: deniesOnly.bytes };
}

function averageDenyBytes(bytes: Record<string, number>): number {
  const denies = Object.entries(bytes).filter(([name]) => name.startsWith('deny')).map(([, b]) => b);
  return denies.reduce((a, b) => a + b, 0) / denies.length;
}

/** `npm run bench -- --fleet devices=10000,reconnects=4/day,refresh=3600`: a fleet's monthly bill at the default settings. */
async function printFleetCost(spec: string): Promise<void> {
  let fleet;
  try {
    fleet = parseFleet(spec);
  } catch (err) {
    console.error(`${(err as Error).message}\nusage: npm run bench -- --fleet devices=N[,reconnects=N/day][,refresh=SECONDS]`);
    process.exit(2);
  }
  process.stderr.write('measuring HS256 (the default deployment\'s generated secret), the log lines and the cold start (about 30 s)\n');
  const [basis, logBytes, cold] = [await worker<Warm>('warm.ts', ['HS256']), await measureLogBytes(), await measureColdStarts(5)];
  const invocations = monthlyInvocations(fleet);
  const fixed = monthlyFixed(5);
  const out = [`Fleet: ${fleet.devices.toLocaleString('en-US')} devices, ${fleet.reconnectsPerDay} connects a day each${fleet.refreshSeconds ? `, policy refresh every ${fleet.refreshSeconds} s` : ', no periodic refresh'}:`,
    `${Math.round(invocations).toLocaleString('en-US')} authorizations a month (10% denies assumed, 256 MB arm64, one cold start per ${COLD_EVERY}).`, ''];
  for (const [label, denyOnly] of [['every decision logged', false], ['JWT_LOG_ALLOWS=false', true]] as const) {
    const m: Measured = { invokeMs: basis.handlerLatencyMs.mean, initMs: cold.secretsManagerInitMs, allowBytes: (denyOnly ? logBytes.deniesOnly : logBytes.allows).allow!, denyBytes: averageDenyBytes(logBytes.allows) };
    const c = costPerMillion(m, { memoryMb: 256, denyShare: 0.1, invocationsPerColdStart: COLD_EVERY });
    out.push(`${label.padEnd(22)} $${(c.total * invocations / 1e6).toFixed(2)} a month per-invocation charges ($${c.total.toFixed(3)} per million) + $${fixed.toFixed(2)} fixed (metrics, dashboard)`);
  }
  console.log(out.join('\n'));
}

/**
 * Fresh processes, as close to a Lambda cold start as this machine gets: `node -e 0`, and the bundle imported
 * and answering one CONNECT with static keys and with Secrets Manager, interleaved; medians of `runs`.
 */
async function measureColdStarts(runs: number): Promise<{ baseline: number; staticKeys: number; secretsManager: number; secretsManagerInitMs: number }> {
  // NODE_EXTRA_CA_CERTS (set on this machine) costs Node 20 about 80 ms at start-up: it is left out of every run alike.
  const { NODE_EXTRA_CA_CERTS: _ca, ...baseEnv } = process.env;
  const coldKey = await benchKey('ES256');
  const coldSecret = await benchKey('HS256');
  const sm = await startSecretsManager();
  sm.put('bench-secret', coldSecret.secret!);
  const [coldToken] = await mintTokens(coldKey, 1);
  const [coldSecretToken] = await mintTokens(coldSecret, 1);
  // The wall time of the whole process, and what the process itself reports: its import and first answer.
  const inside: number[] = [];
  const wall = (args: string[], env: Record<string, string | undefined>, report?: number[]) => new Promise<number>((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: report === undefined ? 'ignore' : ['ignore', 'ignore', 'ignore', 'ipc'] });
    child.on('message', (m: { importMs: number; firstAnswerMs: number }) => report?.push(m.importMs + m.firstAnswerMs));
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
  const coldEnv = (extra: Record<string, string>, token: { token: string; clientId: string }) =>
    ({ ...baseEnv, ...HERMETIC_AWS_ENV, ...extra, BENCH_BUNDLE: BUNDLE_PATH, BENCH_EVENT: JSON.stringify(eventFor(token.token, token.clientId)) });
  const samples = { baseline: [] as number[], staticKeys: [] as number[], secretsManager: [] as number[] };
  for (let i = 0; i < runs; i += 1) {
    samples.baseline.push(await wall(['-e', '0'], baseEnv));
    samples.staticKeys.push(await wall([`${ROOT}scripts/bench/cold.mjs`], coldEnv(authorizerEnv(coldKey), coldToken!)));
    samples.secretsManager.push(await wall([`${ROOT}scripts/bench/cold.mjs`], coldEnv(authorizerEnv(coldSecret, sm.endpoint), coldSecretToken!), inside));
  }
  await sm.close();
  return { baseline: median(samples.baseline), staticKeys: median(samples.staticKeys), secretsManager: median(samples.secretsManager), secretsManagerInitMs: median(inside) };
}
