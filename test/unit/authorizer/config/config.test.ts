import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, parseConfig } from '../../../../functions/authorizer/config/config.ts';

const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const PUBLIC_JWK = { ...publicKey.export({ format: 'jwk' }), kid: 'k1' };
const MINIMAL = { JWT_SECRET_ID: 'jwt-secret' };

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const whole = parseConfig(MINIMAL);
    expect(whole).toMatchObject({ tokenFrom: [{ kind: 'password' }], fetchTimeoutMs: 1500, refreshSeconds: undefined, verifiedCacheEntries: 2000, logAllows: true, revocation: undefined });
    expect(whole.profiles).toHaveLength(1);
    const config = whole.profiles[0]!;
    expect(config).toMatchObject({
      issuer: undefined,
      secretsManager: { secretId: 'jwt-secret', format: 'auto', cacheSeconds: 300, acceptPrevious: true },
      keyRefetchCooldownSeconds: 1,
      clockSkewSeconds: 30,
      requireExp: true,
      maxAgeSeconds: undefined,
      allowShortLived: false,
      verifyClaims: {},
      ruleClaims: { acl: 'acl', pubRules: 'pub_rules', subRules: 'sub_rules' },
      defaultAcl: undefined,
      baseAcl: [],
    });
    expect([...config.algorithms].sort()).toEqual(
      ['ES256', 'ES384', 'ES512', 'EdDSA', 'HS256', 'HS384', 'HS512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'],
    );
    expect(Object.isFrozen(whole)).toBe(true);
  });

  it('reads every setting', () => {
    const whole = parseConfig({
      JWT_FROM: 'username', JWT_ALGORITHMS: 'ES256, RS256', JWT_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
      JWT_SECRET_FORMAT: 'hmac-base64', JWT_SECRET_CACHE_SECONDS: '60', JWT_SECRET_ACCEPT_PREVIOUS: 'false',
      JWT_PUBLIC_KEY: PEM, JWT_JWKS: JSON.stringify({ keys: [PUBLIC_JWK] }),
      JWT_JWKS_URL: 'https://idp.example.com/jwks.json', JWT_JWKS_REFRESH_SECONDS: '60', JWT_JWKS_HEADERS: '{"x-api-key":"k"}',
      JWT_KEY_REFETCH_COOLDOWN_SECONDS: '5', JWT_FETCH_TIMEOUT_MS: '800', JWT_CLOCK_SKEW_SECONDS: '0',
      JWT_REQUIRE_EXP: 'false', JWT_MAX_AGE_SECONDS: '3600', JWT_ISSUER: 'a,b', JWT_AUDIENCE: 'mqtt',
      JWT_VERIFY_CLAIMS: '{"sub":"${clientid}","tier":2}', JWT_REFRESH_SECONDS: '600', JWT_ALLOW_SHORT_LIVED: 'true',
    });
    expect(whole).toMatchObject({ tokenFrom: [{ kind: 'username' }], fetchTimeoutMs: 800, refreshSeconds: 600 });
    const config = whole.profiles[0]!;
    expect([...config.algorithms]).toEqual(['ES256', 'RS256']);
    expect(config.secretsManager).toEqual({ secretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:x', format: 'hmac-base64', cacheSeconds: 60, acceptPrevious: false });
    expect(config.staticKeys.map((k) => [k.origin, k.kid, [...k.algorithms]])).toEqual([
      ['JWT_PUBLIC_KEY', undefined, ['ES256']], ['JWT_JWKS', 'k1', ['ES256']],
    ]);
    expect(config.jwksUrl).toMatchObject({ url: new URL('https://idp.example.com/jwks.json'), refreshSeconds: 60, headers: { 'x-api-key': 'k' } });
    expect(config).toMatchObject({
      keyRefetchCooldownSeconds: 5, clockSkewSeconds: 0, requireExp: false, maxAgeSeconds: 3600,
      issuers: ['a', 'b'], audiences: ['mqtt'], verifyClaims: { sub: '${clientid}', tier: 2 }, allowShortLived: true,
    });
  });

  it('accepts a PEM whose newlines are written as \\n', () => {
    expect(parseConfig({ JWT_PUBLIC_KEY: PEM.replaceAll('\n', '\\n') }).profiles[0]!.staticKeys).toHaveLength(1);
  });

  it.each([
    [{ JWT_FROM: 'header' }, 'JWT_FROM: "header": expected header:NAME, e.g. header:authorization'],
    [{ JWT_SECRET_CACHE_SECONDS: 'ten' }, 'JWT_SECRET_CACHE_SECONDS: expected a whole number'],
    [{ JWT_SECRET_CACHE_SECONDS: '1.5' }, 'JWT_SECRET_CACHE_SECONDS: expected a whole number'],
    [{ JWT_CLOCK_SKEW_SECONDS: '-1' }, 'JWT_CLOCK_SKEW_SECONDS: expected a whole number from 0'],
    [{ JWT_REFRESH_SECONDS: '60' }, 'JWT_REFRESH_SECONDS: expected a whole number from 300 to 86400'],
    [{ JWT_REQUIRE_EXP: 'yes' }, 'JWT_REQUIRE_EXP: expected true or false'],
    [{ JWT_SECRET_FORMAT: 'base64' }, 'JWT_SECRET_FORMAT: expected one of auto, hmac, hmac-base64, pem, jwks'],
    [{ JWT_ALGORITHMS: 'HS256,none' }, 'JWT_ALGORITHMS: unsupported none'],
    [{ JWT_VERIFY_CLAIMS: '{"sub":' }, 'JWT_VERIFY_CLAIMS: not valid JSON'],
    [{ JWT_VERIFY_CLAIMS: '["sub"]' }, 'JWT_VERIFY_CLAIMS: expected a JSON object'],
    [{ JWT_VERIFY_CLAIMS: '{"exp":"1"}' }, 'JWT_VERIFY_CLAIMS: "exp" cannot be checked here'],
    [{ JWT_VERIFY_CLAIMS: '{"role":{"a":1}}' }, 'JWT_VERIFY_CLAIMS: "role": expected a string, number or boolean'],
    [{ JWT_JWKS_URL: 'ftp://x/jwks' }, 'JWT_JWKS_URL: expected a https: or http: URL'],
    [{ JWT_JWKS_URL: 'not a url' }, 'JWT_JWKS_URL: not a valid URL'],
    [{ JWT_JWKS_URL: 'https://x/j', JWT_JWKS_HEADERS: '{"bad name":"v"}' }, 'JWT_JWKS_HEADERS: header "bad name"'],
    [{ JWT_JWKS_URL: 'https://x/j', JWT_JWKS_HEADERS: '{"x-key":"a\\nb"}' }, 'JWT_JWKS_HEADERS: header "x-key"'],
    [{ JWT_JWKS_URL: 'https://x/j', JWT_JWKS_HEADERS: '{"x-key":1}' }, 'JWT_JWKS_HEADERS: expected a JSON object of string values'],
    [{ JWT_JWKS_SECONDS: '5' }, 'JWT_JWKS_SECONDS: unknown setting'],
    [{ JWT_DEFAULT_ACL: '{"pub":"a"}' }, 'JWT_DEFAULT_ACL: JWT_DEFAULT_ACL.pub: expected a list of topic filters'],
    [{ JWT_BASE_ACL: '[{"permission":"allow","action":"all","topic":"a/#/b"}]' }, 'JWT_BASE_ACL: JWT_BASE_ACL[0].topic: "#" must be a whole last level'],
    [{ JWT_DEFAULT_ACL: '{"pub_rules":["(a|b)"]}' }, 'JWT_DEFAULT_ACL: JWT_DEFAULT_ACL.pub_rules[0]: "(" has no exact IoT policy form'],
  ])('fails on %o naming the variable', (env, message) => {
    expect(problemsOf({ ...MINIMAL, ...env }).join('\n')).toContain(message);
  });

  it('reports every problem at once', () => {
    expect(problemsOf({ ...MINIMAL, JWT_FROM: 'x', JWT_REQUIRE_EXP: 'x', JWT_FETCH_TIMEOUT_MS: 'x' })).toHaveLength(3);
  });

  it('needs a key source', () => {
    expect(problemsOf({})).toEqual(['JWT_SECRET_ID: no key source: set JWT_SECRET_ID, JWT_PUBLIC_KEY, JWT_JWKS or JWT_JWKS_URL']);
  });

  it('refuses secret settings without a secret, and JWKS settings without a URL', () => {
    expect(problemsOf({ JWT_PUBLIC_KEY: PEM, JWT_SECRET_FORMAT: 'pem', JWT_JWKS_REFRESH_SECONDS: '10' })).toEqual([
      'JWT_SECRET_FORMAT: set, but JWT_SECRET_ID is not', 'JWT_JWKS_REFRESH_SECONDS: set, but JWT_JWKS_URL is not',
    ]);
  });

  it('keeps secrets out of the environment: no HMAC key in JWT_JWKS, no private key in JWT_PUBLIC_KEY or JWT_JWKS', () => {
    const oct = JSON.stringify({ keys: [{ kty: 'oct', k: Buffer.alloc(32, 1).toString('base64url') }] });
    expect(problemsOf({ JWT_JWKS: oct })[0]).toMatch(/^JWT_JWKS: key 0 symmetric \(oct\) key .*Secrets Manager/);
    const privateJwk = JSON.stringify({ keys: [privateKey.export({ format: 'jwk' })] });
    expect(problemsOf({ JWT_JWKS: privateJwk })[0]).toMatch(/^JWT_JWKS: key 0 holds private key material/);
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(problemsOf({ JWT_PUBLIC_KEY: privatePem })[0]).toMatch(/^JWT_PUBLIC_KEY: holds a private key/);
  });

  it('checks key material at cold start', () => {
    expect(problemsOf({ JWT_PUBLIC_KEY: 'hello' })[0]).toMatch(/^JWT_PUBLIC_KEY: no PEM block/);
    expect(problemsOf({ JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' })[0])
      .toMatch(/^JWT_PUBLIC_KEY: the PUBLIC KEY block does not parse/);
    expect(problemsOf({ JWT_JWKS: '{"keys":[]}' })[0]).toMatch(/^JWT_JWKS: no usable key/);
    expect(problemsOf({ JWT_JWKS: '{"kty":"EC"}' })[0]).toMatch(/^JWT_JWKS: not a JWK Set/);
    expect(problemsOf({ JWT_PUBLIC_KEY: PEM, JWT_ALGORITHMS: 'RS256' })[0]).toMatch(/^JWT_PUBLIC_KEY: the PEM holds no key usable/);
  });
});
