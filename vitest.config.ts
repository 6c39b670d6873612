import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 20_000,
    // Two files at a time on CI's two cores: most of the slow tests wait on child processes and local servers.
    maxWorkers: 2,
    hookTimeout: 30_000,
    // Hermetic AWS SDK: no profile, no IMDS, no real endpoint (each emulator test sets its own endpoint).
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_PROFILE: '',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
  },
});
