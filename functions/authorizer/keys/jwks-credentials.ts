import type { JwksUrlConfig } from '../config/config.ts';
import { isPlainObject } from '../config/env-reader.ts';
import { parseStrictJson } from '../config/strict-json.ts';
import { headerProblem, type TlsOptions } from './http-get.ts';
import { KeyMaterialError } from './key-material.ts';
import { describeLoadFailure } from './load-failure.ts';
import { readSecretText } from './secrets-manager.ts';

/** What a JWKS request carries besides the configured headers: credentials, a CA, a client certificate. */
export interface JwksCredentials {
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: TlsOptions;
}

/**
 * Reads the endpoint's credentials from Secrets Manager (they never sit in an environment variable):
 * `{"username","password"}` becomes HTTP Basic, `{"headers":{…}}` extra headers, and `{"cert","key"}` the
 * client certificate for mutual TLS. Errors name the setting and the cause, never a value.
 * @throws KeyMaterialError
 */
export async function loadJwksCredentials(config: JwksUrlConfig, timeoutMs: number): Promise<JwksCredentials> {
  const headers: Record<string, string> = {};
  const tls: { ca?: string; cert?: string; key?: string } = config.ca === undefined ? {} : { ca: config.ca };
  if (config.authSecretId !== undefined) {
    const auth = await readJson(config.authSecretId, 'JWT_JWKS_AUTH_SECRET_ID', timeoutMs);
    if (typeof auth.username === 'string' && typeof auth.password === 'string') {
      headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    } else if (isPlainObject(auth.headers) && Object.values(auth.headers).every((v) => typeof v === 'string')) {
      for (const [name, value] of Object.entries(auth.headers as Record<string, string>)) {
        const problem = headerProblem(name, value);
        if (problem !== undefined) throw new KeyMaterialError(`JWT_JWKS_AUTH_SECRET_ID: ${problem.replace(/^header "[^"]*"/, 'a header')}`);
        headers[name.toLowerCase()] = value;
      }
    } else {
      throw new KeyMaterialError('JWT_JWKS_AUTH_SECRET_ID: the secret is neither {"username","password"} nor {"headers":{…}}');
    }
  }
  if (config.clientCertSecretId !== undefined) {
    const pair = await readJson(config.clientCertSecretId, 'JWT_JWKS_CLIENT_CERT_SECRET_ID', timeoutMs);
    if (typeof pair.cert !== 'string' || typeof pair.key !== 'string') {
      throw new KeyMaterialError('JWT_JWKS_CLIENT_CERT_SECRET_ID: the secret is not {"cert": PEM, "key": PEM}');
    }
    tls.cert = pair.cert;
    tls.key = pair.key;
  }
  return { headers, tls };
}

async function readJson(secretId: string, setting: string, timeoutMs: number): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readSecretText(secretId, timeoutMs);
  } catch (err) {
    throw new KeyMaterialError(`${setting} could not be read: ${describeLoadFailure(err)}`);
  }
  let value: unknown;
  try {
    value = parseStrictJson(text);
  } catch {
    throw new KeyMaterialError(`${setting}: the secret is not a JSON object`);
  }
  if (!isPlainObject(value)) throw new KeyMaterialError(`${setting}: the secret is not a JSON object`);
  return value;
}
