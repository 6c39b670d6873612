import { Logger, LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

/**
 * Only the level, the message and what the caller gives: CloudWatch bills every byte (and 26 more per
 * line), and its event metadata already holds the time, the request id and the log stream. Powertools'
 * default line adds the Lambda context (function name, ARN, memory, request id), about 300 bytes a line.
 */
export class CompactLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    return new LogItem({ attributes: { level: attributes.logLevel, msg: attributes.message } }).addAttributes(additional);
  }
}

/**
 * The function's logger: compact JSON lines for CloudWatch, level from POWERTOOLS_LOG_LEVEL or Lambda's
 * log level; POWERTOOLS_LOGGER_SAMPLE_RATE switches a share of invocations to DEBUG.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'iot-jwt-authorizer', logFormatter: new CompactLogFormatter() });
