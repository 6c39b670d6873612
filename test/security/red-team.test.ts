// The holes a red-team pass found (issue 12), one describe per finding, each test failing before its fix.
// Wide input spaces are property-tested, drawing from the characters that mean something downstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, exportJWK } from 'jose';
import { createAuthorizer, type Authorizer } from '../../functions/authorizer/authorizer.ts';
import { parseConfig } from '../../functions/authorizer/config/config.ts';
import { configProblems } from '../helpers/config-problems.ts';
import { buildPolicy, MAX_DOCUMENT_CHARS } from '../../functions/authorizer/policy/policy.ts';
import { createJwksLoader } from '../../functions/authorizer/keys/jwks-url.ts';
import { parseStrictJson } from '../../functions/authorizer/config/strict-json.ts';
import { rulesFromJson } from '../../functions/authorizer/rules/parse-rules.ts';
import { asymmetricSigner, jwksOf, mint, signRawES256, type Signer } from '../helpers/keys.ts';
import { connect, verdict } from '../helpers/decide.ts';
import { connectEvent, LOCAL_FUNCTION_ARN } from '../../local/iot-event.ts';
import { startJwksServer } from '../../local/jwks-server.ts';
import { policyAllows } from '../../local/iot-policy.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const ARN = 'arn:aws:iot:us-east-1:123456789012';

let signer: Signer;
let jwks: string;
const authorizerWith = (env: Record<string, string> = {}): Authorizer => createAuthorizer(parseConfig({ JWT_JWKS: jwks, ...env }));

beforeAll(async () => {
  signer = await asymmetricSigner('ES256');
  jwks = JSON.stringify(jwksOf(signer));
});

const problemsWith = (env: Record<string, string>) => configProblems({ JWT_JWKS: jwks, ...env });

const POLICY_VARIABLE = /\$[{(]/;
const resourcesOf = (response: { policyDocuments?: readonly { Statement: readonly { Resource: string | readonly string[] }[] }[] }) =>
  (response.policyDocuments ?? []).flatMap((d) => d.Statement.flatMap((s) => (typeof s.Resource === 'string' ? [s.Resource] : [...s.Resource])));

// Characters that mean something to a policy, a filter, a regex or JSON, lone surrogates and builtin names.
const hostileChar = fc.constantFrom('{', '}', '$', '(', ')', '*', '?', '+', '#', '/', '\\', '\ud800', '\udc00', 'a', 'b', '-', ':', 'iot:ClientId');
const hostileValue = fc.oneof(
  fc.array(hostileChar, { minLength: 1, maxLength: 8 }).map((parts) => parts.join('')),
  fc.constantFrom('{iot:ClientId}', '(iot:ClientId)', '{iot:Connection.Thing.ThingName}', '__proto__', 'constructor', 'toString', 'dev-1'),
);

describe('12.1 policy-variable injection through a placeholder', () => {
  it('refuses a username that would complete "$${username}" into ${iot:ClientId} (EMQX map, token rules)', async () => {
    const token = await mint(signer, { acl: { pub: ['d/$${username}'] } });
    const { record, response } = await connect(authorizerWith(), token, { clientId: 'dev-1', username: '{iot:ClientId}' });
    expect(record).toMatchObject({ decision: 'deny', reason: 'PLACEHOLDER_VALUE_INVALID' });
    expect(resourcesOf(response)).toEqual([]);
  });

  it('refuses it through the compiled template path too (JWT_BASE_ACL) and through TBMQ "\\$${username}"', async () => {
    const base = authorizerWith({ JWT_BASE_ACL: '{"pub":["d/$${username}"]}' });
    expect(await verdict(base, await mint(signer), { username: '{iot:ClientId}' })).toBe('PLACEHOLDER_VALUE_INVALID');
    const tbmq = await mint(signer, { pub_rules: ['d/\\$${username}'] });
    expect(await verdict(authorizerWith(), tbmq, { username: '{iot:ClientId}' })).toBe('PLACEHOLDER_VALUE_INVALID');
    expect(await verdict(authorizerWith(), tbmq, { username: '(x)' })).toBe('PLACEHOLDER_VALUE_INVALID');
  });

  it('does not let a value turn a deny rule into nothing', async () => {
    const token = await mint(signer, { acl: [
      { permission: 'deny', action: 'publish', topic: 'secret/$${username}' },
      { permission: 'allow', action: 'publish', topic: 'secret/#' },
    ] });
    expect(await verdict(authorizerWith(), token, { username: '{iot:ClientId}' })).toBe('PLACEHOLDER_VALUE_INVALID');
    // An ordinary username is still served, the deny kept.
    const { response } = await connect(authorizerWith(), token, { username: 'alice' });
    expect(resourcesOf(response)).toContain(`${ARN}:topic/secret/$alice`);
  });

  it('refuses a client id holding braces (CLIENT_ID_INVALID)', async () => {
    const token = await mint(signer, {});
    for (const clientId of ['{iot:ClientId}', 'a{b', 'a}b', '$($', 'x$(y)']) expect(await verdict(authorizerWith(), token, { clientId })).toBe('CLIENT_ID_INVALID');
  });

  it('buildPolicy refuses any resource holding ${ or $( whatever path the pattern took', () => {
    for (const pattern of ['d/${iot:ClientId}', 'd/$(x)']) {
      expect(() => buildPolicy(ARN, 'dev-1', [{ effect: 'Allow', action: 'iot:Publish', pattern }])).toThrow(expect.objectContaining({ code: 'PLACEHOLDER_VALUE_INVALID' }));
    }
  });

  it('never writes a ${ the compiler did not write, for any client id and username through every placeholder form', async () => {
    const forms = [
      { acl: { pub: ['d/$${username}', 'e/$${clientid}/x'], sub: ['$${clientid}'] } },
      { acl: [
        { permission: 'deny', action: 'all', topic: 'secret/$${username}' },
        { permission: 'allow', action: 'all', topic: 'secret/#' },
        { permission: 'allow', action: 'publish', topic: 'w/$${username}', username_re: '.*' },
      ] },
      { pub_rules: ['d/\\$${username}', 'c/\\$${clientid}/.*'], sub_rules: ['s/${username}'] },
      { acl: { all: ['eq $${clientid}', '$${username}/+/#'] } },
    ];
    const tokens = await Promise.all(forms.map((claims) => mint(signer, claims)));
    const authorizers = [authorizerWith(), authorizerWith({ JWT_BASE_ACL: '{"all":["b/$${clientid}","b/$${username}/#"]}' })];
    let allowed = 0;
    await fc.assert(fc.asyncProperty(fc.nat(tokens.length - 1), fc.nat(1), hostileValue, hostileValue, async (t, a, clientId, username) => {
      const { response } = await connect(authorizers[a]!, tokens[t]!, { clientId, username });
      if (response.isAuthenticated) allowed += 1;
      for (const resource of resourcesOf(response)) expect(resource).not.toMatch(POLICY_VARIABLE);
    }), { numRuns: RUNS });
    expect(allowed).toBeGreaterThan(0);
  });
});

describe('12.2 the compiled-rules cache key cannot be forged from token content', () => {
  it('denies an acl of exactly "\\u0000absent" every time, whatever was seen before', async () => {
    const authorizer = authorizerWith({ JWT_DEFAULT_ACL: '{"pub":["d/${clientid}"]}' });
    const forged = await mint(signer, { acl: '\u0000absent' });
    const plain = await mint(signer, {});
    expect(await verdict(authorizer, forged)).toBe('RULES_INVALID');
    expect(await verdict(authorizer, plain)).toBe('ALLOW');
    expect(await verdict(authorizer, forged)).toBe('RULES_INVALID');
  });

  it('gives every token the same decision whatever order the tokens come in', async () => {
    const claimSets: Record<string, unknown>[] = [
      {}, { acl: '\u0000absent' }, { acl: ['\u0000absent'] }, { acl: null }, { acl: { pub: ['a'] } }, { pub_rules: '\u0000absent' },
      { acl: { pub: ['a'] }, pub_rules: ['b'] }, { sub_rules: ['\u0000absent'] }, { acl: [] }, { acl: {} },
    ];
    const tokens = await Promise.all(claimSets.map((claims) => mint(signer, claims)));
    const env = { JWT_DEFAULT_ACL: '{"pub":["d/${clientid}"]}' };
    const alone = await Promise.all(tokens.map(async (token) => connect(authorizerWith(env), token)));
    const expected = alone.map(({ record, response }) => JSON.stringify([record.reason ?? 'ALLOW', response.policyDocuments ?? []]));
    await fc.assert(fc.asyncProperty(fc.array(fc.nat(tokens.length - 1), { minLength: 1, maxLength: 12 }), async (order) => {
      const shared = authorizerWith(env);
      for (const i of order) {
        const { record, response } = await connect(shared, tokens[i]!);
        expect(JSON.stringify([record.reason ?? 'ALLOW', response.policyDocuments ?? []])).toBe(expected[i]);
      }
    }), { numRuns: 60 });
  });
});

const BUILTIN_NAMES = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty'];

describe('12.3 rule action names are never looked up on a prototype', () => {
  it.each(BUILTIN_NAMES)('denies a token whose rules use "%s" as an action with RULES_INVALID', async (name) => {
    const map = JSON.parse(`{${JSON.stringify(name)}: ["a/b"]}`) as Record<string, unknown>;
    for (const acl of [map, [{ permission: 'allow', action: name, topic: 'a' }], [{ permission: 'allow', action: name, topic: 'a', retain: true }]]) {
      expect(await verdict(authorizerWith(), await mint(signer, { acl }))).toBe('RULES_INVALID');
    }
  });

  it.each(BUILTIN_NAMES)('fails the cold start naming the variable for "%s" in JWT_DEFAULT_ACL and JWT_BASE_ACL', (name) => {
    for (const variable of ['JWT_DEFAULT_ACL', 'JWT_BASE_ACL']) {
      expect(problemsWith({ [variable]: `{${JSON.stringify(name)}:["a"]}` })).toEqual([expect.stringMatching(new RegExp(`^${variable}: `))]);
      const list = JSON.stringify([{ permission: 'allow', action: name, topic: 'a', retain: true }]);
      expect(problemsWith({ [variable]: list })).toEqual([expect.stringMatching(new RegExp(`^${variable}: `))]);
    }
  });
});

describe('12.4 duplicate keys and header names in JSON settings', () => {
  it('fails the cold start for a key given twice in any JSON setting', () => {
    const jwk = JSON.stringify(signer.jwk);
    const cases: Record<string, string> = {
      JWT_VERIFY_CLAIMS: '{"sub":"${clientid}","sub":"%u"}',
      JWT_DEFAULT_ACL: '{"pub":["a"],"pub":["b"]}',
      JWT_BASE_ACL: '[{"permission":"deny","permission":"allow","action":"all","topic":"a"}]',
      JWT_JWKS: `{"keys":[${jwk.replace('{', '{"kid":"x",')}]}`,
    };
    for (const [variable, value] of Object.entries(cases)) {
      expect(problemsWith({ [variable]: value })).toContainEqual(expect.stringMatching(new RegExp(`^${variable}: .*appears twice`)));
    }
    expect(problemsWith({ JWT_JWKS_URL: 'https://idp.example/jwks', JWT_JWKS_HEADERS: '{"a":"1","\\u0061":"2"}' }))
      .toContainEqual(expect.stringMatching(/^JWT_JWKS_HEADERS: .*"a" appears twice/));
  });

  it('refuses header names that differ only in case, and names fetch never sends as given', () => {
    const problems = (headers: string) => problemsWith({ JWT_JWKS_URL: 'https://idp.example/jwks', JWT_JWKS_HEADERS: headers });
    expect(problems('{"x-api-key":"a","X-Api-Key":"b"}')).toEqual(['JWT_JWKS_HEADERS: header "X-Api-Key" is given twice (names compare without case)']);
    for (const name of ['host', 'Content-Length', 'connection', 'transfer-encoding', '__proto__']) {
      expect(problems(`{${JSON.stringify(name)}:"v"}`)).toEqual([`JWT_JWKS_HEADERS: header "${name}" cannot be set on the request`]);
    }
    expect(problems('{"x-api-key":"a","authorization":"Basic x"}')).toEqual([]);
  });

  it('parseStrictJson agrees with JSON.parse on every JSON without repeated keys', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const text = JSON.stringify(value);
      expect(parseStrictJson(text)).toEqual(JSON.parse(text));
    }), { numRuns: RUNS });
    expect(parseStrictJson('{"a":{"a":1},"b":["a","a",{"a":2}],"c":"{\\"a\\":1,\\"a\\":2}"}')).toBeTruthy();
    expect(() => parseStrictJson('[{"x":1},{"y":{"z":1,"z":2}}]')).toThrow('the key "z" appears twice');
  });
});

describe('12.5 a rule claim cannot be a claim read for another purpose', () => {
  it.each([
    ['JWT_ACL_CLAIM', 'pub_rules', 'already the claim of JWT_ACL_CLAIM'],
    ['JWT_ACL_CLAIM', 'sub', 'registered claim'],
    ['JWT_ACL_CLAIM', 'exp', 'registered claim'],
    ['JWT_PUB_RULES_CLAIM', 'iss', 'registered claim'],
    ['JWT_SUB_RULES_CLAIM', 'acl', 'already the claim of JWT_ACL_CLAIM'],
  ])('%s=%s fails the cold start', (variable, value, why) => {
    const problems = problemsWith({ [variable]: value });
    expect(problems.some((p) => p.includes(why) && /^JWT_(ACL|PUB_RULES|SUB_RULES)_CLAIM: /.test(p))).toBe(true);
  });

  it('refuses a rule claim that JWT_VERIFY_CLAIMS checks', () => {
    expect(problemsWith({ JWT_ACL_CLAIM: 'perm', JWT_VERIFY_CLAIMS: '{"perm":"x"}' })).toEqual(['JWT_ACL_CLAIM: "perm" is checked by JWT_VERIFY_CLAIMS']);
  });
});

describe('12.6 private members in JWT_JWKS', () => {
  it.each(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'])('fails the cold start for an RSA key carrying "%s"', async (member) => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const full = await exportJWK(privateKey);
    const pub = await exportJWK(publicKey);
    const value = member === 'oth' ? [] : (full as Record<string, unknown>)[member];
    const jwk = { ...pub, kid: 'k', [member]: value };
    const problems = problemsWith({ JWT_JWKS: JSON.stringify({ keys: [jwk] }) });
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^JWT_JWKS: key 0 holds private key material \\("${member}"\\)`))]);
  });
});

describe('12.7 a JWKS of thousands of keys', () => {
  let server: Server;
  let body = '';
  let etag: string | undefined;
  let requests = 0;
  let notModified = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests += 1;
      if (etag !== undefined && req.headers['if-none-match'] === etag) {
        notModified += 1;
        res.writeHead(304).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', ...(etag && { etag }) }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const url = () => new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`);
  const loader = () => createJwksLoader({ url: url(), refreshSeconds: 300, headers: {} }, { timeoutMs: 1000, allowed: new Set(['ES256']), cooldownMs: 0, now: Date.now });

  it('refuses a set of more than 100 keys, with a WARN, and keeps serving the last good keys', async () => {
    const jwksServer = await startJwksServer({ json: jwksOf(signer) });
    try {
      const warnings: string[] = [];
      const env = { JWT_JWKS_URL: jwksServer.url.href, JWT_KEY_REFETCH_COOLDOWN_SECONDS: '0' };
      const authorizer = createAuthorizer(parseConfig(env), { onKeyLoadFailed: (_s, err) => warnings.push((err as Error).message) });
      const good = await mint(signer);
      expect(await verdict(authorizer, good)).toBe('ALLOW');
      jwksServer.serve({ json: { keys: Array.from({ length: 3000 }, (_, i) => ({ ...signer.jwk, kid: `k${i}` })) } });
      expect(await verdict(authorizer, await mint(signer, {}, { header: { kid: 'unknown' } }))).toBe('KEY_NOT_FOUND');
      expect(warnings).toEqual(['the JWK Set holds 3000 keys, more than 100']);
      expect(await verdict(authorizer, good)).toBe('ALLOW');
    } finally {
      await jwksServer.close();
    }
  });

  it('does not import the keys again when the body is unchanged, or the endpoint answers 304', async () => {
    body = JSON.stringify({ keys: Array.from({ length: 100 }, (_, i) => ({ ...signer.jwk, kid: `k${i}` })) });
    etag = undefined;
    const load = loader();
    const first = await load();
    expect(await load()).toBe(first); // same bytes: the very same imported keys
    body = JSON.stringify({ keys: [{ ...signer.jwk, kid: 'other' }] });
    const changed = await load();
    expect(changed).not.toBe(first);
    expect(changed.map((k) => k.kid)).toEqual(['other']);
    etag = '"v2"';
    const tagged = await load();
    const before = notModified;
    expect(await load()).toBe(tagged);
    expect(notModified).toBe(before + 1);
    expect(requests).toBeGreaterThanOrEqual(5);
  });
});

describe('12.8 who-conditions match in linear time', () => {
  it('answers a catastrophic username_re against a long username (exponential with backtracking)', async () => {
    const token = await mint(signer, { acl: [
      { permission: 'deny', action: 'all', topic: '#', username_re: '^([a-z0-9]+-?)*$' },
      { permission: 'allow', action: 'all', topic: 'a/#' },
    ] });
    // 60 characters and a "!": a backtracking engine would need about 4^17 times the 446 ms of 26 characters.
    const evil = await connect(authorizerWith(), token, { username: `${'a1'.repeat(30)}!` });
    expect(policyAllows(evil.response.policyDocuments!, ARN, 'dev-1').publish('a/x')).toBe(true);
    const matching = await connect(authorizerWith(), token, { username: 'abc-def' });
    expect(policyAllows(matching.response.policyDocuments!, ARN, 'dev-1').publish('a/x')).toBe(false);
  });

  it('compiles who-conditions for the linear engine and refuses what it cannot run', () => {
    const [rule] = rulesFromJson([{ permission: 'allow', action: 'all', topic: 'a', clientid_re: '^dev-[0-9]+$' }], 'acl');
    expect(rule!.who.clientIdPattern!.flags).toContain('l');
    for (const pattern of ['(a)\\1', '(?=a)b', 'a{1000}', 'x'.repeat(257), '(']) {
      expect(() => rulesFromJson([{ permission: 'allow', action: 'all', topic: 'a', username_re: pattern }], 'acl'))
        .toThrow(expect.objectContaining({ code: 'RULES_INVALID' }));
    }
  });

  it('treats a value longer than the bound as unknown: a deny rule applies, an allow rule does not', async () => {
    const token = await mint(signer, { acl: [
      { permission: 'deny', action: 'publish', topic: 'x', username_re: '^admin' },
      { permission: 'allow', action: 'publish', topic: 'y', username_re: '.*' },
      { permission: 'allow', action: 'publish', topic: 'x' },
    ] });
    const { response } = await connect(authorizerWith(), token, { username: 'u'.repeat(300) });
    const resources = resourcesOf(response);
    expect(resources).not.toContain(`${ARN}:topic/y`);
    expect(response.policyDocuments!.some((d) => d.Statement.some((s) => s.Effect === 'Deny' && [s.Resource].flat().includes(`${ARN}:topic/x`)))).toBe(true);
  });
});

describe('12.9 a claim nested thousands of arrays deep', () => {
  it('is compared without recursion: CLAIM_MISMATCH, not INTERNAL', async () => {
    const deep = `${'['.repeat(4000)}"x"${']'.repeat(4000)}`;
    const payload = `{"sub":"dev-1","exp":${Math.floor(Date.now() / 1000) + 3600},"grp":${deep}}`;
    const token = await signRawES256(signer, JSON.stringify({ alg: 'ES256', kid: signer.kid }), payload);
    expect(await verdict(authorizerWith({ JWT_VERIFY_CLAIMS: '{"grp":"y"}' }), token)).toBe('CLAIM_MISMATCH');
    expect(await verdict(authorizerWith({ JWT_VERIFY_CLAIMS: '{"grp":"x"}' }), token)).toBe('ALLOW');
  });
});

describe('12.10 lone surrogates', () => {
  it('refuses them in client ids, topics and placeholder values', async () => {
    const plain = await mint(signer, {});
    expect(await verdict(authorizerWith(), plain, { clientId: 'dev\ud800' })).toBe('CLIENT_ID_INVALID');
    expect(await verdict(authorizerWith(), await mint(signer, { acl: { pub: ['a/\udc00'] } }))).toBe('RULES_INVALID');
    expect(await verdict(authorizerWith(), await mint(signer, { pub_rules: ['a/\udc00'] }))).toBe('RULES_INVALID');
    expect(await verdict(authorizerWith(), await mint(signer, { acl: { pub: ['u/${username}'] } }), { username: 'x\udbff' })).toBe('PLACEHOLDER_VALUE_INVALID');
  });

  it('keeps every serialized document within 2,048 characters, whatever characters the topics hold', () => {
    const char = fc.constantFrom('a', '"', '\\', '\u0001', 'é', '😀', '\ud800', '\udc00', '/');
    const pattern = fc.array(char, { minLength: 1, maxLength: 60 }).map((c) => c.join(''));
    fc.assert(fc.property(fc.array(pattern, { minLength: 1, maxLength: 60 }), (patterns) => {
      let documents;
      try {
        documents = buildPolicy(ARN, 'dev-1', patterns.map((p) => ({ effect: 'Allow', action: 'iot:Publish', pattern: p })));
      } catch (err) {
        expect((err as { code?: string }).code).toBe('POLICY_TOO_LARGE');
        return;
      }
      for (const document of documents) expect(JSON.stringify(document).length).toBeLessThanOrEqual(MAX_DOCUMENT_CHARS);
    }), { numRuns: RUNS });
  });
});

describe('12.11 every logged value from input is bounded', () => {
  it('clips an 11,000-character alg or kid in the deny detail', async () => {
    const payload = Buffer.from('{"sub":"x"}').toString('base64url');
    for (const header of [{ alg: 'A'.repeat(11_000) }, { alg: 'ES256', kid: 'K'.repeat(11_000) }]) {
      const token = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}.c2ln`;
      const { record } = await connect(authorizerWith(), token);
      expect(record.decision).toBe('deny');
      expect(JSON.stringify(record).length).toBeLessThan(1000);
    }
  });

  it('bounds the whole record for any header and identity the client sends', async () => {
    const long = fc.string({ maxLength: 3000, unit: 'binary' });
    await fc.assert(fc.asyncProperty(long, long, long, long, async (alg, kid, clientId, username) => {
      const header = Buffer.from(JSON.stringify({ alg, kid })).toString('base64url');
      const event = connectEvent({ password: `${header}.e30.c2ln`, clientId, username });
      const { record } = await authorizerWith().decide(event, LOCAL_FUNCTION_ARN);
      expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThan(1500);
    }), { numRuns: 100 });
  });
});
