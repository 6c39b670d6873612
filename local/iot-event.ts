// The event AWS IoT Core sends a custom authorizer for an MQTT CONNECT over TLS (custom-auth docs), and a
// Lambda-like context: shared by the local invoke, the tests and the local broker.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface ConnectEventInput {
  /** The raw MQTT password (IoT base64-encodes it), as a string or bytes. */
  readonly password?: string | Uint8Array;
  /** The MQTT username as the device sends it; `authorizerName` appends IoT's query string. */
  readonly username?: string;
  readonly clientId?: string;
  readonly authorizerName?: string;
  readonly connectionId?: string;
  readonly serverName?: string;
}

export function connectEvent(input: ConnectEventInput) {
  const { password, username, clientId, authorizerName } = input;
  const mqtt: Record<string, string> = {};
  // IoT passes the username with the query string the device appended (`?x-amz-customauthorizer-name=…`).
  if (username !== undefined || authorizerName !== undefined) {
    const query = authorizerName === undefined ? '' : `?x-amz-customauthorizer-name=${encodeURIComponent(authorizerName)}`;
    mqtt.username = `${username ?? ''}${query}`;
  }
  if (password !== undefined) mqtt.password = Buffer.from(password).toString('base64');
  if (clientId !== undefined) mqtt.clientId = clientId;
  return {
    signatureVerified: false,
    protocols: ['tls', 'mqtt'],
    protocolData: {
      tls: { serverName: input.serverName ?? 'localhost' },
      mqtt,
    },
    connectionMetadata: { id: input.connectionId ?? randomUUID() },
  };
}

export const LOCAL_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:iot-jwt-authorizer';

export function lambdaContext(functionArn = LOCAL_FUNCTION_ARN, timeoutMs = 5000): Context {
  const started = Date.now();
  const functionName = functionArn.split(':')[6] ?? 'iot-jwt-authorizer';
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
