// The CDK app's settings, from CDK context (cdk.json or `-c key=value`), validated at synth time.
import { ConfigError, parseConfig, SETTING_NAMES } from '../functions/authorizer/config/config.ts';
import { EnvReader } from '../functions/authorizer/config/env-reader.ts';
import { camelKeyOf } from '../functions/authorizer/config/profiles.ts';
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';

// Set by the stack from the resources it makes or imports, not by context directly.
const SET_BY_STACK = new Set(['JWT_SECRET_ID', 'JWT_REVOCATION_TABLE', 'JWT_ISSUERS_FILE']);
// Each setting's context key is its camelCase name (`JWT_JWKS_URL` → `jwksUrl`), as in issuer profiles.
const FUNCTION_KEYS = new Map([...SETTING_NAMES].filter((v) => !SET_BY_STACK.has(v)).map((v) => [camelKeyOf(v), v]));

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
// CloudWatch Logs' allowed retention periods, in days.
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const INFRA_KEYS = new Set([
  'secretArn', 'secretKmsKeyArn', 'createSecret', 'authorizerName', 'logRetentionDays', 'logLevel', 'alarmTopicArn',
  'defaultAuthorizer', 'memorySize', 'reservedConcurrency', 'provisionedConcurrency', 'denyAlarmThreshold', 'retainSecret',
  'revocation', 'revocationTableName', 'issuersFile', 'tokenKeyName', 'tokenSigningPublicKeys',
]);

export type SecretSetting =
  | { readonly mode: 'create'; readonly retain: boolean }
  | { readonly mode: 'import'; readonly arn: string; readonly kmsKeyArn: string | undefined }
  | { readonly mode: 'none' };

export type RevocationSetting =
  | { readonly mode: 'create' }
  | { readonly mode: 'import'; readonly tableName: string }
  | { readonly mode: 'none' };

export interface InfraSettings {
  /** JWT_* variables for the function (JWT_SECRET_ID is added from the secret). */
  readonly environment: Readonly<Record<string, string>>;
  readonly secret: SecretSetting;
  /** The revocation table: created (`revocation=true`), imported by name, or none. */
  readonly revocation: RevocationSetting;
  /** Issuer profiles from `issuersFile`: shipped in the deployable folder as `issuers.json`. */
  readonly issuersFile: { readonly path: string; readonly text: string } | undefined;
  /** Further Secrets Manager secrets the function reads (profiles' secrets, JWKS credentials), by name or ARN. */
  readonly readSecrets: readonly string[];
  readonly authorizerName: string;
  readonly logRetentionDays: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly alarmTopicArn: string | undefined;
  readonly defaultAuthorizer: boolean;
  readonly memorySize: number;
  readonly reservedConcurrency: number | undefined;
  readonly provisionedConcurrency: number | undefined;
  readonly denyAlarmThreshold: number;
  /**
   * IoT's token signing: IoT reads the token from the header, query parameter or username parameter named
   * `keyName`, checks its RSA-SHA256 signature (`x-amz-customauthorizer-signature`) with one of these public
   * keys, and drops a request that fails before invoking the function.
   */
  readonly tokenSigning: { readonly keyName: string; readonly publicKeys: Readonly<Record<string, string>> } | undefined;
}

/** Raised at synth time; lists every problem, each naming its context key. */
export class SettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid CDK context:\n- ${problems.join('\n- ')}`);
    this.name = 'SettingsError';
  }
}

const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * Reads and validates the settings. Function settings are checked by the function's own parser, so a
 * deploy never ships a configuration the function would refuse at cold start.
 * @param context every context key and value (`app.node.getAllContext()`)
 * @throws SettingsError
 */
export function readSettings(context: Readonly<Record<string, unknown>>): InfraSettings {
  // Context values are typed in cdk.json and text on the command line: read them all as text, with the
  // function's own reader, so that both spell numbers and booleans the same way.
  const read = new EnvReader(Object.fromEntries(Object.entries(context)
    .filter(([, value]) => value !== undefined && value !== null).map(([key, value]) => [key, asText(value)])));
  const problems = read.problems;
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(context)) {
    if (key.includes(':') || key.startsWith('@') || key === 'cli-telemetry' || value === undefined || value === null) continue;
    const variable = FUNCTION_KEYS.get(key);
    if (variable !== undefined) environment[variable] = asText(value);
    else if (key === 'secretId') problems.push('secretId: import a secret with secretArn (its full ARN)');
    else if (key === 'revocationTable') problems.push('revocationTable: use revocation=true (create the table) or revocationTableName (import one)');
    else if (!INFRA_KEYS.has(key)) problems.push(`${key}: unknown context key (a typo?)`);
  }
  const text = (key: string): string | undefined => read.raw(key)?.trim();
  const flag = (key: string): boolean | undefined => (read.raw(key) === undefined ? undefined : read.boolean(key, false));

  const secretArn = text('secretArn');
  if (secretArn !== undefined && !/^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:.+$/.test(secretArn)) {
    problems.push(`secretArn: expected a Secrets Manager secret ARN, got "${secretArn}"`);
  }
  const kmsKeyArn = text('secretKmsKeyArn');
  if (kmsKeyArn !== undefined && secretArn === undefined) problems.push('secretKmsKeyArn: set, but secretArn is not (a created secret uses the AWS managed key)');
  // Profiles name their own key sources: no secret is made for them unless asked.
  const otherKeySource = ['JWT_PUBLIC_KEY', 'JWT_JWKS', 'JWT_JWKS_URL', 'JWT_ISSUERS'].some((v) => environment[v] !== undefined) || text('issuersFile') !== undefined;
  const createSecret = flag('createSecret') ?? (secretArn === undefined && !otherKeySource);
  if (createSecret && secretArn !== undefined) problems.push('createSecret: true, but secretArn imports a secret');
  // The created secret signs every device's token: `cdk destroy` keeps it unless told otherwise.
  const retainSecret = flag('retainSecret') ?? true;
  if (read.raw('retainSecret') !== undefined && !createSecret) problems.push('retainSecret: set, but no secret is created');
  const secret: SecretSetting = secretArn !== undefined ? { mode: 'import', arn: secretArn, kmsKeyArn }
    : createSecret ? { mode: 'create', retain: retainSecret } : { mode: 'none' };

  const revocationTableName = text('revocationTableName');
  const createTable = flag('revocation') ?? false;
  if (createTable && revocationTableName !== undefined) problems.push('revocation: true creates a table, but revocationTableName imports one');
  if (revocationTableName !== undefined && !/^[\w.-]{3,255}$/.test(revocationTableName)) problems.push(`revocationTableName: not a DynamoDB table name: "${revocationTableName}"`);
  const revocation: RevocationSetting = revocationTableName !== undefined ? { mode: 'import', tableName: revocationTableName }
    : createTable ? { mode: 'create' } : { mode: 'none' };

  const issuersPath = text('issuersFile');
  let issuersFile: InfraSettings['issuersFile'];
  if (issuersPath !== undefined) {
    try {
      issuersFile = { path: issuersPath, text: readFileSync(issuersPath, 'utf8') };
    } catch (err) {
      problems.push(`issuersFile: cannot read ${issuersPath} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }

  const authorizerName = text('authorizerName') ?? 'JwtAuthorizer';
  if (!/^[\w=,@-]{1,128}$/.test(authorizerName)) problems.push(`authorizerName: 1 to 128 of letters, digits and _=,@- (got "${authorizerName}")`);
  // A domain configuration is named after the authorizer, and its names allow fewer characters ([\w.-]+).
  const defaultAuthorizer = flag('defaultAuthorizer') ?? false;
  if (defaultAuthorizer && !/^[\w.-]+$/.test(authorizerName)) {
    problems.push(`authorizerName: with defaultAuthorizer, letters, digits and _.- only (it names the domain configuration)`);
  }
  const logRetentionDays = read.integer('logRetentionDays', 30, 1, 3653);
  if (!RETENTION_DAYS.includes(logRetentionDays)) problems.push(`logRetentionDays: one of ${RETENTION_DAYS.join(', ')}`);
  const logLevel = (text('logLevel') ?? 'INFO').toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.push(`logLevel: one of ${LOG_LEVELS.join(', ')}`);
  const alarmTopicArn = text('alarmTopicArn');
  if (alarmTopicArn !== undefined && !/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/.test(alarmTopicArn)) problems.push(`alarmTopicArn: expected an SNS topic ARN, got "${alarmTopicArn}"`);

  const tokenSigning = readTokenSigning(read, problems);

  let readSecrets: string[] = [];
  try {
    // The secret's ARN is only known at deploy time; a stand-in lets the function's parser check the rest.
    const config = parseConfig({
      ...(issuersFile !== undefined && { JWT_ISSUERS: issuersFile.text }),
      ...environment, ...(secret.mode !== 'none' && { JWT_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:stand-in' }),
      ...(revocation.mode !== 'none' && { JWT_REVOCATION_TABLE: 'stand-in-table' }),
    });
    readSecrets = [...new Set(config.profiles.flatMap((p) => [
      ...(p.issuer !== undefined && p.secretsManager ? [p.secretsManager.secretId] : []), p.jwksUrl?.authSecretId, p.jwksUrl?.clientCertSecretId,
    ]).filter((id): id is string => id !== undefined))];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) {
      problems.push(problem.replace(/^JWT_ISSUERS(?=\[)/, 'issuersFile').replace(/^(JWT_[A-Z_]+)(?=:)/, (variable) => `${camelKeyOf(variable)} (${variable})`)
        .replace('set JWT_SECRET_ID, JWT_PUBLIC_KEY, JWT_JWKS or JWT_JWKS_URL', 'give secretArn, createSecret=true, publicKey, jwks or jwksUrl'));
    }
  }
  const settings: InfraSettings = {
    environment: { ...environment, ...(issuersFile !== undefined && { JWT_ISSUERS_FILE: 'issuers.json' }) },
    secret, revocation, issuersFile, readSecrets, authorizerName, logRetentionDays, logLevel: logLevel as InfraSettings['logLevel'], alarmTopicArn,
    defaultAuthorizer,
    memorySize: read.integer('memorySize', 256, 128, 10_240),
    reservedConcurrency: read.integer('reservedConcurrency', undefined, 1, 100_000),
    provisionedConcurrency: read.integer('provisionedConcurrency', undefined, 1, 100_000),
    denyAlarmThreshold: read.integer('denyAlarmThreshold', 100, 1, 100_000_000),
    tokenSigning,
  };
  if (problems.length > 0) throw new SettingsError(problems);
  return settings;
}

/** `tokenKeyName` and `tokenSigningPublicKeys` (a JSON object of key name to PEM), both or neither. */
function readTokenSigning(read: EnvReader, problems: string[]): InfraSettings['tokenSigning'] {
  const keyName = read.raw('tokenKeyName')?.trim();
  const publicKeys = read.stringMap('tokenSigningPublicKeys');
  if (keyName === undefined && publicKeys === undefined) return undefined;
  if (keyName === undefined || publicKeys === undefined) {
    problems.push(`${keyName === undefined ? 'tokenKeyName' : 'tokenSigningPublicKeys'}: token signing needs both tokenKeyName and tokenSigningPublicKeys`);
    return undefined;
  }
  // IoT's limits (CreateAuthorizer): a key name of 1 to 128 letters, digits and _-; up to two public keys.
  if (!/^[a-zA-Z0-9_-]{1,128}$/.test(keyName)) problems.push(`tokenKeyName: 1 to 128 of letters, digits and _- (got "${keyName}")`);
  const entries = Object.entries(publicKeys);
  if (entries.length === 0 || entries.length > 2) problems.push('tokenSigningPublicKeys: one or two keys (two while rotating)');
  for (const [name, pem] of entries) {
    try {
      const key = createPublicKey(pem);
      // IoT verifies RSA-SHA256 signatures with keys of at least 2,048 bits.
      if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
        problems.push(`tokenSigningPublicKeys.${name}: IoT needs an RSA public key of at least 2,048 bits`);
      }
    } catch {
      problems.push(`tokenSigningPublicKeys.${name}: not a PEM public key`);
    }
  }
  return { keyName, publicKeys };
}
