// The development CA and the local broker's server certificate, kept in .dev/ (git-ignored) like the
// development key, so that a device or SDK configured with .dev/ca.pem keeps trusting the broker across runs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevPki } from './dev-pki.ts';

export const DEV_DIR = fileURLToPath(new URL('../.dev/', import.meta.url));

export interface DevTls {
  /** The CA file a client trusts: `.dev/ca.pem`. */
  readonly caFile: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

const DAY_MS = 86_400_000;

/** Loads the CA and server certificate from `dir`, making them when missing or within a day of expiring. */
export function loadDevTls(dir = DEV_DIR): DevTls {
  const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server-key.pem') };
  const usable = Object.values(files).every((f) => existsSync(f))
    && Date.parse(new X509Certificate(readFileSync(files.cert)).validTo) - Date.now() > DAY_MS;
  if (!usable) {
    const pki = createDevPki('iot-jwt-authorizer local CA');
    const server = pki.server();
    mkdirSync(dir, { recursive: true });
    writeFileSync(files.ca, pki.ca.cert);
    writeFileSync(files.cert, server.cert);
    writeFileSync(files.key, server.key, { mode: 0o600 });
  }
  return { caFile: files.ca, ca: readFileSync(files.ca, 'utf8'), cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') };
}
