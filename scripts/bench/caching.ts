// Upstream calls (GetSecretValue, JWKS fetches) per 10k invocations: steady state, during a rotation,
// under a flood of bad tokens, and for 100 concurrent cold invocations. Each scenario is a fresh container.
import { randomBytes } from 'node:crypto';
import { importAuthorizer } from '../../local/bundle.ts';
import { lambdaContext } from '../../local/iot-event.ts';
import { startJwksServer } from '../../local/jwks-server.ts';
import { startSecretsManager } from '../../local/secrets-manager-emulator.ts';
import type { AuthorizerHandler } from '../../local/broker.ts';
import { authorizerEnv, benchKey, eventFor, HERMETIC_AWS_ENV, mintTokens, type BenchKey } from './fixtures.ts';

const N = 10_000;
const sm = await startSecretsManager();
const hs = await benchKey('HS256');
const es = await benchKey('ES256');
const jwks = await startJwksServer({ json: { keys: [es.publicJwk] } });
Object.assign(process.env, HERMETIC_AWS_ENV);

async function container(env: Record<string, string>): Promise<AuthorizerHandler> {
  for (const name of Object.keys(process.env)) if (name.startsWith('JWT_')) delete process.env[name];
  Object.assign(process.env, env);
  return importAuthorizer();
}
const secretEnv = () => authorizerEnv(hs, sm.endpoint);
const jwksEnv = () => { const { JWT_JWKS: _inline, ...rest } = authorizerEnv(es); return { ...rest, JWT_JWKS_URL: jwks.url.href }; };
async function run(handler: AuthorizerHandler, tokens: Array<{ token: string; clientId: string }>, count = N, onStep?: (i: number) => void) {
  let allowed = 0;
  for (let i = 0; i < count; i += 1) {
    onStep?.(i);
    const { token, clientId } = tokens[i % tokens.length]!;
    if ((await handler(eventFor(token, clientId), lambdaContext())).isAuthenticated) allowed += 1;
  }
  return allowed;
}
const forged = async (key: BenchKey, n: number) => mintTokens({ ...key, signingKey: randomBytes(32) }, n);

const results: Record<string, { calls: number; allowed: number; of: number }> = {};
const measure = async (name: string, counter: () => number, body: () => Promise<number>, of = N) => {
  const before = counter();
  const allowed = await body();
  results[name] = { calls: counter() - before, allowed, of };
};
const smCalls = () => sm.calls();
const jwksHits = () => jwks.hits();

sm.put('bench-secret', hs.secret!);
const hsTokens = await mintTokens(hs, 2000);
await measure('secrets-manager: steady state', smCalls, async () => run(await container(secretEnv()), hsTokens));
const esTokens = await mintTokens(es, 2000);
await measure('jwks: steady state', jwksHits, async () => run(await container(jwksEnv()), esTokens));

// Rotation: halfway through, the secret changes and devices start presenting tokens from the new value.
await measure('secrets-manager: rotation mid-run', smCalls, async () => {
  const handler = await container(secretEnv());
  const rotated = { ...hs, secret: randomBytes(32) };
  const newTokens = await mintTokens({ ...rotated, signingKey: rotated.secret }, 2000);
  let allowed = await run(handler, hsTokens, N / 2);
  sm.put('bench-secret', rotated.secret);
  allowed += await run(handler, newTokens, N / 2);
  return allowed;
});
sm.put('bench-secret', hs.secret!);

await measure('secrets-manager: bad-token flood', smCalls, async () => run(await container(secretEnv()), await forged(hs, N)));
await measure('jwks: flood of unknown kids', jwksHits, async () => {
  const handler = await container(jwksEnv());
  const strangers = await Promise.all(Array.from({ length: 50 }, () => benchKey('ES256')));
  const tokens = (await Promise.all(strangers.map((k, i) => mintTokens({ ...k, kid: `random-${i}` }, N / 50)))).flat();
  return run(handler, tokens);
});
await measure('secrets-manager: 100 concurrent cold invocations', smCalls, async () => {
  const handler = await container(secretEnv());
  const answers = await Promise.all(hsTokens.slice(0, 100).map(({ token, clientId }) => handler(eventFor(token, clientId), lambdaContext())));
  return answers.filter((a) => a.isAuthenticated).length;
}, 100);
await measure('jwks: 100 concurrent cold invocations', jwksHits, async () => {
  const handler = await container(jwksEnv());
  const answers = await Promise.all(esTokens.slice(0, 100).map(({ token, clientId }) => handler(eventFor(token, clientId), lambdaContext())));
  return answers.filter((a) => a.isAuthenticated).length;
}, 100);

process.send!({ results });
await sm.close();
await jwks.close();
process.exit(0);
