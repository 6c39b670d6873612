import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createAuthorizer, disconnectAfterSeconds, type Authorizer } from '../../../functions/authorizer/authorizer.ts';
import { parseConfig } from '../../../functions/authorizer/config/config.ts';
import { asymmetricSigner, jwksOf, mint, type Signer } from '../../helpers/keys.ts';
import { connect, verdict } from '../../helpers/decide.ts';
import { expectValidIotResponse } from '../../helpers/iot-response.ts';
import { connectEvent, iotEvent, LOCAL_FUNCTION_ARN } from '../../../local/iot-event.ts';
import { evaluatePolicy, policyAllows } from '../../../local/iot-policy.ts';

let signer: Signer;
let jwks: string;
const authorizerWith = (env: Record<string, string> = {}): Authorizer => createAuthorizer(parseConfig({ JWT_JWKS: jwks, ...env }));

beforeAll(async () => {
  signer = await asymmetricSigner('ES256');
  jwks = JSON.stringify(jwksOf(signer));
});

describe('createAuthorizer', () => {
  it('allows a good token with a Connect policy for this client, timers from exp, and logs who', async () => {
    const token = await mint(signer, { sub: 'user@example.com', iss: 'https://idp' }, { ttl: 7200 });
    const { response, record } = await connect(authorizerWith(), token, { clientId: 'dev-42', username: 'alice' });
    expectValidIotResponse(response);
    expect(response).toMatchObject({
      isAuthenticated: true,
      principalId: expect.stringMatching(/^userexamplecom[0-9a-f]{32}$/),
      policyDocuments: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:us-east-1:123456789012:client/dev-42' }] }],
    });
    expect(response.disconnectAfterInSeconds).toBeGreaterThanOrEqual(7198);
    expect(response.refreshAfterInSeconds).toBe(response.disconnectAfterInSeconds);
    expect(record).toMatchObject({
      decision: 'allow', clientId: 'dev-42', username: 'alice', sub: 'user@example.com', iss: 'https://idp',
      kid: signer.kid, alg: 'ES256', keyOrigin: 'JWT_JWKS', connectionId: expect.any(String), durationMs: expect.any(Number),
    });
  });

  it('never puts the token in the log record', async () => {
    const token = await mint(signer, {});
    const { record } = await connect(authorizerWith(), token);
    const logged = JSON.stringify(record);
    for (const part of token.split('.')) expect(logged).not.toContain(part);
  });

  it('caps disconnectAfterInSeconds at 86,400 and uses JWT_REFRESH_SECONDS', async () => {
    const token = await mint(signer, {}, { ttl: 30 * 86_400 });
    const { response } = await connect(authorizerWith({ JWT_REFRESH_SECONDS: '900' }), token);
    expect(response).toMatchObject({ disconnectAfterInSeconds: 86_400, refreshAfterInSeconds: 900 });
  });

  it('denies a token with under 300 s left, unless JWT_ALLOW_SHORT_LIVED=true', async () => {
    const token = await mint(signer, {}, { ttl: 120 });
    expect(await verdict(authorizerWith(), token)).toBe('EXPIRES_TOO_SOON');
    const { response } = await connect(authorizerWith({ JWT_ALLOW_SHORT_LIVED: 'true' }), token);
    expect(response).toMatchObject({ isAuthenticated: true, disconnectAfterInSeconds: 300 });
  });

  it('gives a token without exp (JWT_REQUIRE_EXP=false) the longest connection IoT allows', async () => {
    const token = await mint(signer, {}, { ttl: null });
    expect(await verdict(authorizerWith(), token)).toBe('CLAIM_MISSING');
    const { response } = await connect(authorizerWith({ JWT_REQUIRE_EXP: 'false' }), token);
    expect(response.disconnectAfterInSeconds).toBe(86_400);
  });

  it('binds the token to the client with JWT_VERIFY_CLAIMS', async () => {
    const authorizer = authorizerWith({ JWT_VERIFY_CLAIMS: '{"sub":"${clientid}","mqtt_user":"%u","env":"prod"}' });
    const token = await mint(signer, { sub: 'dev-42', mqtt_user: 'alice', env: 'prod' });
    expect(await verdict(authorizer, token, { clientId: 'dev-42', username: 'alice' })).toBe('ALLOW');
    expect(await verdict(authorizer, token, { clientId: 'dev-43', username: 'alice' })).toBe('CLAIM_MISMATCH');
    expect(await verdict(authorizer, token, { clientId: 'dev-42', username: 'mallory' })).toBe('CLAIM_MISMATCH');
    expect(await verdict(authorizer, await mint(signer, { sub: 'dev-42', mqtt_user: 'alice' }), { clientId: 'dev-42', username: 'alice' })).toBe('CLAIM_MISSING');
  });

  it('reads the token from the username with JWT_FROM=username', async () => {
    const token = await mint(signer, {});
    expect(await verdict(authorizerWith({ JWT_FROM: 'username' }), token, { from: 'username' })).toBe('ALLOW');
    expect(await verdict(authorizerWith(), token, { from: 'username' })).toBe('TOKEN_MISSING');
  });

  it('reads a WebSocket client\'s token from its upgrade request, and still grants Connect for its client id', async () => {
    const authorizer = authorizerWith({ JWT_FROM: 'password,query:token,header:authorization' });
    const token = await mint(signer, { sub: 'browser-1' });
    const viaQuery = iotEvent({ protocol: 'wss', clientId: 'browser-1', queryString: `?x-amz-customauthorizer-name=A&token=${token}` });
    const { response, record } = await authorizer.decide(viaQuery, LOCAL_FUNCTION_ARN);
    expect(record.decision).toBe('allow');
    expect(response.policyDocuments[0]!.Statement[0]).toMatchObject({ Action: 'iot:Connect', Resource: expect.stringMatching(/:client\/browser-1$/) });
    const viaHeader = iotEvent({ protocol: 'wss', clientId: 'browser-1', headers: { Authorization: `Bearer ${token}` } });
    expect((await authorizer.decide(viaHeader, LOCAL_FUNCTION_ARN)).record.decision).toBe('allow');
  });

  it('grants an HTTPS publish only its publish rules: no iot:Connect, no client id', async () => {
    const authorizer = authorizerWith({ JWT_FROM: 'header:authorization', JWT_DEFAULT_ACL: '{"pub":["telemetry/${username}/#","backend/in"],"sub":["backend/out"]}' });
    const token = await mint(signer, { sub: 'backend-7' });
    const https = iotEvent({ protocol: 'https', headers: { authorization: `Bearer ${token}` }, queryString: '?qos=1' });
    let decision = await authorizer.decide(https, LOCAL_FUNCTION_ARN);
    // `${username}` has no value over HTTPS: the whole grant is refused, as for any missing value.
    expect(decision.record).toMatchObject({ decision: 'deny', reason: 'PLACEHOLDER_VALUE_INVALID' });
    const plain = authorizerWith({ JWT_FROM: 'header:authorization', JWT_DEFAULT_ACL: '{"pub":["backend/in"]}' });
    decision = await plain.decide(https, LOCAL_FUNCTION_ARN);
    expectValidIotResponse(decision.response);
    expect(decision.record).toMatchObject({ decision: 'allow', sub: 'backend-7' });
    expect(decision.record.clientId).toBeUndefined();
    const documents = decision.response.policyDocuments;
    expect(documents.flatMap((d) => d.Statement).map((s) => s.Action)).not.toContain('iot:Connect');
    expect(evaluatePolicy(documents, 'iot:Publish', 'arn:aws:iot:us-east-1:123456789012:topic/backend/in')).toBe('allow');
    expect(evaluatePolicy(documents, 'iot:Connect', 'arn:aws:iot:us-east-1:123456789012:client/backend-7')).toBe('implicit-deny');
  });

  it('gives an HTTPS publish whose token has no sub a principal IoT accepts', async () => {
    const authorizer = authorizerWith({ JWT_FROM: 'header:authorization', JWT_DEFAULT_ACL: '{"pub":["backend/in"]}' });
    const token = await mint(signer, {});
    const { response } = await authorizer.decide(iotEvent({ protocol: 'https', headers: { authorization: token } }), LOCAL_FUNCTION_ARN);
    expect(response.principalId).toMatch(/^[A-Za-z0-9]{1,128}$/);
  });

  it.each(['*', 'dev-?', '', '${iot:ClientId}'])('denies client id %j before verifying anything', async (clientId) => {
    expect(await verdict(authorizerWith(), await mint(signer, {}), { clientId })).toBe('CLIENT_ID_INVALID');
  });

  it('denies a missing client id', async () => {
    const { record } = await authorizerWith().decide(connectEvent({ password: await mint(signer, {}) }), 'arn:aws:lambda:eu-west-1:123456789012:function:f');
    expect(record.reason).toBe('CLIENT_ID_INVALID');
  });

  it('denies INTERNAL, with the cause kept for the error log, when the context has no function ARN', async () => {
    const decision = await authorizerWith().decide(connectEvent({ password: await mint(signer, {}), clientId: 'c' }), undefined);
    expect(decision.record.reason).toBe('INTERNAL');
    expect(decision.response.isAuthenticated).toBe(false);
  });

  it('answers every event with a valid IoT response, and never allows without a trusted signature', async () => {
    const authorizer = authorizerWith();
    const good = await mint(signer, {});
    const [h, p, s] = good.split('.') as [string, string, string];
    const segment = fc.oneof(fc.constantFrom(h, p, s, ''), fc.base64String(), fc.string());
    const token = fc.oneof(
      fc.string(),
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
      fc.nat({ max: good.length - 1 }).chain((i) => fc.constantFrom(...'AQgw_-.=').map((c) => good.slice(0, i) + c + good.slice(i + 1))),
    );
    const sameAsGood = (t: string) => {
      const [th, tp, ts] = t.split('.');
      // Only the signature's encoding may differ (unused trailing bits of base64url): same signed bytes.
      return th === h && tp === p && ts !== undefined && Buffer.from(ts, 'base64url').equals(Buffer.from(s, 'base64url'));
    };
    const input = fc.oneof(
      fc.record({ token, username: fc.string(), clientId: fc.string({ minLength: 1 }) }),
      fc.record({ raw: fc.oneof(
        fc.anything(),
        fc.record({ protocolData: fc.record({ mqtt: fc.dictionary(fc.constantFrom('password', 'username', 'clientId'), fc.anything()) }) }),
      ) }),
    );
    await fc.assert(fc.asyncProperty(input, async (generated) => {
      const e = 'raw' in generated ? generated.raw : connectEvent({ password: generated.token, username: generated.username, clientId: generated.clientId });
      const { response, record } = await authorizer.decide(e, 'arn:aws:lambda:eu-west-1:123456789012:function:f');
      expectValidIotResponse(response);
      if (response.isAuthenticated) expect('token' in generated && sameAsGood(generated.token)).toBe(true);
      else expect(record.reason).toMatch(/^[A-Z_]+$/);
    }), { numRuns: Number(process.env.FUZZ_RUNS ?? 2000) });
  });
});

describe('rules in the token', () => {
  const ARN_PREFIX = 'arn:aws:iot:us-east-1:123456789012';
  const allowsFor = async (authorizer: Authorizer, claims: Record<string, unknown>, clientId = 'dev-42', username = 'alice') => {
    const { response, record } = await connect(authorizer, await mint(signer, claims), { clientId, username });
    expect(response.isAuthenticated, JSON.stringify(record)).toBe(true);
    return { allows: policyAllows(response.policyDocuments, ARN_PREFIX, clientId), record };
  };

  it('grants what an EMQX list-form acl allows, for this client', async () => {
    const { allows, record } = await allowsFor(authorizerWith(), { acl: [
      { permission: 'deny', action: 'subscribe', topic: 'devices/${clientid}/cmd/secret' },
      { permission: 'allow', action: 'publish', topic: 'devices/${clientid}/telemetry/#' },
      { permission: 'allow', action: 'subscribe', topic: 'devices/${clientid}/cmd/+' },
    ] });
    expect(allows.publish('devices/dev-42/telemetry/temp', true)).toBe(true);
    expect(allows.publish('devices/dev-43/telemetry/temp')).toBe(false);
    expect(allows.subscribe('devices/dev-42/cmd/+')).toBe(true);
    expect(allows.subscribe('devices/dev-42/cmd/#')).toBe(false);
    expect(allows.receive('devices/dev-42/cmd/reboot')).toBe(true);
    expect(allows.receive('devices/dev-42/cmd/secret')).toBe(false);
    expect(record.rules).toEqual({ source: 'token', count: 3, exact: true });
  });

  it('grants what TBMQ pub_rules and sub_rules allow', async () => {
    const { allows } = await allowsFor(authorizerWith(), { pub_rules: ['sensors/${clientid}/.*'], sub_rules: ['alerts/.'] });
    expect(allows.publish('sensors/dev-42/a/b')).toBe(true);
    expect(allows.publish('sensors/dev-4/a')).toBe(false);
    expect(allows.subscribe('alerts/1')).toBe(true);
    expect(allows.subscribe('alerts/12')).toBe(false);
  });

  it('applies JWT_DEFAULT_ACL to tokens without rules, and JWT_BASE_ACL to all', async () => {
    const authorizer = authorizerWith({
      JWT_DEFAULT_ACL: '{"sub":["news/#"]}',
      JWT_BASE_ACL: '[{"permission":"allow","action":"all","topic":"$aws/things/${clientid}/shadow/#"}]',
    });
    const withDefault = await allowsFor(authorizer, {});
    expect(withDefault.allows.subscribe('news/today')).toBe(true);
    expect(withDefault.allows.publish('$aws/things/dev-42/shadow/update')).toBe(true);
    expect(withDefault.record.rules).toMatchObject({ source: 'default', count: 2 });
    const withOwn = await allowsFor(authorizer, { acl: { pub: ['own/${clientid}'] } });
    expect(withOwn.allows.subscribe('news/today')).toBe(false);
    expect(withOwn.allows.publish('own/dev-42')).toBe(true);
    expect(withOwn.allows.publish('$aws/things/dev-42/shadow/update')).toBe(true);
  });

  it('grants Connect only to a token without rules when there is no default', async () => {
    const { allows, record } = await allowsFor(authorizerWith(), {});
    expect(allows.connect()).toBe(true);
    expect(allows.publish('anything')).toBe(false);
    expect(record.rules).toEqual({ source: 'none', count: 0, exact: true });
  });

  it.each([
    ['a client id that would widen a placeholder', { acl: { pub: ['d/${clientid}'] } }, 'a/#', 'PLACEHOLDER_VALUE_INVALID'],
    ['a client id with +', { acl: { pub: ['d/${clientid}'] } }, '+', 'PLACEHOLDER_VALUE_INVALID'],
    ['a malformed acl', { acl: [{ permission: 'allow', action: 'jump', topic: 'a' }] }, 'dev-42', 'RULES_INVALID'],
    ['a regex with a class', { pub_rules: ['d/[a-z]+'] }, 'dev-42', 'RULES_UNSUPPORTED'],
    ['more rules than ten documents hold', { acl: { all: Array.from({ length: 100 }, (_, i) => `fleet/${i}/${'x'.repeat(50)}`) } }, 'dev-42', 'POLICY_TOO_LARGE'],
  ])('denies %s', async (_name, claims, clientId, code) => {
    expect(await verdict(authorizerWith(), await mint(signer, claims), { clientId })).toBe(code);
  });

  it('never lets a client id or username widen a grant', async () => {
    const authorizer = authorizerWith();
    const acl = { acl: { all: ['d/${clientid}/x', 'u/${username}/#'] } };
    await fc.assert(fc.asyncProperty(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 20 }), async (clientId, username, topic) => {
      const { response } = await connect(authorizer, await mint(signer, acl), { clientId, username });
      if (!response.isAuthenticated) return;
      const allows = policyAllows(response.policyDocuments, ARN_PREFIX, clientId);
      const own = new Set([`d/${clientId}/x`]);
      if (allows.publish(topic)) expect(own.has(topic) || topic === `u/${username}` || topic.startsWith(`u/${username}/`)).toBe(true);
    }), { numRuns: 300 });
  });
});

describe('disconnectAfterSeconds', () => {
  const NOW = 1_800_000_000;
  const now = NOW * 1000;
  it.each([
    [undefined, false, 86_400],
    [NOW + 300, false, 300],
    [NOW + 3600.9, false, 3600],
    [NOW + 100_000, false, 86_400],
    [NOW + 10, true, 300],
  ])('exp %s (short-lived allowed: %s) gives %s', (exp, allowShort, expected) => {
    expect(disconnectAfterSeconds(exp, now, allowShort)).toBe(expected);
  });

  it('denies 299 s left', () => {
    expect(() => disconnectAfterSeconds(NOW + 299, now, false)).toThrow(expect.objectContaining({ code: 'EXPIRES_TOO_SOON' }));
  });
});
