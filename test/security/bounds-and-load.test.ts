// Size and CPU bounds on hostile input, and load: many concurrent invocations in one container, and many
// cold containers hitting the JWKS endpoint at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer, type Authorizer } from '../../functions/authorizer/authorizer.ts';
import { parseConfig } from '../../functions/authorizer/config/config.ts';
import { startJwksServer, type JwksServer } from '../../local/jwks-server.ts';
import { connectEvent, LOCAL_FUNCTION_ARN } from '../../local/iot-event.ts';
import { asymmetricSigner, jwksOf, mint, type Signer } from '../helpers/keys.ts';
import { verdict } from '../helpers/decide.ts';

let signer: Signer;
let jwks: JwksServer;
let authorizer: Authorizer;

beforeAll(async () => {
  signer = await asymmetricSigner('ES256');
  jwks = await startJwksServer({ json: jwksOf(signer) });
  authorizer = createAuthorizer(parseConfig({ JWT_JWKS_URL: jwks.url.href }));
  await verdict(authorizer, await mint(signer)); // warm: keys fetched, code compiled
});
afterAll(() => jwks.close());

/** CPU time of one decision, in ms (user + system), which a busy shared machine inflates far less than wall time. */
async function cpuMs(event: unknown): Promise<{ ms: number; reason: string | undefined }> {
  const before = process.cpuUsage();
  const { record } = await authorizer.decide(event, LOCAL_FUNCTION_ARN);
  const used = process.cpuUsage(before);
  return { ms: (used.user + used.system) / 1000, reason: record.reason };
}

describe('bounds', () => {
  // A blow-up guard, not a speed test: hostile input must not make one invocation expensive. The bound is
  // generous on purpose (the bench measures real speed); a quadratic or exponential path would exceed it.
  const BLOW_UP_MS = 50;

  it.each([
    ['a 64 KiB password', () => connectEvent({ password: 'A'.repeat(65_535), clientId: 'c' }), 'TOKEN_TOO_LARGE'],
    ['a 64 KiB username as the token source', () => connectEvent({ username: 'A'.repeat(65_535), clientId: 'c' }), 'TOKEN_MISSING'],
    ['16 KiB of dots', () => connectEvent({ password: '.'.repeat(16_000), clientId: 'c' }), 'TOKEN_MALFORMED'],
    ['a token of one 16 KiB segment and two tiny', () => connectEvent({ password: `${'A'.repeat(16_000)}.a.a`, clientId: 'c' }), 'TOKEN_MALFORMED'],
    ['a header nested 5,000 arrays deep', () => connectEvent({ password: `${Buffer.from('['.repeat(5000) + ']'.repeat(5000)).toString('base64url')}.e30.AAAA`, clientId: 'c' }), 'TOKEN_MALFORMED'],
    ['a 64 KiB client id', () => connectEvent({ password: 'a.b.c', clientId: 'x'.repeat(65_535) }), 'CLIENT_ID_INVALID'],
  ])('%s is refused cheaply', async (_name, event, reason) => {
    const { ms, reason: got } = await cpuMs(event());
    expect(got).toBe(reason);
    expect(ms).toBeLessThan(BLOW_UP_MS);
  });

  it('a genuine token whose rules are as large and wildcard-heavy as allowed is compiled cheaply', async () => {
    const pattern = `${'+/a/'.repeat(30)}#`; // 30 single-level wildcards, each narrowed by a Deny
    const acl = Array.from({ length: 64 }, (_, i) => ({ permission: i % 2 ? 'allow' : 'deny', action: 'all', topic: `${i}/${pattern}` }));
    const token = await mint(signer, { sub: 'c', acl });
    await authorizer.decide(connectEvent({ password: token, clientId: 'c' }), LOCAL_FUNCTION_ARN); // verify once
    const { ms } = await cpuMs(connectEvent({ password: token, clientId: 'c2' })); // the compile again, for another client
    expect(ms).toBeLessThan(BLOW_UP_MS * 4);
  });
});

describe('load', () => {
  it('answers 2,000 concurrent invocations in one container correctly, with no extra upstream call', async () => {
    const good = await Promise.all(Array.from({ length: 50 }, (_, i) => mint(signer, { sub: `d${i}` })));
    const stranger = await asymmetricSigner('ES256', signer.kid);
    const bad = await Promise.all(Array.from({ length: 50 }, () => mint(stranger)));
    const before = jwks.hits();
    const jobs = Array.from({ length: 2000 }, (_, i) => (i % 2 ? verdict(authorizer, good[i % 50]!) : verdict(authorizer, bad[i % 50]!)).then((v) => [i % 2, v] as const));
    const results = await Promise.all(jobs);
    expect(results.every(([isGood, v]) => (isGood ? v === 'ALLOW' : v === 'SIGNATURE_INVALID'))).toBe(true);
    expect(jwks.hits() - before).toBe(0);
  });

  it('100 cold containers at once: one fetch each, every answer right', async () => {
    const token = await mint(signer);
    const before = jwks.hits();
    const containers = Array.from({ length: 100 }, () => createAuthorizer(parseConfig({ JWT_JWKS_URL: jwks.url.href })));
    const verdicts = await Promise.all(containers.map((c) => Promise.all([verdict(c, token), verdict(c, token)])));
    expect(verdicts.flat().every((v) => v === 'ALLOW')).toBe(true);
    expect(jwks.hits() - before).toBe(100);
  });
});
