// Known attacks on JWT verifiers, one test each, with the advisory or RFC section that describes it.
// Every case asserts the decision and the logged reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createAuthorizer, type Authorizer } from '../../functions/authorizer/authorizer.ts';
import { parseConfig } from '../../functions/authorizer/config/config.ts';
import { startJwksServer, type JwksServer } from '../../local/jwks-server.ts';
import { asymmetricSigner, jwksOf, mint, nowSeconds, signRawES256, type Signer } from '../helpers/keys.ts';
import { connect } from '../helpers/decide.ts';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const claims = () => ({ sub: 'dev-1', iat: nowSeconds(), exp: nowSeconds() + 3600 });

let es: Signer;
let rs: Signer;
let authorizer: Authorizer;
let attackerServer: JwksServer;

beforeAll(async () => {
  es = await asymmetricSigner('ES256');
  rs = await asymmetricSigner('RS256');
  authorizer = createAuthorizer(parseConfig({ JWT_JWKS: JSON.stringify(jwksOf(es, rs)), JWT_ISSUER: 'https://idp', JWT_AUDIENCE: 'mqtt' }));
  attackerServer = await startJwksServer({ json: { keys: [] } });
});
afterAll(() => attackerServer.close());

async function expectDeny(token: string, reason: string | RegExp) {
  const { response, record } = await connect(authorizer, token);
  expect(response.isAuthenticated).toBe(false);
  expect(response.policyDocuments).toEqual([]);
  expect(record.reason).toMatch(typeof reason === 'string' ? new RegExp(`^${reason}$`) : reason);
}
const good = (extra: Record<string, unknown> = {}) => mint(es, { ...claims(), iss: 'https://idp', aud: 'mqtt', ...extra });

describe('known JWT attacks', () => {
  it('accepts the genuine token these cases tamper with', async () => {
    expect((await connect(authorizer, await good())).response.isAuthenticated).toBe(true);
  });

  // RFC 8725 §2.1 and §3.1; CVE-2015-9235 (jsonwebtoken accepted "none").
  it.each(['none', 'None', 'NONE', 'nOnE'])('alg %s, with and without a signature', async (alg) => {
    const unsigned = `${b64({ alg, typ: 'JWT' })}.${b64({ ...claims(), iss: 'https://idp', aud: 'mqtt' })}`;
    await expectDeny(`${unsigned}.`, 'TOKEN_MALFORMED');
    await expectDeny(`${unsigned}.${b64('sig')}`, 'ALG_NOT_ALLOWED');
  });

  // RFC 8725 §2.1; CVE-2016-10555 (jwt-simple) and CVE-2022-29217 (PyJWT): the RSA public key, which
  // anyone can read, used as an HMAC secret.
  it('HMAC/RSA key confusion', async () => {
    const input = `${b64({ alg: 'HS256', kid: rs.kid })}.${b64({ ...claims(), iss: 'https://idp', aud: 'mqtt' })}`;
    for (const secret of [rs.pem!, JSON.stringify(rs.jwk)]) {
      const signature = createHmac('sha256', secret).update(input).digest('base64url');
      await expectDeny(`${input}.${signature}`, 'KEY_NOT_FOUND');
    }
  });

  // CVE-2022-21449 ("psychic signatures": Java accepted ECDSA r = s = 0).
  it('an ECDSA signature of zeros', async () => {
    const [h, p] = (await good()).split('.');
    await expectDeny(`${h}.${p}.${Buffer.alloc(64).toString('base64url')}`, 'SIGNATURE_INVALID');
  });

  // RFC 8725 §2.9 and §3.10: a kid used as a file path or in a query. Keys are matched by equality, never
  // looked up anywhere the kid could steer.
  it.each(['../../../../dev/null', "x' UNION SELECT 'secret' --", '/proc/self/environ', '*', '', 'k'.repeat(5000)])('kid %j', async (kid) => {
    const attacker = await generateKeyPair('ES256');
    const token = await new SignJWT({ ...claims(), iss: 'https://idp', aud: 'mqtt' }).setProtectedHeader({ alg: 'ES256', kid }).sign(attacker.privateKey);
    await expectDeny(token, kid === '' || kid === '*' ? /^(KEY_NOT_FOUND|SIGNATURE_INVALID)$/ : 'KEY_NOT_FOUND');
  });

  // RFC 8725 §3.10: jku and x5u point at keys the attacker serves; they are never fetched.
  it.each(['jku', 'x5u'])('%s header naming the attacker\'s key set', async (header) => {
    const attacker = await asymmetricSigner('ES256', es.kid);
    attackerServer.serve({ json: jwksOf(attacker) });
    const token = await mint(attacker, { ...claims(), iss: 'https://idp', aud: 'mqtt' }, { header: { [header]: attackerServer.url.href } });
    await expectDeny(token, 'SIGNATURE_INVALID');
    expect(attackerServer.hits()).toBe(0);
  });

  // CVE-2018-0114 (node-jose trusted a key embedded in the header).
  it('an embedded jwk header with the attacker\'s key', async () => {
    const attacker = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(attacker.publicKey);
    const token = await new SignJWT({ ...claims(), iss: 'https://idp', aud: 'mqtt' }).setProtectedHeader({ alg: 'ES256', jwk }).sign(attacker.privateKey);
    await expectDeny(token, 'SIGNATURE_INVALID');
  });

  // RFC 7515 §4.1.11: an extension the verifier does not understand must make it reject the token.
  it('a crit header', async () => {
    const token = await signRawES256(es, JSON.stringify({ alg: 'ES256', kid: es.kid, crit: ['exp-policy'], 'exp-policy': 'lenient' }), JSON.stringify({ ...claims(), iss: 'https://idp', aud: 'mqtt' }));
    await expectDeny(token, 'TOKEN_MALFORMED');
  });

  // RFC 8725 §2.6: several JSON encodings of one token. Duplicate keys are read as JSON.parse reads them
  // (the last wins) by every step, so no two parts of the authorizer see different claims.
  it('duplicate claims in a genuinely signed token are read one way throughout', async () => {
    const header = JSON.stringify({ alg: 'ES256', kid: es.kid });
    const body = `{"sub":"dev-1","iss":"https://idp","aud":"mqtt","exp":${nowSeconds() + 3600},"sub":"admin"}`;
    const { record, claims: seen } = await connect(authorizer, await signRawES256(es, header, body));
    expect(record).toMatchObject({ decision: 'allow', sub: 'admin' });
    expect(seen?.sub).toBe('admin');
  });

  // RFC 8725 §2.6 again: the same claims re-encoded (spacing, key order) are not the signed bytes.
  it('a re-encoded header or payload', async () => {
    const [h, p, s] = (await good()).split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    await expectDeny(`${b64(JSON.stringify(header, null, 1))}.${p}.${s}`, 'SIGNATURE_INVALID');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    await expectDeny(`${h}.${b64(Object.fromEntries(Object.entries(payload).reverse()))}.${s}`, 'SIGNATURE_INVALID');
    await expectDeny(`${p}.${h}.${s}`, /^(TOKEN_MALFORMED|ALG_NOT_ALLOWED)$/);
  });

  // RFC 7519 §4.1.4–4.1.6 with RFC 8725 §3.10: time claims, at the skew boundary (30 s by default).
  it('expired and future tokens at the skew boundary', async () => {
    const now = nowSeconds();
    expect((await connect(createAuthorizer(parseConfig({ JWT_JWKS: JSON.stringify(jwksOf(es)), JWT_ALLOW_SHORT_LIVED: 'true' })), await mint(es, { sub: 'd', exp: now - 25 }, { ttl: null }))).record.decision).toBe('allow');
    await expectDeny(await good({ exp: now - 35 }), 'TOKEN_EXPIRED');
    await expectDeny(await good({ nbf: now + 40 }), 'TOKEN_NOT_YET_VALID');
    await expectDeny(await good({ iat: now + 40 }), 'TOKEN_NOT_YET_VALID');
  });

  // RFC 8725 §3.8 and §3.9: a token for another issuer or audience.
  it('a token for another audience or issuer', async () => {
    await expectDeny(await good({ aud: 'https://another-service' }), 'AUDIENCE_MISMATCH');
    await expectDeny(await good({ iss: 'https://evil.example' }), 'ISSUER_MISMATCH');
    await expectDeny(await good({ aud: undefined }), 'CLAIM_MISSING');
  });

  // A genuine token too large for IoT's limits: refused before parsing (16 KiB), or its policy refused.
  it('a genuine token too large for IoT', async () => {
    await expectDeny(await good({ padding: 'x'.repeat(20_000) }), 'TOKEN_TOO_LARGE');
    const rules = Array.from({ length: 100 }, (_, i) => `fleet/site-${i}/devices/${'a'.repeat(40)}/#`);
    await expectDeny(await good({ acl: { all: rules } }), 'POLICY_TOO_LARGE');
  });

  it('huge numbers and wrong types in time claims', async () => {
    const { response } = await connect(authorizer, await good({ exp: 1e308 }));
    expect(response).toMatchObject({ isAuthenticated: true, disconnectAfterInSeconds: 86_400 }); // IoT's maximum
    await expectDeny(await good({ exp: -1e308 }), 'TOKEN_EXPIRED');
    await expectDeny(await good({ nbf: 1e308 }), 'TOKEN_NOT_YET_VALID');
    await expectDeny(await good({ exp: '9999999999' }), 'CLAIM_INVALID');
    await expectDeny(await good({ exp: [nowSeconds() + 60] }), 'CLAIM_INVALID');
  });
});
