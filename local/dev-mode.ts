// With no key source configured, the local tools trust the development key, served as a JWKS endpoint.
import { devJwks, loadDevKey, type DevKey } from './dev-key.ts';
import { startJwksServer, type JwksServer } from './jwks-server.ts';

const KEY_SOURCES = ['JWT_SECRET_ID', 'JWT_PUBLIC_KEY', 'JWT_JWKS', 'JWT_JWKS_URL'];

/** Whether the environment names no key source, so the development key should be used. */
export function needsDevKey(env: NodeJS.ProcessEnv = process.env): boolean {
  return KEY_SOURCES.every((name) => !env[name]);
}

export interface DevKeySource {
  readonly key: DevKey;
  readonly jwks: JwksServer;
}

/** Serves the development key's JWKS on 127.0.0.1 and points JWT_JWKS_URL at it. */
export async function serveDevKey(): Promise<DevKeySource> {
  const key = await loadDevKey();
  const jwks = await startJwksServer({ json: JSON.parse(devJwks(key)) });
  process.env.JWT_JWKS_URL = jwks.url.href;
  return { key, jwks };
}
