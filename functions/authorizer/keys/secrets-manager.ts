import type { AwsJsonCall } from '../aws/aws-json.ts';
import { lazyAwsJsonClient, SECRETS_MANAGER } from '../aws/clients.ts';
import { decodeStrictBase64 } from '../request/base64.ts';
import type { SecretFormat, SecretsManagerConfig } from '../config/config.ts';
import { hmacKey, keysFromJwks, keysFromPem, KeyMaterialError, type TrustedKey } from './key-material.ts';

export interface SecretsFetchOptions {
  readonly timeoutMs: number;
  readonly allowed: ReadonlySet<string>;
  /** Told why a key in the secret's JWK Set was left out (e.g. a secret too short for every HS algorithm). */
  readonly onSkipped?: (why: string) => void;
}

interface SecretValue {
  readonly text: string | undefined;
  readonly bytes: Uint8Array | undefined;
}

let secretsManager: (() => Promise<AwsJsonCall>) | undefined;

// One client per container, made on the first read (a configuration without JWT_SECRET_ID never loads it):
// GetSecretValue over the JSON protocol with the SDK's signer, HTTP handler and retries (aws/aws-json.ts),
// not the generated client, whose import was most of the cold start of a function that reads its key
// from a secret.
async function getSecret(secretId: string, stage: string, timeoutMs: number): Promise<SecretValue | undefined> {
  secretsManager ??= lazyAwsJsonClient(SECRETS_MANAGER, timeoutMs);
  const call = await secretsManager();
  try {
    const out = await call('GetSecretValue', { SecretId: secretId, VersionStage: stage }, AbortSignal.timeout(timeoutMs)) as { SecretString?: unknown; SecretBinary?: unknown };
    return {
      text: typeof out.SecretString === 'string' ? out.SecretString : undefined,
      // The JSON protocol carries a blob as base64.
      bytes: typeof out.SecretBinary === 'string' ? new Uint8Array(Buffer.from(out.SecretBinary, 'base64')) : undefined,
    };
  } catch (err) {
    // A secret that was never rotated has no AWSPREVIOUS version.
    if (stage !== 'AWSCURRENT' && (err as Error).name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

/**
 * The text of a secret's AWSCURRENT version (credentials for a JWKS endpoint, a client certificate).
 * Rejects when it cannot be read or is binary.
 */
export async function readSecretText(secretId: string, timeoutMs: number): Promise<string> {
  const value = await getSecret(secretId, 'AWSCURRENT', timeoutMs);
  if (value?.text === undefined) throw new KeyMaterialError(`the secret ${secretId} holds no text`);
  return value.text;
}

/**
 * Reads the secret's AWSCURRENT version (and AWSPREVIOUS when accepted) and turns each into keys.
 * Rejects when AWSCURRENT cannot be read or holds nothing usable.
 */
export async function fetchSecretKeys(config: SecretsManagerConfig, options: SecretsFetchOptions): Promise<readonly TrustedKey[]> {
  const stages = config.acceptPrevious ? ['AWSCURRENT', 'AWSPREVIOUS'] : ['AWSCURRENT'];
  const values = await Promise.all(stages.map((stage) => getSecret(config.secretId, stage, options.timeoutMs)));
  const [current, previous] = values;
  if (current === undefined) throw new KeyMaterialError('the secret has no AWSCURRENT value');
  const keys = [...secretKeys(current, config.format, 'JWT_SECRET_ID:AWSCURRENT', options.allowed, options.onSkipped)];
  if (previous !== undefined) {
    try {
      keys.push(...secretKeys(previous, config.format, 'JWT_SECRET_ID:AWSPREVIOUS', options.allowed));
    } catch {
      // An unusable previous version (e.g. another format before a migration) must not block the current one.
    }
  }
  return keys;
}

/** Detects the format of a secret string: a JWK Set or single JWK, a PEM public key, else an HMAC secret. */
export function detectFormat(text: string): Exclude<SecretFormat, 'auto'> {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return 'pem';
  if (trimmed.startsWith('{')) {
    try {
      const json = JSON.parse(trimmed) as Record<string, unknown>;
      if (Array.isArray(json.keys) || typeof json.kty === 'string') return 'jwks';
    } catch {
      // not JSON: a secret that happens to start with "{"
    }
  }
  return 'hmac';
}

/** Turns one version of the secret into keys. Exported for unit tests of the formats. */
export function secretKeys(value: SecretValue, format: SecretFormat, origin: string, allowed: ReadonlySet<string>, onSkipped?: (why: string) => void): TrustedKey[] {
  if (value.text === undefined) {
    if (value.bytes === undefined) throw new KeyMaterialError('the secret is empty');
    if (format !== 'auto' && format !== 'hmac') throw new KeyMaterialError(`a binary secret cannot be ${format}`);
    return hmacKey(value.bytes, origin, allowed);
  }
  const text = value.text;
  const resolved = format === 'auto' ? detectFormat(text) : format;
  switch (resolved) {
    case 'hmac':
      return hmacKey(Buffer.from(text, 'utf8'), origin, allowed);
    case 'hmac-base64': {
      const bytes = decodeStrictBase64(text.trim());
      if (bytes === undefined) throw new KeyMaterialError('JWT_SECRET_FORMAT is hmac-base64 but the secret is not base64');
      return hmacKey(bytes, origin, allowed);
    }
    case 'pem':
      return keysFromPem(text, origin, allowed);
    case 'jwks': {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new KeyMaterialError('JWT_SECRET_FORMAT is jwks but the secret is not JSON');
      }
      const set = typeof (json as { kty?: unknown }).kty === 'string' ? { keys: [json] } : json;
      const { keys, skipped } = keysFromJwks(set, origin, { allowSymmetric: true, allowed });
      const why = skipped.map((s) => `key ${s.index}: ${s.reason}`).join('; ');
      if (keys.length === 0) throw new KeyMaterialError(`the secret's JWK Set has no usable key${why && ` (${why})`}`);
      if (why !== '') onSkipped?.(`${origin} ${why}`);
      return keys;
    }
  }
}
