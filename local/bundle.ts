// Loads the deployable (dist/authorizer/index.mjs) in this process, as Lambda would: its configuration is
// read from process.env when it is imported.
import { pathToFileURL, fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { AuthorizerHandler } from './broker.ts';

export const BUNDLE_PATH = fileURLToPath(new URL('../dist/authorizer/index.mjs', import.meta.url));

let instances = 0;

/** Imports a fresh instance of the bundle (a new "container") configured by the current environment. */
export async function importAuthorizer(): Promise<AuthorizerHandler> {
  if (!existsSync(BUNDLE_PATH)) throw new Error(`${BUNDLE_PATH} is missing: run npm run build`);
  instances += 1;
  const module = (await import(`${pathToFileURL(BUNDLE_PATH).href}?container=${instances}`)) as { handler: AuthorizerHandler };
  return module.handler;
}
