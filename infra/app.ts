// The CDK app: `npx cdk synth` / `npx cdk deploy`, configured by context (cdk.json or `-c key=value`).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: the build script is plain JavaScript
import { buildAuthorizer } from '../scripts/build.mjs';
import { AuthorizerStack } from './authorizer-stack.ts';
import { readSettings, SettingsError } from './settings.ts';

const app = new App();
let settings;
try {
  settings = readSettings(app.node.getAllContext());
} catch (err) {
  if (!(err instanceof SettingsError)) throw err;
  console.error(err.message);
  process.exit(1);
}
await buildAuthorizer({ quiet: true });
new AuthorizerStack(app, 'IotJwtAuthorizer', {
  settings,
  codePath: fileURLToPath(new URL('../dist/authorizer', import.meta.url)),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
