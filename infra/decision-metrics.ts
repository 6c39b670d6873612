import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The namespace of the metrics taken from the decision logs. */
export const METRIC_NAMESPACE = 'IotJwtAuthorizer';

/**
 * Metrics read from the function's own log lines by metric filters: no extra bytes per invocation (an
 * Embedded Metric Format block would add a second line to every invocation). Each line is one JSON
 * object with `msg` (`allow`, `deny`, `key source failed`, …), `reason` on a deny, `cold` on a container's
 * first invocation.
 */
export class DecisionMetrics extends Construct {
  readonly allows: cloudwatch.Metric;
  readonly denies: cloudwatch.Metric;
  readonly coldStarts: cloudwatch.Metric;
  readonly keySourceFailures: cloudwatch.Metric;
  /** Revocation lookups that failed: denied (REVOCATION_UNAVAILABLE) or, with JWT_REVOCATION_FAILURE=allow, let through. */
  readonly revocationFailures: cloudwatch.Metric;
  /** Denies by reason, one metric per reason seen (dimension `reason`), for a SEARCH expression. */
  readonly deniesByReasonSearch: string;

  constructor(scope: Construct, id: string, logGroup: logs.ILogGroup) {
    super(scope, id);
    const count = (filterId: string, metricName: string, pattern: logs.IFilterPattern, dimensions?: Record<string, string>) =>
      new logs.MetricFilter(this, filterId, {
        logGroup, filterPattern: pattern, metricNamespace: METRIC_NAMESPACE, metricName, metricValue: '1',
        unit: cloudwatch.Unit.COUNT, ...(dimensions && { dimensions }),
      }).metric({ statistic: 'Sum', period: Duration.minutes(5) });
    this.allows = count('Allows', 'Allows', logs.FilterPattern.stringValue('$.msg', '=', 'allow'));
    this.denies = count('Denies', 'Denies', logs.FilterPattern.stringValue('$.msg', '=', 'deny'));
    // A dimension from the line itself: each reason becomes its own metric, with no extra logging.
    count('DeniesByReason', 'DeniesByReason', logs.FilterPattern.stringValue('$.msg', '=', 'deny'), { reason: '$.reason' });
    this.deniesByReasonSearch = `SEARCH('{${METRIC_NAMESPACE},reason} MetricName="DeniesByReason"', 'Sum', 300)`;
    this.coldStarts = count('ColdStarts', 'ColdStarts', logs.FilterPattern.booleanValue('$.cold', true));
    this.keySourceFailures = count('KeySourceFailures', 'KeySourceFailures', logs.FilterPattern.stringValue('$.msg', '=', 'key source failed'));
    this.revocationFailures = count('RevocationFailures', 'RevocationFailures', logs.FilterPattern.any(
      logs.FilterPattern.stringValue('$.reason', '=', 'REVOCATION_UNAVAILABLE'), logs.FilterPattern.stringValue('$.revocation', '=', 'unavailable')));
  }
}
