// With no key source configured, the local tools trust the development key, served as a JWKS endpoint.
import { devJwks, loadDevKey, type DevKey } from './dev-key.ts';
import { randomBytes } from 'node:crypto';
import { createDevPki } from './dev-pki.ts';
import { startJwksServer, type JwksServer } from './jwks-server.ts';
import { startSecretsManager } from './secrets-manager-emulator.ts';

const KEY_SOURCES = ['JWT_SECRET_ID', 'JWT_PUBLIC_KEY', 'JWT_JWKS', 'JWT_JWKS_URL', 'JWT_ISSUERS', 'JWT_ISSUERS_FILE'];

/** Whether the environment names no key source, so the development key should be used. */
export function needsDevKey(env: NodeJS.ProcessEnv = process.env): boolean {
  return KEY_SOURCES.every((name) => !env[name]);
}

export interface DevKeySource {
  readonly key: DevKey;
  readonly jwks: JwksServer;
  /** What the JWKS endpoint demands (LOCAL_JWKS_AUTH), and the Secrets Manager stand-in holding the credentials. */
  readonly auth: readonly string[];
  close(): Promise<void>;
}

const AUTH_MODES = ['basic', 'mtls'];

/**
 * Serves the development key's JWKS on 127.0.0.1 and points JWT_JWKS_URL at it. LOCAL_JWKS_AUTH=basic,mtls
 * makes the endpoint demand what a private identity provider would, for real: HTTPS with a CA made on the
 * spot (JWT_JWKS_CA), HTTP Basic credentials and a client certificate, both in a local Secrets Manager
 * (JWT_JWKS_AUTH_SECRET_ID, JWT_JWKS_CLIENT_CERT_SECRET_ID).
 */
export async function serveDevKey(): Promise<DevKeySource> {
  const key = await loadDevKey();
  const auth = (process.env.LOCAL_JWKS_AUTH ?? '').split(',').map((m) => m.trim()).filter(Boolean);
  const unknown = auth.filter((mode) => !AUTH_MODES.includes(mode));
  if (unknown.length > 0) throw new Error(`LOCAL_JWKS_AUTH: ${unknown.join(', ')} (expected basic, mtls or both)`);
  if (auth.length === 0) {
    const jwks = await startJwksServer({ json: JSON.parse(devJwks(key)) });
    process.env.JWT_JWKS_URL = jwks.url.href;
    return { key, jwks, auth, close: () => jwks.close() };
  }
  const pki = createDevPki();
  const sm = await startSecretsManager();
  const basic = auth.includes('basic') ? { username: 'jwks-reader', password: randomBytes(12).toString('base64url') } : undefined;
  const client = auth.includes('mtls') ? pki.client('iot-jwt-authorizer') : undefined;
  const jwks = await startJwksServer({ json: JSON.parse(devJwks(key)) }, {
    ...(basic && { basicAuth: basic }), tls: { ...pki.server(), ...(client && { clientCa: pki.ca.cert }) },
  });
  Object.assign(process.env, { JWT_JWKS_URL: jwks.url.href, JWT_JWKS_CA: pki.ca.cert, AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint });
  if (basic) {
    sm.put('local/jwks-credentials', JSON.stringify(basic));
    process.env.JWT_JWKS_AUTH_SECRET_ID = 'local/jwks-credentials';
  }
  if (client) {
    sm.put('local/jwks-client-cert', JSON.stringify(client));
    process.env.JWT_JWKS_CLIENT_CERT_SECRET_ID = 'local/jwks-client-cert';
  }
  return { key, jwks, auth, close: async () => { await jwks.close(); await sm.close(); } };
}
