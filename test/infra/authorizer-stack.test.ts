import { describe, expect, it } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { AuthorizerStack } from '../../infra/authorizer-stack.ts';
import { JwtAuthorizer } from '../../infra/jwt-authorizer.ts';
import { readSettings, SettingsError } from '../../infra/settings.ts';

const CODE = fileURLToPath(new URL('../../dist/authorizer', import.meta.url));
const ENV = { account: '123456789012', region: 'eu-west-1' };
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt-signing-AbCdEf';

// The feature flags the project sets in cdk.json, as `cdk synth` runs with them.
const CDK_JSON = JSON.parse(readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8')) as { context: Record<string, unknown> };
const FLAGS = Object.fromEntries(Object.entries(CDK_JSON.context).filter(([key]) => key.startsWith('@')));

function synth(context: Record<string, unknown> = {}) {
  const app = new App({ context: FLAGS });
  const stack = new AuthorizerStack(app, 'Test', { settings: readSettings(context), codePath: CODE, env: ENV });
  return { app, stack, template: Template.fromStack(stack) };
}

const problemsOf = (context: Record<string, unknown>) => {
  try {
    readSettings(context);
  } catch (err) {
    if (err instanceof SettingsError) return err.problems.join('\n');
    throw err;
  }
  throw new Error('expected a SettingsError');
};

describe('AuthorizerStack with defaults', () => {
  const { app, template } = synth();

  it('runs the bundle on Node.js 22, arm64, within IoT\'s 5-second limit, logging JSON', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', Timeout: 5, MemorySize: 256,
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN', LogGroup: { Ref: Match.stringLikeRegexp('^JwtAuthorizerLogs') } },
      Environment: { Variables: { JWT_SECRET_ID: { Ref: Match.stringLikeRegexp('^JwtAuthorizerSecret') }, POWERTOOLS_SERVICE_NAME: 'iot-jwt-authorizer' } },
    });
  });

  it('creates a generated HMAC secret long enough for HS512, kept by cdk destroy unless retainSecret=false', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true } });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    synth({ retainSecret: false }).template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
    expect(problemsOf({ jwksUrl: 'https://idp.example/jwks', retainSecret: true })).toBe('retainSecret: set, but no secret is created');
  });

  it('creates an active IoT authorizer with signing disabled, invocable by IoT from that authorizer only', () => {
    template.hasResourceProperties('AWS::IoT::Authorizer', {
      AuthorizerName: 'JwtAuthorizer', SigningDisabled: true, Status: 'ACTIVE', EnableCachingForHttp: false,
      AuthorizerFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JwtAuthorizerFunction'), 'Arn'] },
    });
    const [authorizer] = Object.keys(template.findResources('AWS::IoT::Authorizer'));
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction', Principal: 'iot.amazonaws.com', SourceArn: { 'Fn::GetAtt': [authorizer, 'Arn'] }, SourceAccount: '123456789012',
    });
    template.resourceCountIs('AWS::IoT::DomainConfiguration', 0);
  });

  it('gives the function least privilege: its own log group, its own secret, no managed policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    for (const statement of statements) {
      const actions = [statement.Action].flat();
      if (actions.some((a: string) => a.startsWith('secretsmanager:'))) {
        expect(statement.Resource).toEqual({ Ref: expect.stringMatching(/^JwtAuthorizerSecret/) });
      }
      expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
    }
    expect(statements.flatMap((s) => [s.Action].flat())).toEqual(expect.arrayContaining(['secretsmanager:GetSecretValue', 'logs:PutLogEvents']));
  });

  it('keeps logs for 30 days', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('alarms on errors, throttles, duration near the limit and a spike of denies', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', Threshold: 4000, ExtendedStatistic: Match.absent(), Statistic: 'Maximum' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Denies', Namespace: 'IotJwtAuthorizer', Threshold: 100, Statistic: 'Sum', Period: 300 });
    template.hasResourceProperties('AWS::Logs::MetricFilter', { FilterPattern: '{ $.msg = "deny" }', MetricTransformations: [{ MetricName: 'Denies', MetricNamespace: 'IotJwtAuthorizer', MetricValue: '1' }] });
  });

  it('counts allows, denies by reason, cold starts and key-source failures from the log lines (metric filters)', () => {
    const filter = (pattern: string, name: string, dimensions?: unknown) => template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: pattern, MetricTransformations: [{ MetricName: name, MetricNamespace: 'IotJwtAuthorizer', MetricValue: '1', Unit: 'Count', ...(dimensions !== undefined && { Dimensions: dimensions }) }],
    });
    filter('{ $.msg = "allow" }', 'Allows');
    filter('{ $.msg = "deny" }', 'DeniesByReason', [{ Key: 'reason', Value: '$.reason' }]);
    filter('{ $.cold IS TRUE }', 'ColdStarts');
    filter('{ $.msg = "key source failed" }', 'KeySourceFailures');
    filter('{ ($.reason = "REVOCATION_UNAVAILABLE") || ($.revocation = "unavailable") }', 'RevocationFailures');
    template.resourceCountIs('AWS::Logs::MetricFilter', 6);
  });

  it('keeps the platform\'s own lines at WARN, so that a successful invocation writes only its decision line', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { SystemLogLevel: 'WARN', LogFormat: 'JSON' } });
  });

  it('has a dashboard with traffic, decisions, denies by reason, latency, failures, cold starts and the alarms', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const title of ['Invocations', 'Allows and denies', 'Denies by reason', 'Duration (ms)', 'Errors and throttles', 'Concurrent executions', 'Cold starts', 'Key source and revocation failures', 'Alarms']) {
      expect(body).toContain(`\\"title\\":\\"${title}\\"`);
    }
    for (const needle of ['DeniesByReason', 'p50', 'p99', 'ConcurrentExecutions', 'ColdStarts', 'KeySourceFailures', 'RevocationFailures', 'ErrorsAlarm', 'DeniesAlarm']) expect(body).toContain(needle);
  });

  it('passes cdk-nag AwsSolutions, with every acknowledgement given a reason', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations).toEqual([]);
    const acknowledged = app.node.findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.map(([id]) => id.split('::').at(-1)).sort()).toEqual(['AwsSolutions-L1', 'AwsSolutions-SMG4']);
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThan(20);
  });

  it('would be flagged by cdk-nag without those acknowledgements, and for nothing else', () => {
    const bare = new App();
    const stack = new Stack(bare, 'Bare', { env: ENV });
    new JwtAuthorizer(stack, 'A', { code: lambda.Code.fromAsset(CODE), settings: readSettings({}) });
    const rules = new AwsSolutionsChecks(bare).validateScope(bare).violations.map((v) => v.ruleName).sort();
    expect(rules).toEqual(['AwsSolutions-L1', 'AwsSolutions-SMG4']);
  });
});

describe('AuthorizerStack from context', () => {
  it('maps context keys onto the function\'s JWT_* variables', () => {
    const { template } = synth({
      jwksUrl: 'https://idp.example.com/.well-known/jwks.json', jwksRefreshSeconds: 600, audience: 'mqtt',
      verifyClaims: { sub: '${clientid}' }, baseAcl: [{ permission: 'allow', action: 'all', topic: '$aws/things/${clientid}/shadow/#' }],
      allowShortLived: true, logLevel: 'debug', logRetentionDays: '90', memorySize: 512,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      LoggingConfig: { ApplicationLogLevel: 'DEBUG' },
      Environment: { Variables: {
        JWT_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json', JWT_JWKS_REFRESH_SECONDS: '600', JWT_AUDIENCE: 'mqtt',
        JWT_VERIFY_CLAIMS: '{"sub":"${clientid}"}', JWT_ALLOW_SHORT_LIVED: 'true',
        JWT_BASE_ACL: '[{"permission":"allow","action":"all","topic":"$aws/things/${clientid}/shadow/#"}]',
        JWT_SECRET_ID: Match.absent(),
      } },
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0); // a JWKS URL alone needs no secret
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('imports an existing secret by ARN, granting read on it (and its KMS key) only', () => {
    const kmsKeyArn = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    const { template } = synth({ secretArn: SECRET_ARN, secretKmsKeyArn: kmsKeyArn, secretFormat: 'jwks' });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { JWT_SECRET_ID: SECRET_ARN, JWT_SECRET_FORMAT: 'jwks' } } });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: expect.toSatisfy((a: string[]) => [...a].sort().join() === 'secretsmanager:DescribeSecret,secretsmanager:GetSecretValue'), Resource: SECRET_ARN }),
      expect.objectContaining({ Action: 'kms:Decrypt', Resource: kmsKeyArn }),
    ]));
  });

  it('sends alarms to an SNS topic, names the authorizer, makes it the default, reserves and provisions concurrency', () => {
    const topic = 'arn:aws:sns:eu-west-1:123456789012:ops';
    const { template } = synth({ alarmTopicArn: topic, authorizerName: 'FleetJwt', defaultAuthorizer: 'true', reservedConcurrency: 50, provisionedConcurrency: 2, denyAlarmThreshold: 10 });
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) expect(alarm.Properties.AlarmActions).toEqual([topic]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Denies', Threshold: 10 });
    template.hasResourceProperties('AWS::IoT::DomainConfiguration', {
      DomainConfigurationName: 'FleetJwt-domain', ServiceType: 'DATA', DomainConfigurationStatus: 'ENABLED',
      AuthorizerConfig: { DefaultAuthorizerName: 'FleetJwt', AllowAuthorizerOverride: true },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 50 });
    template.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live', ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 } });
    const [alias] = Object.keys(template.findResources('AWS::Lambda::Alias'));
    template.hasResourceProperties('AWS::IoT::Authorizer', { AuthorizerName: 'FleetJwt', AuthorizerFunctionArn: { Ref: alias } });
    template.hasResourceProperties('AWS::Lambda::Permission', { FunctionName: { Ref: alias }, Principal: 'iot.amazonaws.com' });
  });

  it.each([
    [{ jwksRefreshSeconds: 'often', jwksUrl: 'https://x/j' }, 'jwksRefreshSeconds (JWT_JWKS_REFRESH_SECONDS): expected a whole number'],
    [{ from: 'header' }, 'from (JWT_FROM): "header": expected header:NAME, e.g. header:authorization'],
    [{ jwksUrl: 'https://x/j', defaultAcl: { pub: 'a' } }, 'defaultAcl (JWT_DEFAULT_ACL): JWT_DEFAULT_ACL.pub: expected a list'],
    [{ jwksUrl: 'https://x/j', publicKey: 'not a pem' }, 'publicKey (JWT_PUBLIC_KEY): no PEM block'],
    [{ jwksUrl: 'https://x/j', jwksUrI: 'typo' }, 'jwksUrI: unknown context key'],
    [{ secretId: 'x' }, 'secretId: import a secret with secretArn'],
    [{ secretArn: 'jwt-secret' }, 'secretArn: expected a Secrets Manager secret ARN'],
    [{ secretArn: SECRET_ARN, createSecret: true }, 'createSecret: true, but secretArn imports a secret'],
    [{ createSecret: false }, 'give secretArn, createSecret=true, publicKey, jwks or jwksUrl'],
    [{ logRetentionDays: 10 }, 'logRetentionDays: one of 1, 3, 5, 7, 14, 30'],
    [{ logLevel: 'LOUD' }, 'logLevel: one of TRACE'],
    [{ authorizerName: 'has space' }, 'authorizerName: 1 to 128'],
    [{ alarmTopicArn: 'ops' }, 'alarmTopicArn: expected an SNS topic ARN'],
    [{ memorySize: 64 }, 'memorySize: expected a whole number from 128'],
    [{ defaultAuthorizer: 'yes' }, 'defaultAuthorizer: expected true or false'],
    [{ defaultAuthorizer: true, authorizerName: 'jwt@fleet' }, 'authorizerName: with defaultAuthorizer, letters, digits and _.- only'],
  ])('refuses %o naming the key', (context, message) => {
    expect(problemsOf(context)).toContain(message);
  });
});

describe('cdk.json', () => {
  it('sets every feature flag aws-cdk-lib recommends, so that cdk synth has none unconfigured', () => {
    for (const [flag, value] of Object.entries(CURRENTLY_RECOMMENDED_FLAGS)) expect(CDK_JSON.context[flag], flag).toEqual(value);
  });
});

describe('deprecated CDK APIs', () => {
  it('uses none: jsii fails on a deprecated call when JSII_DEPRECATED=fail (every optional resource made)', () => {
    const before = process.env.JSII_DEPRECATED;
    process.env.JSII_DEPRECATED = 'fail';
    try {
      expect(() => synth({ alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops', defaultAuthorizer: 'true', provisionedConcurrency: 1, secretArn: SECRET_ARN })).not.toThrow();
      expect(() => synth({ retainSecret: false })).not.toThrow();
    } finally {
      if (before === undefined) delete process.env.JSII_DEPRECATED;
      else process.env.JSII_DEPRECATED = before;
    }
  });
});

describe('revocation', () => {
  it('creates the table (on demand, TTL, point-in-time recovery, encrypted, kept on destroy) and lets the function only read it', () => {
    const { app, template } = synth({ revocation: true });
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, SSESpecification: { SSEEnabled: true },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { JWT_REVOCATION_TABLE: { Ref: Match.stringLikeRegexp('^JwtAuthorizerRevocationTable') } } } });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>);
    const dynamoActions = statements.flatMap((st) => [st.Action].flat()).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamoActions).toEqual(['dynamodb:BatchGetItem']);
    expect(Object.keys(template.findOutputs('*')).some((k) => k.startsWith('JwtAuthorizerRevocationTableName'))).toBe(true);
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });

  it('imports a table by name, and refuses contradictory or misspelt keys', () => {
    const { template } = synth({ revocationTableName: 'fleet-revocations', revocationCacheSeconds: 10, revocationFailure: 'allow' });
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { JWT_REVOCATION_TABLE: 'fleet-revocations', JWT_REVOCATION_CACHE_SECONDS: '10', JWT_REVOCATION_FAILURE: 'allow' } } });
    expect(problemsOf({ revocation: true, revocationTableName: 'x-table' })).toContain('revocation: true creates a table, but revocationTableName imports one');
    expect(problemsOf({ revocationTable: 'x' })).toContain('revocationTable: use revocation=true');
    expect(problemsOf({ revocationFailure: 'open' })).toContain('revocationFailure (JWT_REVOCATION_FAILURE)');
  });
});

describe('issuer profiles from issuersFile', () => {
  const profilesFile = (profiles: unknown) => {
    const path = join(mkdtempSync(join(tmpdir(), 'issuers-')), 'issuers.json');
    writeFileSync(path, JSON.stringify(profiles));
    return path;
  };

  it('ships the file in the function\'s folder, points JWT_ISSUERS_FILE at it, makes no secret, and lets it read the profiles\' secrets', () => {
    const path = profilesFile([
      { issuer: 'https://devices.example.com', secretId: 'device-signing' },
      { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', jwksUrl: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json', jwksAuthSecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:idp-creds-AbCdEf', audience: 'app-client' },
    ]);
    const { app, stack, template } = synth({ issuersFile: path });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { JWT_ISSUERS_FILE: 'issuers.json', JWT_SECRET_ID: Match.absent() } } });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Resource: unknown }>);
    const resources = JSON.stringify(statements.map((st) => st.Resource));
    expect(resources).toContain('secret:device-signing-??????');
    expect(resources).toContain('arn:aws:secretsmanager:eu-west-1:123456789012:secret:idp-creds-AbCdEf');
    // The staged asset holds the bundle and the profiles.
    const outdir = app.synth().directory;
    const staged = readdirSync(outdir).filter((d) => d.startsWith('asset.')).map((d) => join(outdir, d)).find((d) => existsSync(join(d, 'issuers.json')));
    expect(staged, `an asset folder with issuers.json under ${outdir} (stack ${stack.stackName})`).toBeDefined();
    expect(JSON.parse(readFileSync(join(staged!, 'issuers.json'), 'utf8'))).toHaveLength(2);
    expect(existsSync(join(staged!, 'index.mjs'))).toBe(true);
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });

  it('fails the synth naming the place of a profile\'s problem, and a file it cannot read', () => {
    expect(problemsOf({ issuersFile: profilesFile([{ issuer: 'a', jwksUrl: 'ftp://x' }]) })).toContain('issuersFile[0].jwksUrl: expected a https: or http: URL');
    expect(problemsOf({ issuersFile: '/nonexistent/issuers.json' })).toContain('issuersFile: cannot read /nonexistent/issuers.json (ENOENT)');
  });
});

describe('AuthorizerStack for browsers and HTTP clients (issue 14)', () => {
  const rsaPem = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'spki', format: 'pem' }) as string;

  it('enables IoT token signing with tokenKeyName and tokenSigningPublicKeys', () => {
    const pem = rsaPem(2048);
    const { template } = synth({ tokenKeyName: 'token', tokenSigningPublicKeys: { 'key-1': pem }, from: 'token' });
    template.hasResourceProperties('AWS::IoT::Authorizer', { SigningDisabled: false, TokenKeyName: 'token', TokenSigningPublicKeys: { 'key-1': pem } });
  });

  it.each([
    [{ tokenKeyName: 'token' }, 'tokenSigningPublicKeys: token signing needs both tokenKeyName and tokenSigningPublicKeys'],
    [{ tokenKeyName: 'bad name', tokenSigningPublicKeys: { k: 'x' } }, 'tokenKeyName: 1 to 128 of letters, digits and _-'],
    [{ tokenKeyName: 'token', tokenSigningPublicKeys: { k: 'not a pem' } }, 'tokenSigningPublicKeys.k: not a PEM public key'],
    [{ tokenKeyName: 'token', tokenSigningPublicKeys: { k: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) } }, 'tokenSigningPublicKeys.k: IoT needs an RSA public key of at least 2,048 bits'],
    [{ tokenKeyName: 'token', tokenSigningPublicKeys: {} }, 'tokenSigningPublicKeys: one or two keys'],
  ])('refuses %j naming the key', (context, message) => {
    expect(problemsOf(context)).toContain(message);
  });

  it('says where each kind of client connects: MQTT over TLS, WebSocket and HTTPS publish', () => {
    const { template } = synth({ authorizerName: 'FleetJwt' });
    const outputs = template.findOutputs('*');
    const value = (suffix: string) => Object.entries(outputs).find(([name]) => name.includes(suffix))![1].Value as string;
    expect(value('WebSocketUrl')).toBe('wss://ENDPOINT/mqtt?x-amz-customauthorizer-name=FleetJwt');
    expect(value('HttpsPublishUrl')).toContain('https://ENDPOINT/topics/TOPIC?qos=1');
    expect(value('MqttEndpoint')).toContain('ENDPOINT:443');
  });
});
