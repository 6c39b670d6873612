// Stands in for @aws-sdk/credential-provider-node in the Lambda bundle (an esbuild alias). Lambda puts the
// execution role's credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN), so the SDK's default chain (SSO, ini files, process, web identity, IMDS, and the STS
// and SSO clients behind them) is about 100 KiB of bundle that never runs there.
export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';
