import { createHash } from 'node:crypto';
import type { JwksUrlConfig } from '../config.ts';
import { keysFromJwks, KeyMaterialError, type TrustedKey } from './key-material.ts';

/** A key set larger than this is not a key set: refuse it rather than parse it. */
const MAX_JWKS_BYTES = 512 * 1024;

export interface JwksFetchOptions {
  readonly timeoutMs: number;
  readonly allowed: ReadonlySet<string>;
}

/**
 * A loader for the JWKS at `config.url`: each call fetches it and parses it, unless the endpoint answers
 * 304 to the last ETag or the same bytes as last time, when the keys already imported are kept (an unknown
 * `kid` from anyone then costs one request, not one import of every key). Rejects on a timeout, a non-200
 * answer, a redirect, a body that is not a JWK Set, or a set without a usable key; the caller keeps its last
 * good keys then. Symmetric keys from a URL are public material and never verify anything.
 */
export function createJwksLoader(config: JwksUrlConfig, options: JwksFetchOptions): () => Promise<readonly TrustedKey[]> {
  let last: { digest: string; etag: string | null; keys: readonly TrustedKey[] } | undefined;
  let refused: { digest: string; error: unknown } | undefined; // a bad set served again is refused unparsed
  return async () => {
    const response = await fetch(config.url, {
      headers: { accept: 'application/json, application/jwk-set+json', ...config.headers, ...(last?.etag && { 'if-none-match': last.etag }) },
      // A redirect could move the trust anchor to another host: refuse it, as jose's remote JWKS does.
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (response.status === 304 && last !== undefined) return last.keys;
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new KeyMaterialError(`JWKS endpoint answered HTTP ${response.status}`);
    }
    const text = await readCapped(response, MAX_JWKS_BYTES);
    const digest = createHash('sha256').update(text).digest('base64');
    if (last?.digest === digest) {
      last.etag = response.headers.get('etag');
      return last.keys;
    }
    if (refused?.digest === digest) throw refused.error;
    try {
      const keys = parseJwks(text, options);
      last = { digest, etag: response.headers.get('etag'), keys };
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
  const { keys, skipped } = keysFromJwks(body, 'jwks-url', { allowSymmetric: false, allowed: options.allowed });
  if (keys.length === 0) {
    throw new KeyMaterialError(`JWKS has no usable key (${skipped.map((s) => `key ${s.index}: ${s.reason}`).join('; ') || 'empty'})`);
  }
  return keys;
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new KeyMaterialError(`JWKS larger than ${maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new KeyMaterialError(`JWKS larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
