import { X509Certificate } from 'node:crypto';
import { DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS } from '../keys/algorithms.ts';
import { headerProblem } from '../keys/http-get.ts';
import { keysFromJwks, keysFromPem, KeyMaterialError, type TrustedKey } from '../keys/key-material.ts';
import { ConfigError, EnvReader, isPlainObject, type Env } from './env-reader.ts';
import { readProfiles } from './profiles.ts';
import { readTokenSources, type TokenSource } from '../request/token-sources.ts';
import { Denied } from '../deny.ts';
import { rulesFromJson, type RuleClaimNames } from '../rules/parse-rules.ts';
import type { RuleTemplate } from '../rules/rule.ts';

export { ConfigError };

export const SECRET_FORMATS = ['auto', 'hmac', 'hmac-base64', 'pem', 'jwks'] as const;
export type SecretFormat = (typeof SECRET_FORMATS)[number];

/** IoT Core's bounds for `disconnectAfterInSeconds` and `refreshAfterInSeconds`. */
export const IOT_MIN_SECONDS = 300;
export const IOT_MAX_SECONDS = 86_400;

export interface SecretsManagerConfig {
  readonly secretId: string;
  readonly format: SecretFormat;
  readonly cacheSeconds: number;
  readonly acceptPrevious: boolean;
}

export interface RevocationConfig {
  readonly table: string;
  /** How long a "not revoked" answer is trusted (the longest a new revocation takes to reach a new connect). */
  readonly cacheSeconds: number;
  /** What a failed or slow table read means: deny (the default), or allow and say so in the log. */
  readonly onFailure: 'deny' | 'allow';
}

/** How much longer than JWT_REVOCATION_CACHE_SECONDS a "not revoked" answer serves while the table cannot be read. */
export const REVOCATION_STALE_SECONDS = 300;

export interface JwksUrlConfig {
  readonly url: URL;
  readonly refreshSeconds: number;
  readonly headers: Readonly<Record<string, string>>;
  /** A Secrets Manager secret with `{"username","password"}` (HTTP Basic) or `{"headers":{…}}` for the endpoint. */
  readonly authSecretId?: string;
  /** PEM CA certificates trusted for the endpoint (a private PKI), besides none other. */
  readonly ca?: string;
  /** A Secrets Manager secret with `{"cert","key"}` (PEM): the client certificate for mutual TLS. */
  readonly clientCertSecretId?: string;
}

/** Expected claim values; string values are templates over `${clientid}` and `${username}`. */
export type ClaimExpectations = Readonly<Record<string, string | number | boolean>>;

/** Rules given by role (TBMQ's client type, generalised): the role claim, and rules per role value. */
export interface RoleRules {
  /** A claim name, or a dotted path into nested claims (`realm_access.roles`). */
  readonly claim: readonly string[];
  readonly rules: ReadonlyMap<string, readonly RuleTemplate[]>;
  /** A role with no rules: deny (ROLE_UNKNOWN), or ignore it. */
  readonly unknown: 'deny' | 'ignore';
}

/**
 * One issuer's settings: its keys, its claim checks, its rules. Without JWT_ISSUERS there is one, from the
 * JWT_* variables, that takes every `iss` (checked against JWT_ISSUER if set).
 */
export interface Profile {
  /** The exact `iss` that selects this profile; undefined for the single implicit profile. */
  readonly issuer: string | undefined;
  /** The algorithm allow-list; each key is further limited to the algorithms of its type. */
  readonly algorithms: ReadonlySet<string>;
  readonly secretsManager: SecretsManagerConfig | undefined;
  /** Keys from JWT_PUBLIC_KEY and JWT_JWKS, parsed at cold start. */
  readonly staticKeys: readonly TrustedKey[];
  readonly jwksUrl: JwksUrlConfig | undefined;
  readonly keyRefetchCooldownSeconds: number;
  readonly clockSkewSeconds: number;
  readonly requireExp: boolean;
  readonly maxAgeSeconds: number | undefined;
  readonly issuers: readonly string[] | undefined;
  readonly audiences: readonly string[] | undefined;
  readonly verifyClaims: ClaimExpectations;
  readonly allowShortLived: boolean;
  /** Claims that carry a token's rules. */
  readonly ruleClaims: RuleClaimNames;
  /** Rules for tokens that carry none; undefined: such tokens get Connect only. */
  readonly defaultAcl: readonly RuleTemplate[] | undefined;
  /** Rules added before every token's own (e.g. the device's shadow topics). */
  readonly baseAcl: readonly RuleTemplate[];
  readonly roles: RoleRules | undefined;
}

// Each stage sees only its slice of a profile: adding a stage never widens another's view.
/** What the key sources read. */
export type KeySettings = Pick<Profile, 'algorithms' | 'staticKeys' | 'secretsManager' | 'jwksUrl' | 'keyRefetchCooldownSeconds'>;
/** What verification reads: the algorithm allow-list and the registered-claim rules. */
export type VerifySettings = Pick<Profile, 'algorithms' | 'clockSkewSeconds' | 'requireExp' | 'maxAgeSeconds' | 'issuers' | 'audiences'>;
/** What the rules read. */
export type RuleSettings = Pick<Profile, 'ruleClaims' | 'defaultAcl' | 'baseAcl' | 'roles'>;

/** The settings of the whole function, and its issuers' profiles. */
export interface Config {
  /** JWT_FROM: where the token is looked for, in order; the first present source is the token. */
  readonly tokenFrom: readonly TokenSource[];
  readonly fetchTimeoutMs: number;
  /** `refreshAfterInSeconds`; undefined means equal to `disconnectAfterInSeconds` (one invocation a connection). */
  readonly refreshSeconds: number | undefined;
  /** Tokens whose verified signature is remembered (0: none). */
  readonly verifiedCacheEntries: number;
  /** false: allows are not logged at INFO, only denies. */
  readonly logAllows: boolean;
  /** The revocation table, if revocation is on. */
  readonly revocation: RevocationConfig | undefined;
  /** At least one; several only with JWT_ISSUERS or JWT_ISSUERS_FILE, each with its own `issuer`. */
  readonly profiles: readonly Profile[];
}

// Time claims are checked by their own settings; EMQX's verify_claims refuses them too.
const RESERVED_CLAIMS = new Set(['exp', 'nbf', 'iat']);

// Claims the authorizer reads for their registered meaning: none of them can also carry rules.
const REGISTERED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti'];

/**
 * Parses and validates the JWT_* environment once, at cold start.
 * @throws ConfigError listing every problem, each naming its variable.
 */
export function parseConfig(env: Env): Config {
  const read = new EnvReader(env);
  read.rejectUnknown('JWT_', SETTING_NAMES);
  const fetchTimeoutMs = read.integer('JWT_FETCH_TIMEOUT_MS', 1500, 50, 4000);
  const profiles = readProfiles(read, env);
  const config: Config = {
    tokenFrom: readTokenSources(read),
    fetchTimeoutMs,
    refreshSeconds: read.integer('JWT_REFRESH_SECONDS', undefined, IOT_MIN_SECONDS, IOT_MAX_SECONDS),
    verifiedCacheEntries: read.integer('JWT_VERIFIED_CACHE_ENTRIES', 2000, 0, 1_000_000),
    logAllows: read.boolean('JWT_LOG_ALLOWS', true),
    revocation: readRevocation(read),
    profiles,
  };
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return Object.freeze(config);
}

/** The per-issuer settings, as JWT_* variables (a profile's keys are their camelCase names without the prefix). */
export const PROFILE_SETTINGS: ReadonlySet<string> = new Set([
  'JWT_ALGORITHMS', 'JWT_SECRET_ID', 'JWT_SECRET_FORMAT', 'JWT_SECRET_CACHE_SECONDS', 'JWT_SECRET_ACCEPT_PREVIOUS',
  'JWT_PUBLIC_KEY', 'JWT_JWKS', 'JWT_JWKS_URL', 'JWT_JWKS_REFRESH_SECONDS', 'JWT_JWKS_HEADERS', 'JWT_JWKS_ALLOW_HTTP',
  'JWT_JWKS_AUTH_SECRET_ID', 'JWT_JWKS_CA', 'JWT_JWKS_CLIENT_CERT_SECRET_ID', 'JWT_KEY_REFETCH_COOLDOWN_SECONDS',
  'JWT_CLOCK_SKEW_SECONDS', 'JWT_REQUIRE_EXP', 'JWT_MAX_AGE_SECONDS', 'JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_VERIFY_CLAIMS',
  'JWT_ALLOW_SHORT_LIVED', 'JWT_ACL_CLAIM', 'JWT_PUB_RULES_CLAIM', 'JWT_SUB_RULES_CLAIM', 'JWT_DEFAULT_ACL', 'JWT_BASE_ACL',
]);

/** Every JWT_* setting the function reads: the per-issuer ones, and the function's own (the CDK app maps its context keys onto these). */
export const SETTING_NAMES: ReadonlySet<string> = new Set([
  ...PROFILE_SETTINGS,
  'JWT_FROM', 'JWT_FETCH_TIMEOUT_MS', 'JWT_REFRESH_SECONDS', 'JWT_VERIFIED_CACHE_ENTRIES', 'JWT_LOG_ALLOWS', 'JWT_ISSUERS', 'JWT_ISSUERS_FILE',
  'JWT_REVOCATION_TABLE', 'JWT_REVOCATION_CACHE_SECONDS', 'JWT_REVOCATION_FAILURE',
]);

/**
 * One issuer's settings from JWT_* variables (the environment, or a profile rewritten as variables).
 * Problems are reported through `read`, naming the variable.
 */
export function readProfile(read: EnvReader, issuer: string | undefined, roles: RoleRules | undefined): Profile {
  const algorithms = readAlgorithms(read);
  const secretsManager = readSecretsManager(read);
  const staticKeys = [...readPublicKey(read, algorithms), ...readInlineJwks(read, algorithms)];
  const jwksUrl = readJwksUrl(read);
  if (secretsManager === undefined && staticKeys.length === 0 && jwksUrl === undefined && read.problems.length === 0) {
    read.problem('JWT_SECRET_ID', 'no key source: set JWT_SECRET_ID, JWT_PUBLIC_KEY, JWT_JWKS or JWT_JWKS_URL');
  }
  const verifyClaims = readVerifyClaims(read);
  return {
    issuer,
    algorithms,
    secretsManager,
    staticKeys,
    jwksUrl,
    keyRefetchCooldownSeconds: read.integer('JWT_KEY_REFETCH_COOLDOWN_SECONDS', 1, 0, 86_400),
    clockSkewSeconds: read.integer('JWT_CLOCK_SKEW_SECONDS', 30, 0, 3600),
    requireExp: read.boolean('JWT_REQUIRE_EXP', true),
    maxAgeSeconds: read.integer('JWT_MAX_AGE_SECONDS', undefined, 1, 10 * 365 * 86_400),
    issuers: issuer !== undefined ? [issuer] : read.list('JWT_ISSUER'),
    audiences: read.list('JWT_AUDIENCE'),
    verifyClaims,
    allowShortLived: read.boolean('JWT_ALLOW_SHORT_LIVED', false),
    ruleClaims: readRuleClaims(read, verifyClaims),
    defaultAcl: readAcl(read, 'JWT_DEFAULT_ACL'),
    baseAcl: readAcl(read, 'JWT_BASE_ACL') ?? [],
    roles,
  };
}

const RULE_CLAIM_SETTINGS = [
  ['acl', 'JWT_ACL_CLAIM', 'acl'], ['pubRules', 'JWT_PUB_RULES_CLAIM', 'pub_rules'], ['subRules', 'JWT_SUB_RULES_CLAIM', 'sub_rules'],
] as const;

// A rule claim that is also read for another purpose would make every token's rules invalid (or its other
// check meaningless): refuse it here rather than deny every device.
function readRuleClaims(read: EnvReader, verifyClaims: ClaimExpectations): RuleClaimNames {
  const names = { acl: 'acl', pubRules: 'pub_rules', subRules: 'sub_rules' };
  const taken = new Map<string, string>();
  for (const [field, variable, fallback] of RULE_CLAIM_SETTINGS) {
    const name = read.raw(variable)?.trim() ?? fallback;
    names[field] = name;
    if (REGISTERED_CLAIMS.includes(name)) read.problem(variable, `"${name}" is a registered claim the authorizer reads for itself`);
    else if (Object.hasOwn(verifyClaims, name)) read.problem(variable, `"${name}" is checked by JWT_VERIFY_CLAIMS`);
    else if (taken.has(name)) read.problem(variable, `"${name}" is already the claim of ${taken.get(name)}`);
    taken.set(name, variable);
  }
  return names;
}

function readAlgorithms(read: EnvReader): ReadonlySet<string> {
  const listed = read.list('JWT_ALGORITHMS');
  if (listed === undefined) return DEFAULT_ALGORITHMS;
  const unknown = listed.filter((alg) => !SUPPORTED_ALGORITHMS.includes(alg));
  if (unknown.length > 0) {
    read.problem('JWT_ALGORITHMS', `unsupported ${unknown.join(', ')} (supported: ${SUPPORTED_ALGORITHMS.join(', ')})`);
  }
  return new Set(listed.filter((alg) => SUPPORTED_ALGORITHMS.includes(alg)));
}

function readSecretsManager(read: EnvReader): SecretsManagerConfig | undefined {
  const secretId = read.raw('JWT_SECRET_ID')?.trim();
  const format = read.oneOf('JWT_SECRET_FORMAT', SECRET_FORMATS, 'auto');
  const cacheSeconds = read.integer('JWT_SECRET_CACHE_SECONDS', 300, 0, 86_400);
  const acceptPrevious = read.boolean('JWT_SECRET_ACCEPT_PREVIOUS', true);
  if (secretId === undefined) {
    for (const name of ['JWT_SECRET_FORMAT', 'JWT_SECRET_CACHE_SECONDS', 'JWT_SECRET_ACCEPT_PREVIOUS']) {
      if (read.raw(name) !== undefined) read.problem(name, 'set, but JWT_SECRET_ID is not');
    }
    return undefined;
  }
  if (secretId.length > 2048) read.problem('JWT_SECRET_ID', 'longer than 2048 characters');
  return { secretId, format, cacheSeconds, acceptPrevious };
}

function readPublicKey(read: EnvReader, algorithms: ReadonlySet<string>): TrustedKey[] {
  const pem = read.raw('JWT_PUBLIC_KEY');
  if (pem === undefined) return [];
  try {
    // Environment variables often carry PEM newlines as a literal "\n".
    return keysFromPem(pem.replaceAll('\\n', '\n'), 'JWT_PUBLIC_KEY', algorithms);
  } catch (err) {
    read.problem('JWT_PUBLIC_KEY', err instanceof KeyMaterialError ? err.message : 'does not parse');
    return [];
  }
}

function readInlineJwks(read: EnvReader, algorithms: ReadonlySet<string>): TrustedKey[] {
  const jwks = read.json('JWT_JWKS');
  if (jwks === undefined) return [];
  try {
    const { keys, skipped } = keysFromJwks(jwks, 'JWT_JWKS', { allowSymmetric: false, allowed: algorithms });
    const secret = skipped.filter((s) => s.secretMaterial);
    if (secret.length > 0) {
      read.problem('JWT_JWKS', `${secret.map((s) => `key ${s.index} ${s.reason}`).join('; ')}: ` +
        'only public keys belong in the environment; keep HMAC secrets in Secrets Manager (JWT_SECRET_ID)');
    } else if (keys.length === 0) {
      read.problem('JWT_JWKS', `no usable key (${skipped.map((s) => `key ${s.index}: ${s.reason}`).join('; ') || 'empty'})`);
    }
    return keys;
  } catch (err) {
    read.problem('JWT_JWKS', err instanceof KeyMaterialError ? err.message : 'does not parse');
    return [];
  }
}

function readJwksUrl(read: EnvReader): JwksUrlConfig | undefined {
  const url = read.url('JWT_JWKS_URL', ['https:', 'http:']);
  const allowHttp = read.boolean('JWT_JWKS_ALLOW_HTTP', false);
  if (url?.protocol === 'http:' && !allowHttp && !isLocalOrPrivate(url.hostname)) {
    read.problem('JWT_JWKS_URL', `plain http:// only for localhost, loopback and private-range addresses, not "${url.hostname}": ` +
      'use https://, or set JWT_JWKS_ALLOW_HTTP=true for a host on a private network');
  }
  const refreshSeconds = read.integer('JWT_JWKS_REFRESH_SECONDS', 300, 1, 86_400);
  const headers = read.stringMap('JWT_JWKS_HEADERS') ?? {};
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    const problem = headerProblem(name, value);
    if (problem !== undefined) {
      read.problem('JWT_JWKS_HEADERS', problem);
    } else if (seen.has(lower)) {
      // fetch would merge them into one "a, b" value: say which was meant.
      read.problem('JWT_JWKS_HEADERS', `header "${name}" is given twice (names compare without case)`);
    }
    seen.add(lower);
  }
  const authSecretId = read.raw('JWT_JWKS_AUTH_SECRET_ID')?.trim();
  const clientCertSecretId = read.raw('JWT_JWKS_CLIENT_CERT_SECRET_ID')?.trim();
  const ca = readCaBundle(read);
  if (url === undefined) {
    for (const name of ['JWT_JWKS_REFRESH_SECONDS', 'JWT_JWKS_HEADERS', 'JWT_JWKS_ALLOW_HTTP', 'JWT_JWKS_AUTH_SECRET_ID', 'JWT_JWKS_CA', 'JWT_JWKS_CLIENT_CERT_SECRET_ID']) {
      if (read.raw(name) !== undefined) read.problem(name, 'set, but JWT_JWKS_URL is not');
    }
    return undefined;
  }
  if ((ca !== undefined || clientCertSecretId !== undefined) && url.protocol !== 'https:') {
    read.problem(ca !== undefined ? 'JWT_JWKS_CA' : 'JWT_JWKS_CLIENT_CERT_SECRET_ID', 'needs an https:// JWT_JWKS_URL');
  }
  return { url, refreshSeconds, headers, authSecretId, ca, clientCertSecretId };
}

// Keys fetched over plain http can be swapped by anyone on the path: only where the path cannot leave the
// host or a private network. The URL parser has already normalised the host (`0x7f.1` is `127.0.0.1`).
const PRIVATE_IPV4 = /^(?:127\.\d+|10\.\d+|172\.(?:1[6-9]|2\d|3[01])|192\.168)\.\d+\.\d+$/;
const PRIVATE_IPV6 = /^\[(?:::1|f[cd][0-9a-f]{2}:[0-9a-f:]*)\]$/;

function isLocalOrPrivate(hostname: string): boolean {
  return hostname === 'localhost' || PRIVATE_IPV4.test(hostname) || PRIVATE_IPV6.test(hostname);
}

function readRevocation(read: EnvReader): RevocationConfig | undefined {
  const table = read.raw('JWT_REVOCATION_TABLE')?.trim();
  const cacheSeconds = read.integer('JWT_REVOCATION_CACHE_SECONDS', 30, 0, 3600);
  const onFailure = read.oneOf('JWT_REVOCATION_FAILURE', ['deny', 'allow'], 'deny');
  if (table === undefined) {
    for (const name of ['JWT_REVOCATION_CACHE_SECONDS', 'JWT_REVOCATION_FAILURE']) {
      if (read.raw(name) !== undefined) read.problem(name, 'set, but JWT_REVOCATION_TABLE is not');
    }
    return undefined;
  }
  // DynamoDB table names: 3 to 255 of letters, digits, _ . - (or a table ARN).
  if (!/^(?:[\w.-]{3,255}|arn:aws[\w-]*:dynamodb:[\w-]+:\d{12}:table\/[\w.-]{3,255})$/.test(table)) {
    read.problem('JWT_REVOCATION_TABLE', `not a DynamoDB table name or ARN: "${table}"`);
  }
  return { table, cacheSeconds, onFailure };
}

// Certificates, checked at cold start: a CA that does not parse would fail every fetch.
function readCaBundle(read: EnvReader): string | undefined {
  const raw = read.raw('JWT_JWKS_CA');
  if (raw === undefined) return undefined;
  const pem = raw.replaceAll('\\n', '\n');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) read.problem('JWT_JWKS_CA', 'no PEM certificate found (-----BEGIN CERTIFICATE-----)');
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      read.problem('JWT_JWKS_CA', 'a certificate does not parse');
    }
  }
  return pem;
}

function readAcl(read: EnvReader, name: string): RuleTemplate[] | undefined {
  const json = read.json(name);
  return json === undefined ? undefined : readRules(read, name, json);
}

/** A rule set in any form, or undefined with the problem reported at `place` (a variable, or a profile's key). */
export function readRules(read: EnvReader, place: string, value: unknown): RuleTemplate[] | undefined {
  try {
    return rulesFromJson(value, place);
  } catch (err) {
    if (!(err instanceof Denied)) throw err;
    read.problem(place, `${String(err.detail.rule)}: ${String(err.detail.why)}`);
    return undefined;
  }
}

function readVerifyClaims(read: EnvReader): ClaimExpectations {
  const claims = read.json('JWT_VERIFY_CLAIMS');
  if (claims === undefined) return {};
  if (!isPlainObject(claims)) {
    read.problem('JWT_VERIFY_CLAIMS', 'expected a JSON object of claim name to expected value');
    return {};
  }
  for (const [name, value] of Object.entries(claims)) {
    if (name === '' || RESERVED_CLAIMS.has(name)) {
      read.problem('JWT_VERIFY_CLAIMS', `"${name}" cannot be checked here (time claims have their own settings)`);
    } else if (!['string', 'number', 'boolean'].includes(typeof value)) {
      read.problem('JWT_VERIFY_CLAIMS', `"${name}": expected a string, number or boolean`);
    }
  }
  return Object.freeze({ ...(claims as Record<string, string | number | boolean>) });
}
