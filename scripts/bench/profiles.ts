// What selecting among 50 issuer profiles costs against the single-issuer path: the same ES256 tokens through
// two containers of the built bundle, one configured with JWT_* variables, one with 50 profiles (each its
// own key), interleaved rounds. Run by scripts/bench.ts in a child process.
import { importAuthorizer } from '../../local/bundle.ts';
import { lambdaContext } from '../../local/iot-event.ts';
import { AUDIENCE, benchKey, eventFor, HERMETIC_AWS_ENV, ISSUER, median, mintTokens } from './fixtures.ts';

const ROUNDS = 9;
const ROUND_MS = 250;
const PROFILES = 50;

const key = await benchKey('ES256');
const others = await Promise.all(Array.from({ length: PROFILES - 1 }, () => benchKey('ES256')));
Object.assign(process.env, HERMETIC_AWS_ENV, { JWT_VERIFIED_CACHE_ENTRIES: '0' });
const common = { verifyClaims: { sub: '${clientid}' }, audience: AUDIENCE };
process.env.JWT_JWKS = JSON.stringify({ keys: [key.publicJwk] });
process.env.JWT_ISSUER = ISSUER;
process.env.JWT_AUDIENCE = AUDIENCE;
process.env.JWT_VERIFY_CLAIMS = JSON.stringify(common.verifyClaims);
const single = await importAuthorizer();
for (const name of ['JWT_JWKS', 'JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_VERIFY_CLAIMS']) delete process.env[name];
// The bench's issuer sits in the middle of the list.
const profiles = others.map((other, i) => ({ issuer: `https://idp-${i}.bench.example`, jwks: { keys: [other.publicJwk] }, ...common }));
profiles.splice(PROFILES / 2, 0, { issuer: ISSUER, jwks: { keys: [key.publicJwk] }, ...common });
process.env.JWT_ISSUERS = JSON.stringify(profiles);
const multi = await importAuthorizer();

const tokens = await mintTokens(key, 2000);
const events = tokens.map(({ token, clientId }) => eventFor(token, clientId));
const context = lambdaContext();
let cursor = 0;
async function round(handler: typeof single): Promise<number> {
  const end = performance.now() + ROUND_MS;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 20; k += 1) {
      const response = await handler(events[cursor]!, context);
      if (!response.isAuthenticated) throw new Error('a bench token was denied');
      cursor = (cursor + 1) % events.length;
      n += 1;
    }
  }
  return n / (ROUND_MS / 1000);
}
await round(single);
await round(multi);
const rates = { single: [] as number[], multi: [] as number[] };
for (let r = 0; r < ROUNDS; r += 1) {
  rates.single.push(await round(single));
  rates.multi.push(await round(multi));
}
process.send!({ profiles: PROFILES, issuer: ISSUER, single: median(rates.single), multi: median(rates.multi) });
process.exit(0);
