import type { JwksUrlConfig } from '../config.ts';
import { keysFromJwks, KeyMaterialError, type TrustedKey } from './key-material.ts';

/** A key set larger than this is not a key set: refuse it rather than parse it. */
const MAX_JWKS_BYTES = 512 * 1024;

export interface JwksFetchOptions {
  readonly timeoutMs: number;
  readonly allowed: ReadonlySet<string>;
}

/**
 * Fetches and parses the JWKS at `config.url`. Rejects on a timeout, a non-200 answer, a redirect, a body
 * that is not a JWK Set, or a set without a usable key; the caller keeps its last good keys then.
 * Symmetric keys from a URL are public material and never verify anything.
 */
export async function fetchJwks(config: JwksUrlConfig, options: JwksFetchOptions): Promise<readonly TrustedKey[]> {
  const response = await fetch(config.url, {
    headers: { accept: 'application/json, application/jwk-set+json', ...config.headers },
    // A redirect could move the trust anchor to another host: refuse it, as jose's remote JWKS does.
    redirect: 'error',
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new KeyMaterialError(`JWKS endpoint answered HTTP ${response.status}`);
  }
  const text = await readCapped(response, MAX_JWKS_BYTES);
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
