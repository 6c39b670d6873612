import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DecisionMetrics } from './decision-metrics.ts';
import { EXPIRY_ATTRIBUTE, PARTITION_KEY } from '../functions/authorizer/revocation/revocation-keys.ts';
import type { InfraSettings } from './settings.ts';

export interface JwtAuthorizerProps {
  /** The deployable: `lambda.Code.fromAsset('dist/authorizer')` after `npm run build`. */
  readonly code: lambda.Code;
  readonly settings: InfraSettings;
}

/** IoT Core waits 5 s for a custom authorizer (config-custom-auth docs); the function may not run longer. */
const IOT_AUTHORIZER_TIMEOUT = Duration.seconds(5);

/**
 * An AWS IoT Core custom authorizer backed by the JWT authorizer function: the function with its own
 * role and log group, the signing secret, the IoT authorizer and the permission for IoT to invoke it,
 * and alarms.
 */
export class JwtAuthorizer extends Construct {
  readonly function: lambda.Function;
  readonly authorizer: iot.CfnAuthorizer;
  readonly secret: secretsmanager.ISecret | undefined;
  /** The revocation table, when revocation is on. */
  readonly revocationTable: dynamodb.ITable | undefined;
  readonly logGroup: logs.LogGroup;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly metrics: DecisionMetrics;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: JwtAuthorizerProps) {
    super(scope, id);
    const { settings } = props;

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: settings.logRetentionDays as logs.RetentionDays });
    // Its own role, allowed to write its own log group and read its own secret, nothing more.
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(role);

    this.secret = this.signingSecret(settings, role);
    this.revocationTable = this.revocationTableOf(settings);
    // The other secrets the configuration names (profiles' keys, JWKS credentials and client certificates): read only.
    for (const [i, secretId] of settings.readSecrets.entries()) {
      const secret = secretId.startsWith('arn:')
        ? secretsmanager.Secret.fromSecretCompleteArn(this, `ReadSecret${i}`, secretId)
        : secretsmanager.Secret.fromSecretNameV2(this, `ReadSecret${i}`, secretId);
      secret.grantRead(role);
    }
    // Read-only: the function reads entries (BatchGetItem); writing them is the operator's CLI.
    this.revocationTable?.grant(role, 'dynamodb:BatchGetItem');
    this.function = new lambda.Function(this, 'Function', {
      description: 'AWS IoT Core custom authorizer: verifies the JWT in MQTT CONNECT and returns an IoT policy',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: props.code,
      role,
      memorySize: settings.memorySize,
      timeout: IOT_AUTHORIZER_TIMEOUT,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel[settings.logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      reservedConcurrentExecutions: settings.reservedConcurrency,
      environment: {
        ...settings.environment,
        ...(this.secret && { JWT_SECRET_ID: this.secret.secretArn }),
        ...(this.revocationTable && { JWT_REVOCATION_TABLE: this.revocationTable.tableName }),
        // Source maps are shipped but not enabled: --enable-source-maps costs 5-20 ms of every cold start.
        POWERTOOLS_SERVICE_NAME: 'iot-jwt-authorizer',
      },
    });
    const target: lambda.IFunction = settings.provisionedConcurrency === undefined ? this.function
      : new lambda.Alias(this, 'Live', { aliasName: 'live', version: this.function.currentVersion, provisionedConcurrentExecutions: settings.provisionedConcurrency });

    this.authorizer = new iot.CfnAuthorizer(this, 'Authorizer', {
      authorizerName: settings.authorizerName,
      authorizerFunctionArn: target.functionArn,
      // Without token signing, devices send credentials and the function verifies the JWT itself. With it,
      // IoT also checks the token's RSA signature before invoking the function (fewer invocations by strangers).
      signingDisabled: settings.tokenSigning === undefined,
      ...(settings.tokenSigning && { tokenKeyName: settings.tokenSigning.keyName, tokenSigningPublicKeys: settings.tokenSigning.publicKeys }),
      status: 'ACTIVE',
      enableCachingForHttp: false,
    });
    target.addPermission('IotInvoke', {
      principal: new iam.ServicePrincipal('iot.amazonaws.com'),
      sourceArn: this.authorizer.attrArn,
      sourceAccount: Stack.of(this).account,
    });
    if (settings.defaultAuthorizer) {
      const domain = new iot.CfnDomainConfiguration(this, 'Domain', {
        domainConfigurationName: `${settings.authorizerName}-domain`,
        serviceType: 'DATA',
        authorizerConfig: { defaultAuthorizerName: settings.authorizerName, allowAuthorizerOverride: true },
        domainConfigurationStatus: 'ENABLED',
      });
      domain.addResourceDependency(this.authorizer, 'the domain names it as its default authorizer');
      new CfnOutput(this, 'DomainConfigurationName', { value: `${settings.authorizerName}-domain` });
    }
    this.metrics = new DecisionMetrics(this, 'Metrics', this.logGroup);
    this.addAlarms(settings);
    this.dashboard = this.addDashboard(settings);
    new CfnOutput(this, 'AuthorizerName', { value: settings.authorizerName });
    // IoT has no CloudFormation attribute for the account's data endpoint: ENDPOINT is
    // `aws iot describe-endpoint --endpoint-type iot:Data-ATS --query endpointAddress --output text`.
    const name = encodeURIComponent(settings.authorizerName);
    new CfnOutput(this, 'MqttEndpoint', { description: 'MQTT over TLS: port 443, ALPN "mqtt", the authorizer named in the username', value: `ENDPOINT:443 username "DEVICE?x-amz-customauthorizer-name=${name}"` });
    new CfnOutput(this, 'WebSocketUrl', { description: 'MQTT over WebSocket (browsers: the token in the query, as JWT_FROM query:NAME reads it)', value: `wss://ENDPOINT/mqtt?x-amz-customauthorizer-name=${name}` });
    new CfnOutput(this, 'HttpsPublishUrl', { description: 'HTTPS publish (the token in a header, as JWT_FROM header:NAME reads it)', value: `https://ENDPOINT/topics/TOPIC?qos=1 with header x-amz-customauthorizer-name: ${settings.authorizerName}` });
    new CfnOutput(this, 'FunctionName', { value: this.function.functionName });
    new CfnOutput(this, 'LogGroupName', { value: this.logGroup.logGroupName });
    if (this.secret) new CfnOutput(this, 'SecretArn', { value: this.secret.secretArn });
    if (this.revocationTable) new CfnOutput(this, 'RevocationTableName', { value: this.revocationTable.tableName });
  }

  private signingSecret(settings: InfraSettings, role: iam.IRole): secretsmanager.ISecret | undefined {
    const { secret } = settings;
    if (secret.mode === 'none') return undefined;
    if (secret.mode === 'import') {
      const imported = secretsmanager.Secret.fromSecretCompleteArn(this, 'Secret', secret.arn);
      imported.grantRead(role);
      if (secret.kmsKeyArn !== undefined) kms.Key.fromKeyArn(this, 'SecretKey', secret.kmsKeyArn).grantDecrypt(role);
      return imported;
    }
    const created = new secretsmanager.Secret(this, 'Secret', {
      description: 'HMAC secret that signs device JWTs (HS256/384/512) for the IoT JWT authorizer',
      // 64 characters: long enough for HS512 (RFC 7518 §3.2 wants at least the hash size).
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: secret.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    created.grantRead(role);
    return created;
  }

  // One partition key per kind of entry (functions/authorizer/revocation/revocation-keys.ts), an expiry
  // that DynamoDB's TTL deletes after, on-demand capacity (a read per uncached lookup), point-in-time recovery.
  private revocationTableOf(settings: InfraSettings): dynamodb.ITable | undefined {
    const { revocation } = settings;
    if (revocation.mode === 'none') return undefined;
    if (revocation.mode === 'import') return dynamodb.Table.fromTableName(this, 'RevocationTable', revocation.tableName);
    return new dynamodb.Table(this, 'RevocationTable', {
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: EXPIRY_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Revocations are security state: kept when the stack is destroyed, like the signing secret.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private addAlarms(settings: InfraSettings): void {
    const minute = Duration.minutes(1);
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, id, {
        metric, threshold, evaluationPeriods: 1, alarmDescription: description,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.alarms.push(created);
    };
    alarm('ErrorsAlarm', this.function.metricErrors({ period: minute }), 1, 'The authorizer failed (a cold start with a bad configuration, or a crash): IoT denies every connection meanwhile');
    alarm('ThrottlesAlarm', this.function.metricThrottles({ period: minute }), 1, 'The authorizer was throttled: connections are denied');
    alarm('DurationAlarm', this.function.metricDuration({ period: minute, statistic: 'Maximum' }), 4000, 'An invocation took 4 s or more; IoT stops waiting at 5 s');
    alarm('DeniesAlarm', this.metrics.denies, settings.denyAlarmThreshold, `${settings.denyAlarmThreshold} or more connections denied in 5 minutes`);
    if (settings.alarmTopicArn !== undefined) {
      const topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', settings.alarmTopicArn);
      for (const each of this.alarms) each.addAlarmAction(new SnsAction(topic));
    }
  }
  // One page for an operator: traffic, decisions, denies by reason, latency, failures, and the alarms.
  private addDashboard(settings: InfraSettings): cloudwatch.Dashboard {
    const fn = this.function;
    const period = Duration.minutes(5);
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) => new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `${settings.authorizerName.replace(/[^\w-]/g, '-')}-authorizer` });
    dashboard.addWidgets(
      graph('Invocations', [fn.metricInvocations({ period, statistic: 'Sum' })]),
      graph('Allows and denies', [this.metrics.allows.with({ label: 'allows' }), this.metrics.denies.with({ label: 'denies' })]),
      graph('Denies by reason', [new cloudwatch.MathExpression({ expression: this.metrics.deniesByReasonSearch, label: '', period })]),
    );
    dashboard.addWidgets(
      graph('Duration (ms)', [fn.metricDuration({ period, statistic: 'p50', label: 'p50' }), fn.metricDuration({ period, statistic: 'p99', label: 'p99' })]),
      graph('Errors and throttles', [fn.metricErrors({ period, statistic: 'Sum' }), fn.metricThrottles({ period, statistic: 'Sum' })]),
      graph('Concurrent executions', [fn.metric('ConcurrentExecutions', { period, statistic: 'Maximum' })]),
    );
    dashboard.addWidgets(
      graph('Cold starts', [this.metrics.coldStarts]),
      graph('Key source and revocation failures', [this.metrics.keySourceFailures.with({ label: 'key sources' }), this.metrics.revocationFailures.with({ label: 'revocation' })]),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 8, height: 6 }),
    );
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboardName });
    return dashboard;
  }
}
