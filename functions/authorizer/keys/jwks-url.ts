import { createHash } from 'node:crypto';
import type { JwksUrlConfig } from '../config/config.ts';
import { httpGet } from './http-get.ts';
import { loadJwksCredentials, type JwksCredentials } from './jwks-credentials.ts';
import { keysFromJwks, KeyMaterialError, type TrustedKey } from './key-material.ts';

/** A key set larger than this is not a key set: refuse it rather than parse it. */
const MAX_JWKS_BYTES = 512 * 1024;

export interface JwksFetchOptions {
  readonly timeoutMs: number;
  readonly allowed: ReadonlySet<string>;
  /** Least time between two reads of the endpoint's credentials (after a 401 or 403). */
  readonly cooldownMs: number;
  readonly now: () => number;
}

/**
 * A loader for the JWKS at `config.url`: each call fetches it and parses it, unless the endpoint answers
 * 304 to the last ETag or the same bytes as last time, when the keys already imported are kept (an unknown
 * `kid` from anyone then costs one request, not one import of every key). Rejects on a timeout, a non-200
 * answer, a redirect, a body that is not a JWK Set, or a set without a usable key; the caller keeps its last
 * good keys then. Symmetric keys from a URL are public material and never verify anything.
 */
export function createJwksLoader(config: JwksUrlConfig, options: JwksFetchOptions): () => Promise<readonly TrustedKey[]> {
  let last: { digest: string; etag: string | undefined; keys: readonly TrustedKey[] } | undefined;
  let refused: { digest: string; error: unknown } | undefined; // a bad set served again is refused unparsed
  // A header the operator names replaces the default of that name (HTTP names compare without case).
  const headers: Record<string, string> = { accept: 'application/json, application/jwk-set+json', 'user-agent': 'iot-jwt-authorizer' };
  for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = value;
  // Credentials are read with the first fetch and kept; a 401 or 403 reads them again (a rotated password
  // or certificate), at most once per cooldown.
  const withCredentials = config.authSecretId !== undefined || config.clientCertSecretId !== undefined || config.ca !== undefined;
  let credentials: { value: Promise<JwksCredentials>; at: number } | undefined;
  const credentialsNow = (): Promise<JwksCredentials> => {
    if (credentials === undefined) {
      const value = loadJwksCredentials(config, options.timeoutMs);
      credentials = { value, at: options.now() };
      value.catch(() => { if (credentials?.value === value) credentials = undefined; });
    }
    return credentials.value;
  };
  const get = async () => {
    const extra = withCredentials ? await credentialsNow() : { headers: {}, tls: {} };
    return httpGet(config.url, { ...headers, ...extra.headers, ...(last?.etag !== undefined && { 'if-none-match': last.etag }) }, {
      timeoutMs: options.timeoutMs, maxBytes: MAX_JWKS_BYTES,
    }, extra.tls);
  };
  return async () => {
    let answer = await get();
    if ((answer.status === 401 || answer.status === 403) && withCredentials && options.now() - credentials!.at >= options.cooldownMs) {
      credentials = undefined;
      answer = await get();
    }
    if (answer.status === 304 && last !== undefined) return last.keys;
    // A redirect could move the trust anchor to another host: it is never followed, as jose's remote JWKS.
    if (answer.status !== 200) throw new KeyMaterialError(`JWKS endpoint answered HTTP ${answer.status}`);
    const etag = typeof answer.headers.etag === 'string' ? answer.headers.etag : undefined;
    const digest = createHash('sha256').update(answer.body).digest('base64');
    if (last?.digest === digest) {
      last.etag = etag;
      return last.keys;
    }
    if (refused?.digest === digest) throw refused.error;
    try {
      const keys = parseJwks(answer.body.toString('utf8'), options);
      last = { digest, etag, keys };
      return keys;
    } catch (error) {
      refused = { digest, error };
      throw error;
    }
  };
}

function parseJwks(text: string, options: JwksFetchOptions): readonly TrustedKey[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new KeyMaterialError('JWKS endpoint answered something that is not JSON');
  }
  const { keys, skipped } = keysFromJwks(body, 'JWT_JWKS_URL', { allowSymmetric: false, allowed: options.allowed });
  if (keys.length === 0) {
    throw new KeyMaterialError(`JWKS has no usable key (${skipped.map((s) => `key ${s.index}: ${s.reason}`).join('; ') || 'empty'})`);
  }
  return keys;
}
