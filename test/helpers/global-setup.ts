// Builds dist/authorizer once per test run, so that `npm test` alone tests the deployable too.
// @ts-expect-error: the build script is plain JavaScript
import { buildAuthorizer } from '../../scripts/build.mjs';

export default async function setup(): Promise<void> {
  await buildAuthorizer({ quiet: true });
}
