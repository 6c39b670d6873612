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

/**
 * For the command-line tools: the bundle's handler, or, when the JWT_* configuration is refused at its
 * cold start, the list of problems (each naming its variable) and exit code 2, without the stack trace and
 * minified source Node would print.
 */
export async function importAuthorizerOrExit(): Promise<AuthorizerHandler> {
  try {
    return await importAuthorizer();
  } catch (err) {
    if (!(err instanceof Error) || err.name !== 'ConfigError') throw err;
    console.error(err.message);
    return process.exit(2);
  }
}
