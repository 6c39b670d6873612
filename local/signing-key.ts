// Where `npx iot-jwt-authorizer token` gets its signing key: the development key, or the user's own secret
// (Secrets Manager or a file, read as the function reads it) or PEM private key.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { importJWK } from 'jose';
import { SECRET_FORMATS, type SecretFormat } from '../functions/authorizer/config/config.ts';
import { algorithmsForKey } from '../functions/authorizer/keys/algorithms.ts';
import { secretKeys } from '../functions/authorizer/keys/secrets-manager.ts';
import { loadDevKey } from './dev-key.ts';

export interface SigningKey {
  readonly key: KeyObject | Awaited<ReturnType<typeof importJWK>>;
  readonly alg: string;
  readonly kid: string | undefined;
  /** Where it came from, for the user. */
  readonly origin: string;
}

export interface SigningKeyOptions {
  readonly secretId?: string;
  readonly secretFile?: string;
  readonly privateKey?: string;
  /** How to read a secret: as JWT_SECRET_FORMAT (auto, hmac, hmac-base64, jwks). */
  readonly secretFormat?: string;
  readonly alg?: string;
  readonly kid?: string;
}

/** A problem with the user's choice of key, said in one line. */
export class SigningKeyError extends Error {
  override name = 'SigningKeyError';
}

/** The key to sign with, from at most one of --secret-id, --secret-file and --private-key; else the development key. */
export async function signingKeyFrom(options: SigningKeyOptions): Promise<SigningKey> {
  const given = [options.secretId, options.secretFile, options.privateKey].filter((o) => o !== undefined);
  if (given.length > 1) throw new SigningKeyError('give one of --secret-id, --secret-file and --private-key');
  if (options.privateKey !== undefined) return fromPrivateKey(options.privateKey, options);
  if (options.secretId !== undefined) {
    const text = await readSecretsManager(options.secretId);
    return fromSecret(text, `Secrets Manager secret ${options.secretId} (AWSCURRENT)`, options);
  }
  if (options.secretFile !== undefined) return fromSecret(asSecretValue(readFile(options.secretFile)), options.secretFile, options);
  const dev = await loadDevKey();
  return { key: await importJWK(dev.privateJwk, 'ES256'), alg: 'ES256', kid: dev.privateJwk.kid, origin: 'the development key (.dev/dev-key.json)' };
}

function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new SigningKeyError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

// A file holds what Secrets Manager would hold as SecretString when it is text, else as SecretBinary.
function asSecretValue(bytes: Buffer): string | Uint8Array {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes;
  }
}

// The user's own AWS credentials (profile, SSO, environment), as the AWS CLI would use them.
async function readSecretsManager(secretId: string): Promise<string | Uint8Array> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  try {
    const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId }));
    const value = out.SecretString ?? out.SecretBinary;
    if (value === undefined) throw new SigningKeyError(`the secret ${secretId} is empty`);
    return value;
  } catch (err) {
    if (err instanceof SigningKeyError) throw err;
    throw new SigningKeyError(`cannot read the secret ${secretId}: ${(err as Error).name}: ${(err as Error).message}`);
  }
}

function fromSecret(value: string | Uint8Array, origin: string, options: SigningKeyOptions): SigningKey {
  const format = (options.secretFormat ?? process.env.JWT_SECRET_FORMAT ?? 'auto') as SecretFormat;
  if (!SECRET_FORMATS.includes(format)) throw new SigningKeyError(`--secret-format: one of ${SECRET_FORMATS.join(', ')}`);
  const alg = options.alg ?? 'HS256';
  // The function's own reading of a secret: the key minted with is the key the function will verify with.
  const secret = typeof value === 'string' ? { text: value, bytes: undefined } : { text: undefined, bytes: value };
  let keys;
  try {
    keys = secretKeys(secret, format, origin, new Set([alg]));
  } catch (err) {
    throw new SigningKeyError(`${origin}: ${(err as Error).message} (for ${alg})`);
  }
  const key = keys.find((k) => k.key.type === 'secret' && (options.kid === undefined || k.kid === options.kid));
  if (key === undefined) throw new SigningKeyError(`${origin} holds no HMAC secret${options.kid ? ` with kid ${options.kid}` : ''} that can sign ${alg}`);
  return { key: key.key, alg, kid: options.kid ?? key.kid, origin };
}

function fromPrivateKey(path: string, options: SigningKeyOptions): SigningKey {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFile(path));
  } catch (err) {
    if (err instanceof SigningKeyError) throw err;
    throw new SigningKeyError(`${path} is not a PEM private key`);
  }
  const usable = algorithmsForKey(key).filter((a) => a !== 'Ed25519');
  const alg = options.alg ?? usable[0];
  if (alg === undefined || !usable.includes(alg)) throw new SigningKeyError(`${path}: a ${key.asymmetricKeyType} key signs ${usable.join(', ') || 'nothing here'}, not ${alg}`);
  return { key, alg, kid: options.kid, origin: path };
}
