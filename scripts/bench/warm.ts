// One algorithm's warm path, side by side in one process: the full handler (the built bundle), bare
// jose.jwtVerify with the same key and options, and raw node:crypto verification of the same signatures.
// Run by scripts/bench.ts in a child process whose stdout (the handler's log lines) goes nowhere.
import { constants, createHmac, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import { importJWK, jwtVerify, type CryptoKey } from 'jose';
import { JwtVerifier } from 'aws-jwt-verify';
import { createVerifier } from 'fast-jwt';
import { importAuthorizer } from '../../local/bundle.ts';
import { lambdaContext } from '../../local/iot-event.ts';
import { startSecretsManager } from '../../local/secrets-manager-emulator.ts';
import { AUDIENCE, authorizerEnv, benchKey, eventFor, HERMETIC_AWS_ENV, ISSUER, median, mintTokens, percentile, type Alg } from './fixtures.ts';

const alg = process.argv[2] as Alg;
const ROUNDS = 7;
const ROUND_MS = 250;

const key = await benchKey(alg);
const sm = await startSecretsManager();
if (key.secret !== undefined) sm.put('bench-secret', key.secret);
Object.assign(process.env, HERMETIC_AWS_ENV, authorizerEnv(key, sm.endpoint));
// Two containers: one with the verified-signature cache off, so that every call pays for its signature as
// a token never seen before does; one as deployed, for the repeated token.
process.env.JWT_VERIFIED_CACHE_ENTRIES = '0';
const freshHandler = await importAuthorizer();
delete process.env.JWT_VERIFIED_CACHE_ENTRIES;
const handler = await importAuthorizer();
const tokens = await mintTokens(key, 2000);
const events = tokens.map(({ token, clientId }) => eventFor(token, clientId));
const parts = tokens.map(({ token }) => {
  const [h, p, s] = token.split('.') as [string, string, string];
  return { input: Buffer.from(`${h}.${p}`), signature: Buffer.from(s, 'base64url') };
});

// Bare jose at its fastest: the key imported once as a CryptoKey (a KeyObject or bytes is re-imported per call).
const joseKey: CryptoKey = key.secret !== undefined
  ? await crypto.subtle.importKey('raw', key.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
  : (await importJWK(key.publicJwk!, alg)) as CryptoKey;
const joseOptions = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp'], clockTolerance: 30 };
const rawVerify: Record<Alg, (i: number) => boolean> = {
  HS256: (i) => timingSafeEqual(createHmac('sha256', key.secret!).update(parts[i]!.input).digest(), parts[i]!.signature),
  RS256: (i) => cryptoVerify('sha256', parts[i]!.input, key.verifyKey, parts[i]!.signature),
  PS256: (i) => cryptoVerify('sha256', parts[i]!.input, { key: key.verifyKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, parts[i]!.signature),
  ES256: (i) => cryptoVerify('sha256', parts[i]!.input, { key: key.verifyKey, dsaEncoding: 'ieee-p1363' }, parts[i]!.signature),
  EdDSA: (i) => cryptoVerify(null, parts[i]!.input, key.verifyKey, parts[i]!.signature),
};

// What a user would write instead of us: AWS's aws-jwt-verify (no HMAC), with the same key cached so that it
// never fetches, verifying synchronously; for HS256, fast-jwt without its cache. Bench-only dependencies.
const awsVerifier = key.publicJwk !== undefined && ['RS256', 'ES256', 'EdDSA'].includes(alg)
  ? JwtVerifier.create({ issuer: ISSUER, audience: AUDIENCE, jwksUri: 'https://idp.bench.example/.well-known/jwks.json' })
  : undefined;
awsVerifier?.cacheJwks({ keys: [key.publicJwk as never] });
const fastVerify = key.secret !== undefined
  ? createVerifier({ key: Buffer.from(key.secret), algorithms: ['HS256'], allowedIss: ISSUER, allowedAud: AUDIENCE, cache: false })
  : undefined;

type Op = (i: number) => Promise<unknown> | unknown;
// The runtime builds a context per invocation; that is its cost, not the handler's: one for every call here.
const context = lambdaContext();
const latencies: number[] = [];
const ops: Record<string, Op> = {
  handler: async (i) => {
    const started = performance.now();
    const response = await freshHandler(events[i]!, context);
    latencies.push(performance.now() - started);
    if (!response.isAuthenticated) throw new Error(`the handler denied a good ${alg} token`);
  },
  jose: (i) => jwtVerify(tokens[i]!.token, joseKey, joseOptions),
  crypto: (i) => { if (!rawVerify[alg](i)) throw new Error('raw verify failed'); },
  // A token seen again: the same one every call.
  handlerRepeat: async () => { await handler(events[0]!, context); },
  joseRepeat: () => jwtVerify(tokens[0]!.token, joseKey, joseOptions),
  ...(awsVerifier && {
    awsJwtVerify: (i: number) => awsVerifier.verifySync(tokens[i]!.token),
    awsJwtVerifyRepeat: () => awsVerifier.verifySync(tokens[0]!.token),
  }),
  ...(fastVerify && { fastJwt: (i: number) => fastVerify(tokens[i]!.token) }),
};

let cursor = 0;
async function round(op: Op): Promise<number> {
  const end = performance.now() + ROUND_MS;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 20; k += 1) {
      await op(cursor);
      cursor = (cursor + 1) % tokens.length;
      n += 1;
    }
  }
  return n / (ROUND_MS / 1000);
}

// Warm every path (caches, JIT, the key fetch) before measuring; then interleave rounds so that noise from
// the shared machine falls on all of them alike.
for (const op of Object.values(ops)) await round(op);
latencies.length = 0;
const rates: Record<string, number[]> = Object.fromEntries(Object.keys(ops).map((name) => [name, []]));
for (let r = 0; r < ROUNDS; r += 1) {
  for (const [name, op] of Object.entries(ops)) {
    rates[name]!.push(await round(op));
  }
}
const sorted = latencies.sort((a, b) => a - b);
process.send!({
  alg,
  perSecond: Object.fromEntries(Object.entries(rates).map(([name, values]) => [name, median(values)])),
  handlerLatencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length },
  secretsManagerCalls: sm.calls(),
});
await sm.close();
process.exit(0);
