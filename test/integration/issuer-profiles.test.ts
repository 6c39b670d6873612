// Several issuers in one deployment (issue 15): profiles selected by `iss`, strictly separated keys and
// checks, roles, and every configuration error named by its place.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createAuthorizer } from '../../functions/authorizer/authorizer.ts';
import { parseConfig } from '../../functions/authorizer/config/config.ts';
import { startJwksServer, type JwksServer } from '../../local/jwks-server.ts';
import { startSecretsManager, type SecretsManagerEmulator } from '../../local/secrets-manager-emulator.ts';
import { policyAllows } from '../../local/iot-policy.ts';
import { asymmetricSigner, hmacSigner, jwksOf, mint, type Signer } from '../helpers/keys.ts';
import { connect, verdict } from '../helpers/decide.ts';
import { configProblems } from '../helpers/config-problems.ts';

const ARN = 'arn:aws:iot:us-east-1:123456789012';
let jwks: JwksServer;
let sm: SecretsManagerEmulator;
let signers: Signer[];

beforeAll(async () => {
  // Ten issuers' keys, all with the same kid: only the profile decides which key is tried.
  signers = await Promise.all(Array.from({ length: 10 }, () => asymmetricSigner('ES256', 'shared-kid')));
  jwks = await startJwksServer({ json: jwksOf(signers[1]!) });
  sm = await startSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = sm.endpoint;
});
afterAll(async () => {
  await jwks.close();
  await sm.close();
});

const issuer = (i: number) => `https://issuer-${i}.example`;
const profilesEnv = (profiles: unknown[], extra: Record<string, string> = {}) => ({ JWT_ISSUERS: JSON.stringify(profiles), JWT_FETCH_TIMEOUT_MS: '300', ...extra });

describe('issuer profiles', () => {
  it('verifies each of ten issuers\' tokens with its own keys only, though every key has the same kid', async () => {
    const profiles = signers.map((s, i) => ({ issuer: issuer(i), jwks: jwksOf(s), audience: [`aud-${i}`] }));
    const authorizer = createAuthorizer(parseConfig(profilesEnv(profiles)));
    for (let i = 0; i < 10; i += 1) {
      expect(await verdict(authorizer, await mint(signers[i]!, { iss: issuer(i), aud: `aud-${i}` }))).toBe('ALLOW');
      // The same claims signed by the next issuer's key: presented as issuer i, refused.
      expect(await verdict(authorizer, await mint(signers[(i + 1) % 10]!, { iss: issuer(i), aud: `aud-${i}` }))).toBe('SIGNATURE_INVALID');
      // Issuer i's token with issuer i+1's audience: each profile checks its own claims.
      expect(await verdict(authorizer, await mint(signers[i]!, { iss: issuer(i), aud: `aud-${(i + 1) % 10}` }))).toBe('AUDIENCE_MISMATCH');
    }
  });

  it('denies an iss no profile names with ISSUER_MISMATCH, showing the iss, and a token without iss too', async () => {
    const authorizer = createAuthorizer(parseConfig(profilesEnv([{ issuer: issuer(0), jwks: jwksOf(signers[0]!) }])));
    const { record } = await connect(authorizer, await mint(signers[0]!, { iss: 'https://evil.example\n' }));
    expect(record).toMatchObject({ reason: 'ISSUER_MISMATCH', detail: { iss: 'https://evil.example\n' } });
    expect(JSON.stringify(record)).toContain('evil.example\\n'); // escaped in the JSON line
    expect(await verdict(authorizer, await mint(signers[0]!, {}))).toBe('ISSUER_MISMATCH');
    expect(await verdict(authorizer, await mint(signers[0]!, { iss: `${issuer(0)}/` }))).toBe('ISSUER_MISMATCH'); // exact match only
  });

  it('keeps the same HMAC secret under two profiles to its own issuer\'s checks and rules', async () => {
    const secret = randomBytes(32);
    sm.put('shared-hmac', secret);
    const profiles = [
      { issuer: issuer(0), secretId: 'shared-hmac', defaultAcl: { pub: ['a/#'] } },
      { issuer: issuer(1), secretId: 'shared-hmac', defaultAcl: { pub: ['b/#'] }, verifyClaims: { tier: 'gold' } },
    ];
    const authorizer = createAuthorizer(parseConfig(profilesEnv(profiles)));
    const hs = hmacSigner(secret);
    const asA = await connect(authorizer, await mint(hs, { iss: issuer(0) }));
    expect(policyAllows(asA.response.policyDocuments, ARN, 'dev-1').publish('a/x')).toBe(true);
    expect(policyAllows(asA.response.policyDocuments, ARN, 'dev-1').publish('b/x')).toBe(false);
    expect(await verdict(authorizer, await mint(hs, { iss: issuer(1) }))).toBe('CLAIM_MISSING');
  });

  it('serves the other issuers promptly while one profile\'s JWKS endpoint hangs', async () => {
    const hanging = await startJwksServer('hang');
    try {
      const profiles = [{ issuer: issuer(0), jwksUrl: hanging.url.href }, { issuer: issuer(1), jwksUrl: jwks.url.href }];
      const authorizer = createAuthorizer(parseConfig(profilesEnv(profiles)));
      const slow = verdict(authorizer, await mint(signers[0]!, { iss: issuer(0) }));
      const started = Date.now();
      expect(await verdict(authorizer, await mint(signers[1]!, { iss: issuer(1) }))).toBe('ALLOW');
      expect(Date.now() - started).toBeLessThan(250); // not held behind the hanging endpoint's 300 ms limit
      expect(await slow).toBe('KEY_SOURCE_UNAVAILABLE');
    } finally {
      await hanging.close();
    }
  });

  it('reads profiles from JWT_ISSUERS_FILE, relative to the deployed folder', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'issuers-'));
    writeFileSync(join(folder, 'issuers.json'), JSON.stringify([{ issuer: issuer(2), jwks: jwksOf(signers[2]!) }]));
    const authorizer = createAuthorizer(parseConfig({ JWT_ISSUERS_FILE: 'issuers.json', LAMBDA_TASK_ROOT: folder }));
    expect(await verdict(authorizer, await mint(signers[2]!, { iss: issuer(2) }))).toBe('ALLOW');
  });
});

describe('roles', () => {
  const rolesProfile = (extra: Record<string, unknown> = {}) => [{
    issuer: issuer(0), jwks: jwksOf(signers[0]!),
    roles: {
      sensor: { pub: ['telemetry/${clientid}/#'] },
      operator: [{ permission: 'allow', action: 'subscribe', topic: 'telemetry/#' }, { permission: 'deny', action: 'all', topic: 'telemetry/secret/#' }],
      gateway: { pub_rules: ['gw/${clientid}/.*'] },
    },
    ...extra,
  }];
  const allows = async (profile: unknown[], claims: Record<string, unknown>) => {
    const { response, record } = await connect(createAuthorizer(parseConfig(profilesEnv(profile))), await mint(signers[0]!, { iss: issuer(0), ...claims }));
    return { record, allows: policyAllows(response.policyDocuments ?? [], ARN, 'dev-1') };
  };

  it('adds a role\'s rules from a flat claim', async () => {
    const { allows: a } = await allows(rolesProfile({ roleClaim: 'role' }), { role: 'sensor' });
    expect(a.publish('telemetry/dev-1/t')).toBe(true);
    expect(a.subscribe('telemetry/#')).toBe(false);
  });

  it('gives several roles from a nested claim the union of their allows and every deny', async () => {
    const { allows: a } = await allows(rolesProfile({ roleClaim: 'realm_access.roles' }), { realm_access: { roles: ['sensor', 'operator', 'gateway'] } });
    expect(a.publish('telemetry/dev-1/t')).toBe(true);
    expect(a.publish('gw/dev-1/x')).toBe(true);
    expect(a.subscribe('telemetry/#')).toBe(true);
    expect(a.subscribe('telemetry/secret/#')).toBe(false); // the operator role's deny holds
    expect(a.receive('telemetry/secret/x')).toBe(false); // and its deliveries under telemetry/# are stopped
    expect(a.receive('telemetry/dev-2/t')).toBe(true);
  });

  it('denies a role without rules with ROLE_UNKNOWN, unless unknownRole is "ignore"; a bad role claim is CLAIM_INVALID', async () => {
    expect((await allows(rolesProfile({ roleClaim: 'role' }), { role: ['sensor', 'admin'] })).record).toMatchObject({ reason: 'ROLE_UNKNOWN', detail: { role: 'admin' } });
    expect((await allows(rolesProfile({ roleClaim: 'role' }), { role: '__proto__' })).record).toMatchObject({ reason: 'ROLE_UNKNOWN' });
    const ignored = await allows(rolesProfile({ roleClaim: 'role', unknownRole: 'ignore' }), { role: ['sensor', 'admin'] });
    expect(ignored.allows.publish('telemetry/dev-1/t')).toBe(true);
    expect((await allows(rolesProfile({ roleClaim: 'role' }), { role: { name: 'sensor' } })).record).toMatchObject({ reason: 'CLAIM_INVALID' });
    // No role claim at all: no role rules, and nothing else.
    expect((await allows(rolesProfile({ roleClaim: 'role' }), {})).allows.publish('telemetry/dev-1/t')).toBe(false);
  });
});

describe('profile configuration errors', () => {
  it.each([
    ['a duplicate issuer', [{ issuer: 'a', jwks: 'J' }, { issuer: 'a', jwks: 'J' }], 'JWT_ISSUERS[1].issuer: "a" has a profile already'],
    ['a missing issuer', [{ jwks: 'J' }], 'JWT_ISSUERS[0].issuer: required'],
    ['an unknown key', [{ issuer: 'a', jwks: 'J', jwksURL: 'https://x' }], 'JWT_ISSUERS[0].jwksURL: unknown key (a typo?)'],
    ['no key source', [{ issuer: 'a' }], 'JWT_ISSUERS[0].secretId: no key source: set secretId, publicKey, jwks or jwksUrl'],
    ['a bad URL', [{ issuer: 'a', jwksUrl: 'ftp://x' }], 'JWT_ISSUERS[0].jwksUrl: expected a https: or http: URL'],
    ['a bad setting', [{ issuer: 'a', jwks: 'J', clockSkewSeconds: 'soon' }], 'JWT_ISSUERS[0].clockSkewSeconds: expected a whole number'],
    ['roles without roleClaim', [{ issuer: 'a', jwks: 'J', roles: { x: { pub: ['a'] } } }], 'JWT_ISSUERS[0].roleClaim: required with roles'],
    ['a bad role rule', [{ issuer: 'a', jwks: 'J', roleClaim: 'r', roles: { x: { publish: ['a'] } } }], 'JWT_ISSUERS[0].roles.x: JWT_ISSUERS[0].roles.x: unknown key "publish"'],
    ['an empty list', [], 'JWT_ISSUERS: expected a non-empty JSON array'],
  ])('names the place of %s', (_name, profiles, problem) => {
    const text = JSON.stringify(profiles).replaceAll('"J"', JSON.stringify(jwksOf(signers[0]!)));
    expect(configProblems({ JWT_ISSUERS: text }).join('\n')).toContain(problem);
  });

  it('refuses single-issuer variables beside profiles, both sources at once, a missing file, and repeated JSON keys', () => {
    const one = JSON.stringify([{ issuer: 'a', jwks: jwksOf(signers[0]!) }]);
    expect(configProblems({ JWT_ISSUERS: one, JWT_JWKS_URL: 'https://x/jwks', JWT_AUDIENCE: 'mqtt' })).toEqual([
      'JWT_JWKS_URL: set, but the issuers\' profiles come from JWT_ISSUERS: set it in each profile',
      'JWT_AUDIENCE: set, but the issuers\' profiles come from JWT_ISSUERS: set it in each profile',
    ]);
    expect(configProblems({ JWT_ISSUERS: one, JWT_ISSUERS_FILE: 'x.json' })).toContain('JWT_ISSUERS_FILE: set, and JWT_ISSUERS too: give the profiles in one place');
    expect(configProblems({ JWT_ISSUERS_FILE: '/nonexistent/issuers.json' })[0]).toMatch(/^JWT_ISSUERS_FILE: cannot read \/nonexistent\/issuers.json as JSON \(ENOENT\)/);
    expect(configProblems({ JWT_ISSUERS: '[{"issuer":"a","issuer":"b"}]' })[0]).toMatch(/^JWT_ISSUERS: .*"issuer" appears twice/);
  });
});
