import type { AwsJsonCall, AwsJsonService } from './aws-json.ts';

/** DynamoDB (the revocation table's BatchGetItem), over JSON 1.0. */
export const DYNAMODB: AwsJsonService = { name: 'dynamodb', endpointVariable: 'AWS_ENDPOINT_URL_DYNAMODB', contentType: 'application/x-amz-json-1.0', targetPrefix: 'DynamoDB_20120810' };

/** Secrets Manager (GetSecretValue), over JSON 1.1. */
export const SECRETS_MANAGER: AwsJsonService = { name: 'secretsmanager', endpointVariable: 'AWS_ENDPOINT_URL_SECRETS_MANAGER', contentType: 'application/x-amz-json-1.1', targetPrefix: 'secretsmanager' };

/**
 * The client of `service`, made when first asked for: aws/aws-json.ts and the SDK's pieces behind it load
 * then, in a chunk of their own, so a configuration that never calls AWS never reads them. One client per
 * caller for the container's life; one that could not be made (no region) is tried again when next asked.
 */
export function lazyAwsJsonClient(service: AwsJsonService, timeoutMs: number): () => Promise<AwsJsonCall> {
  let client: Promise<AwsJsonCall> | undefined;
  return () => {
    if (client === undefined) {
      client = import('./aws-json.ts').then(({ createAwsJsonClient }) => createAwsJsonClient(service, timeoutMs));
      client.catch(() => { client = undefined; });
    }
    return client;
  };
}
