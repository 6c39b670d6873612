// Fuzzing the whole handler (middy, logging, verification, rules, policy) with random and mutated input.
// Properties: no exception escapes, every answer is a response IoT accepts, and nothing is allowed unless
// a trusted key signed exactly those bytes. FUZZ_RUNS raises the number of cases (10,000 in CI).
import { beforeAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { asymmetricSigner, jwksOf, mint, type Signer } from '../helpers/keys.ts';
import { connectEvent, iotEvent, lambdaContext } from '../../local/iot-event.ts';
import { expectValidIotResponse } from '../helpers/iot-response.ts';
import type { AuthorizerResponse } from '../../functions/authorizer/policy/response.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
type Handler = (event: unknown, context: unknown) => Promise<AuthorizerResponse>;
let handler: Handler;
let signer: Signer;
let genuine: string[];

beforeAll(async () => {
  signer = await asymmetricSigner('ES256');
  vi.stubEnv('JWT_JWKS', JSON.stringify(jwksOf(signer)));
  vi.stubEnv('JWT_BASE_ACL', '{"all":["devices/${clientid}/#"]}');
  vi.resetModules();
  ({ handler } = (await import('../../functions/authorizer/handler.ts')) as unknown as { handler: Handler });
  genuine = await Promise.all([
    mint(signer, { sub: 'dev-1' }),
    mint(signer, { sub: 'dev-2', acl: [{ permission: 'allow', action: 'all', topic: 'fleet/${clientid}/#' }] }),
    mint(signer, { sub: 'dev-3', pub_rules: ['a/.*'], nested: { deep: [1, 2, { x: 'y' }] } }),
    // Rules where a `$` stands right before a placeholder: a value must never complete a policy variable.
    mint(signer, { sub: 'dev-4', acl: [
      { permission: 'deny', action: 'all', topic: 'secret/$${username}' },
      { permission: 'allow', action: 'all', topic: 'secret/#', clientid_re: '^[^{]*$' },
      { permission: 'allow', action: 'publish', topic: 'd/$${clientid}' },
    ], pub_rules: ['t/\\$${username}'] }),
  ]);
});

// The pipeline itself, for properties that need no handler: configured per test from explicit settings.
async function authorizerFor(env: Record<string, string>) {
  const { createAuthorizer } = await import('../../functions/authorizer/authorizer.ts');
  const { parseConfig } = await import('../../functions/authorizer/config/config.ts');
  return createAuthorizer(parseConfig(env));
}

// The compiler never writes a policy variable: any `${` or `$(` in a resource would have come from a value.
function expectNoPolicyVariable(documents: readonly unknown[]): void {
  for (const document of documents) expect(JSON.stringify(document)).not.toMatch(/\$[{(]/);
}

/** Same signing input and same signature bytes as a genuine token (base64url may spell them two ways). */
function signedByTrustedKey(token: string): boolean {
  const [h, p, s] = token.split('.');
  return genuine.some((g) => {
    const [gh, gp, gs] = g.split('.');
    return h === gh && p === gp && s !== undefined && /^[\w-]+$/.test(s) && Buffer.from(s, 'base64url').equals(Buffer.from(gs!, 'base64url'));
  });
}

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const decode = (segment: string) => Buffer.from(segment, 'base64url').toString('latin1');

function mutations(): fc.Arbitrary<string> {
  const base = fc.nat({ max: 3 }).map((i) => genuine[i]!);
  const char = fc.constantFrom(...'AQgw_-.=+/ \u0000é😀\u202e');
  return fc.oneof(
    base,
    // Characters flipped, inserted or removed.
    fc.tuple(base, fc.nat(), char).map(([t, i, c]) => t.slice(0, i % t.length) + c + t.slice((i % t.length) + 1)),
    fc.tuple(base, fc.nat(), char).map(([t, i, c]) => t.slice(0, i % t.length) + c + t.slice(i % t.length)),
    fc.tuple(base, fc.nat()).map(([t, i]) => t.slice(0, i % t.length) + t.slice((i % t.length) + 1)),
    // A bit flipped in a decoded segment, re-encoded.
    fc.tuple(base, fc.nat({ max: 2 }), fc.nat(), fc.nat({ max: 7 })).map(([t, seg, i, bit]) => {
      const parts = t.split('.');
      const bytes = Buffer.from(parts[seg]!, 'base64url');
      bytes[i % bytes.length]! ^= 1 << bit;
      parts[seg] = bytes.toString('base64url');
      return parts.join('.');
    }),
    // Segments swapped, repeated or dropped.
    fc.tuple(base, fc.shuffledSubarray([0, 1, 2], { minLength: 1, maxLength: 3 }), fc.boolean()).map(([t, order, dup]) => {
      const parts = t.split('.');
      const picked = order.map((i) => parts[i]!);
      return (dup ? [...picked, picked[0]!] : picked).join('.');
    }),
    // Header re-encoded with other fields: algorithm swaps, kid games, duplicate keys, huge numbers.
    fc.tuple(base, fc.constantFrom('none', 'HS256', 'RS256', 'ES384', 'EdDSA', 'ES256', ''), fc.oneof(fc.string(), fc.constant(undefined)), fc.boolean()).map(([t, alg, kid, duplicate]) => {
      const [, p, s] = t.split('.');
      const header = duplicate ? `{"alg":"ES256","alg":${JSON.stringify(alg)},"kid":${JSON.stringify(kid ?? 'x')}}` : JSON.stringify({ alg, kid });
      return `${b64(header)}.${p}.${s}`;
    }),
    // Payload re-encoded with hostile values, the genuine signature kept.
    fc.tuple(base, fc.constantFrom<unknown>(1e308, -1e308, 9007199254740993, '9999999999', [], {}, null, true, '\u0000', 'é'.repeat(500))).map(([t, value]) => {
      const [h, p, s] = t.split('.') as [string, string, string];
      const payload = JSON.parse(decode(p)) as Record<string, unknown>;
      return `${h}.${b64(JSON.stringify({ ...payload, exp: value, sub: value }))}.${s}`;
    }),
    // Oversized segments, near and over the 16 KiB refusal.
    fc.tuple(base, fc.integer({ min: 15_000, max: 20_000 })).map(([t, n]) => `${t.split('.')[0]}.${'A'.repeat(n)}.${t.split('.')[2]}`),
    // Anything at all.
    fc.string({ maxLength: 200, unit: 'grapheme' }),
  );
}

// Identities drawn from what means something downstream: policy variables, wildcards, regex and JSON
// syntax, lone surrogates, builtin property names.
const hostile = fc.array(fc.constantFrom('{', '}', '$', '(', ')', '*', '?', '+', '#', '/', '\\', '\ud800', '\udfff', 'iot:ClientId', 'a', '-'), { minLength: 1, maxLength: 10 })
  .map((parts) => parts.join(''));
const builtin = fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', '{iot:ClientId}', '(iot:ClientId)');
const clientId = fc.oneof(fc.constantFrom('dev-1', 'dev-2', 'dev-3', '*', '+', '#', 'a/b', '${iot:ClientId}', ''), fc.string({ maxLength: 40, unit: 'grapheme' }), hostile, builtin);
const username = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 40, unit: 'grapheme' }), fc.constant('dev?x-amz-customauthorizer-name=A&SDK=x'), hostile, builtin);

describe('fuzzing the handler', () => {
  it(`answers ${RUNS} random and mutated CONNECTs with a valid response, allowing only genuinely signed tokens`, async () => {
    const event = fc.oneof(
      { weight: 8, arbitrary: fc.record({ token: mutations(), clientId, username }).map(({ token, clientId: c, username: u }) => ({ token, event: connectEvent({ password: token, clientId: c, username: u }) })) },
      { weight: 1, arbitrary: fc.record({ bytes: fc.uint8Array({ maxLength: 300 }), clientId }).map(({ bytes, clientId: c }) => ({ token: undefined, event: connectEvent({ password: bytes, clientId: c }) })) },
      { weight: 1, arbitrary: fc.anything({ withBigInt: true, withBoxedValues: true, withNullPrototype: true }).map((e) => ({ token: undefined, event: e })) },
    );
    let allowed = 0;
    await fc.assert(fc.asyncProperty(event, async ({ token, event: e }) => {
      const response = await handler(e, lambdaContext());
      expectValidIotResponse(response);
      if (response.isAuthenticated) {
        allowed += 1;
        expect(token !== undefined && signedByTrustedKey(token), `allowed ${token}`).toBe(true);
        expectNoPolicyVariable(response.policyDocuments);
      }
    }), { numRuns: RUNS });
    expect(allowed).toBeGreaterThan(0); // the genuine tokens are in the mix, so the property is not vacuous
  });
});

describe('fuzzing the WebSocket and HTTPS paths (issue 14)', () => {
  it('allows only genuinely signed tokens, from any header or query spelling, and never grants an HTTPS publish iot:Connect', async () => {
    const authorizer = await authorizerFor({
      JWT_JWKS: JSON.stringify(jwksOf(signer)), JWT_FROM: 'password,query:token,header:authorization',
      JWT_DEFAULT_ACL: '{"pub":["telemetry/#"]}',
    });
    const name = fc.constantFrom('authorization', 'Authorization', 'AUTHORIZATION', 'x-amz-customauthorizer-name', '__proto__', 'constructor', 'token');
    const headerValue = fc.oneof(mutations().map((t) => `Bearer ${t}`), mutations(), hostile, fc.constantFrom('Bearer', 'Bearer ', 'bearer  '));
    const encode = (t: string, how: number) => (how === 0 ? t : how === 1 ? encodeURIComponent(t) : t.replace(/\./g, '%2E'));
    const query = fc.oneof(
      fc.tuple(mutations(), fc.nat({ max: 2 }), fc.boolean()).map(([t, how, twice]) => `?x-amz-customauthorizer-name=A&token=${encode(t, how)}${twice ? `&token=${t}` : ''}`),
      fc.array(fc.oneof(hostile, builtin, fc.constantFrom('token=', '%', '%zz', '&', '=', 'token')), { maxLength: 6 }).map((parts) => `?${parts.join('')}`),
    );
    const request = fc.record({
      protocol: fc.constantFrom('wss' as const, 'https' as const),
      headers: fc.dictionary(name, headerValue, { maxKeys: 3 }),
      queryString: fc.option(query, { nil: undefined }),
      clientId: fc.option(clientId, { nil: undefined }),
    });
    let allowed = 0;
    await fc.assert(fc.asyncProperty(request, async (input) => {
      const event = iotEvent(input);
      const { response, record } = await authorizer.decide(event, 'arn:aws:lambda:us-east-1:123456789012:function:f');
      expectValidIotResponse(response);
      expect(record.reason).not.toBe('INTERNAL');
      if (!response.isAuthenticated) return;
      allowed += 1;
      const candidates = [...Object.values(input.headers).map((v) => v.replace(/^bearer +/i, '').trim()),
        ...[...(input.queryString ?? '').matchAll(/token=([^&]*)/g)].map((m) => { try { return decodeURIComponent(m[1]!); } catch { return ''; } })];
      expect(candidates.some((t) => signedByTrustedKey(t)), `allowed ${JSON.stringify(input)}`).toBe(true);
      const statements = response.policyDocuments.flatMap((d) => d.Statement);
      if (input.protocol === 'https') expect(statements.map((st) => st.Action)).not.toContain('iot:Connect');
      expectNoPolicyVariable(response.policyDocuments);
    }), { numRuns: Math.min(RUNS, 3000) });
    expect(allowed).toBeGreaterThan(0);
  });
});

describe('fuzzing the rules', () => {
  it('turns any rule strings and identities into a deny or a policy without a policy variable, never an error', async () => {
    const authorizer = await authorizerFor({ JWT_JWKS: JSON.stringify(jwksOf(signer)) });
    const piece = fc.oneof(hostile, builtin, fc.constantFrom('${clientid}', '${username}', '$${clientid}', '\\$${username}', '+', '#', '.*', 'a', 'eq '));
    const text = fc.tuple(fc.array(piece, { minLength: 1, maxLength: 4 }), fc.constantFrom('/', '')).map(([parts, separator]) => parts.join(separator));
    const listRule = fc.record({
      permission: fc.oneof(fc.constantFrom('allow', 'deny'), builtin), action: fc.oneof(fc.constantFrom('publish', 'subscribe', 'all'), builtin),
      topic: text, clientid_re: fc.option(fc.oneof(text, fc.constant('.*')), { nil: undefined }),
    }).map((rule) => JSON.parse(JSON.stringify(rule)) as Record<string, unknown>);
    const claims = fc.oneof(
      fc.array(listRule, { maxLength: 4 }).map((acl) => ({ acl })),
      fc.dictionary(fc.oneof(fc.constantFrom('pub', 'sub', 'all'), builtin), fc.array(text, { maxLength: 3 }), { maxKeys: 3 })
        .map((map) => ({ acl: JSON.parse(JSON.stringify(map)) as unknown })),
      fc.record({ pub_rules: fc.array(text, { maxLength: 3 }), sub_rules: fc.array(text, { maxLength: 3 }) }),
    );
    let allowed = 0;
    await fc.assert(fc.asyncProperty(claims, clientId, username, async (rules, c, u) => {
      const token = await mint(signer, { sub: 'dev', ...rules });
      const { response, record } = await authorizer.decide(connectEvent({ password: token, clientId: c, username: u }), 'arn:aws:lambda:us-east-1:123456789012:function:f');
      expectValidIotResponse(response);
      expect(record.reason).not.toBe('INTERNAL');
      if (response.isAuthenticated) {
        allowed += 1;
        expectNoPolicyVariable(response.policyDocuments);
      }
    }), { numRuns: Math.min(RUNS, 2000) });
    expect(allowed).toBeGreaterThan(0);
  });
});

describe('fuzzing the issuer profiles', () => {
  it('never lets a token of one issuer through as another\'s, and never answers INTERNAL, whatever the iss and roles', async () => {
    const others = await Promise.all([asymmetricSigner('ES256', signer.kid), asymmetricSigner('ES256', signer.kid)]);
    const issuers = ['https://a.example', 'https://b.example', 'https://c.example'];
    const keyOf = [signer, ...others];
    const authorizer = await authorizerFor({ JWT_ISSUERS: JSON.stringify(issuers.map((issuer, i) => ({
      issuer, jwks: jwksOf(keyOf[i]!), roleClaim: 'realm.roles', roles: { ops: { all: ['ops/#'] }, dev: [{ permission: 'deny', action: 'all', topic: 'ops/secret' }] },
      ...(i === 2 && { unknownRole: 'ignore' }),
    }))) });
    const iss = fc.oneof(fc.constantFrom(...issuers), fc.constantFrom('https://a.example/', 'HTTPS://A.EXAMPLE', '', '__proto__'), fc.string({ maxLength: 20 }), fc.constant(undefined), fc.integer());
    const roles = fc.oneof(fc.constant(undefined), fc.constantFrom('ops', 'dev', 'admin', '__proto__', 'constructor'), fc.array(fc.constantFrom('ops', 'dev', 'x', 'toString'), { maxLength: 3 }), fc.integer(), fc.dictionary(fc.string(), fc.string()));
    let allowed = 0;
    await fc.assert(fc.asyncProperty(fc.nat(2), iss, roles, clientId, async (k, claimedIss, role, c) => {
      const claims: Record<string, unknown> = { sub: 'dev', ...(claimedIss !== undefined && { iss: claimedIss }), ...(role !== undefined && { realm: { roles: role } }) };
      const token = await mint(keyOf[k]!, claims);
      const { response, record } = await authorizer.decide(connectEvent({ password: token, clientId: c }), 'arn:aws:lambda:us-east-1:123456789012:function:f');
      expectValidIotResponse(response);
      expect(record.reason).not.toBe('INTERNAL');
      if (response.isAuthenticated) {
        allowed += 1;
        expect(claimedIss).toBe(issuers[k]); // signed by issuer k's key: only ever accepted as issuer k
      }
    }), { numRuns: Math.min(RUNS, 1500) });
    expect(allowed).toBeGreaterThan(0);
  });
});
