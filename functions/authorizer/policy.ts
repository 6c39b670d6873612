import { Denied } from './deny.ts';

/** An IoT policy document, as an object (the form the current custom-auth docs show). */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
}

/** IoT's MQTT client id limit (bytes; ids are mostly ASCII). */
const MAX_CLIENT_ID_LENGTH = 128;

// `*` and `?` are wildcards in a policy resource and `${` opens a policy variable: a client id holding any
// of them would not be read literally. Control characters have no place in an ARN.
// eslint-disable-next-line no-control-regex
const NOT_LITERAL = /[*?\u0000-\u001f\u007f]|\$\{/;

/**
 * The client id, when a policy ARN can hold it literally.
 * @throws Denied CLIENT_ID_INVALID
 */
export function literalClientId(clientId: string | undefined): string {
  if (clientId === undefined || clientId === '') throw new Denied('CLIENT_ID_INVALID', { why: 'missing' });
  if (clientId.length > MAX_CLIENT_ID_LENGTH) throw new Denied('CLIENT_ID_INVALID', { why: 'too long' });
  if (NOT_LITERAL.test(clientId)) throw new Denied('CLIENT_ID_INVALID', { why: 'wildcard or policy variable' });
  return clientId;
}

/**
 * `arn:<partition>:iot:<region>:<account>` of the function's own account and region, read from the
 * invoked function's ARN (`arn:aws:lambda:eu-west-1:123456789012:function:name[:alias]`).
 * @throws Denied INTERNAL when the ARN is not a Lambda function ARN
 */
export function iotArnPrefix(invokedFunctionArn: string | undefined): string {
  const parts = (invokedFunctionArn ?? '').split(':');
  const [arn, partition, service, region, account] = parts;
  if (arn !== 'arn' || service !== 'lambda' || !partition || !region || !/^\d{12}$/.test(account ?? '')) {
    throw new Denied('INTERNAL', { why: 'context.invokedFunctionArn is not a Lambda function ARN' });
  }
  return `arn:${partition}:iot:${region}:${account}`;
}

/** The policy for an authenticated client: connect as this client id only. */
export function connectPolicy(arnPrefix: string, clientId: string): PolicyDocument[] {
  return [{
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: `${arnPrefix}:client/${clientId}` }],
  }];
}
