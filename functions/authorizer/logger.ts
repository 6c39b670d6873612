import { Logger } from '@aws-lambda-powertools/logger';

/** The function's logger: JSON lines for CloudWatch, level from POWERTOOLS_LOG_LEVEL or Lambda's log level. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'iot-jwt-authorizer' });
