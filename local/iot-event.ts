// The events AWS IoT Core sends a custom authorizer (custom-auth docs, "Defining your Lambda function"): for
// an MQTT CONNECT over TLS, MQTT over WebSocket (the upgrade request in `protocolData.http`) and an HTTPS
// publish (no MQTT data at all); and a Lambda-like context. Shared by the local invoke, the CLI, the tests and
// the local broker.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { TokenSource } from '../functions/authorizer/request/token-sources.ts';

/** How the client reached IoT: MQTT over TLS (port 443, ALPN `mqtt`), MQTT over WebSocket, or an HTTPS publish. */
export type IotProtocol = 'mqtt' | 'wss' | 'https';
const IOT_PROTOCOLS: readonly IotProtocol[] = ['mqtt', 'wss', 'https'];

/** `--protocol`'s value. @throws Error naming the option and the values it takes */
export function parseProtocol(value: string): IotProtocol {
  if (!(IOT_PROTOCOLS as readonly string[]).includes(value)) throw new Error(`--protocol: expected one of ${IOT_PROTOCOLS.join(', ')}, got "${value}"`);
  return value as IotProtocol;
}

export interface IotEventInput {
  readonly protocol?: IotProtocol;
  /** The raw MQTT password (IoT base64-encodes it), as a string or bytes. */
  readonly password?: string | Uint8Array;
  /** The MQTT username as the device sends it; `authorizerName` appends IoT's query string. */
  readonly username?: string;
  readonly clientId?: string;
  readonly authorizerName?: string;
  readonly connectionId?: string;
  readonly serverName?: string;
  /** The HTTP request's headers (WebSocket upgrade or HTTPS publish), names as the client sent them. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The HTTP request's raw query string, with its `?`. */
  readonly queryString?: string;
  /** The top-level `token`: the value IoT reads from the authorizer's TokenKeyName. */
  readonly token?: string;
}

export function iotEvent(input: IotEventInput) {
  const { protocol = 'mqtt', password, username, clientId, authorizerName } = input;
  const mqtt: Record<string, string> = {};
  // IoT passes the username with the query string the device appended (`?x-amz-customauthorizer-name=…`).
  if (username !== undefined || (authorizerName !== undefined && protocol === 'mqtt')) {
    const query = authorizerName === undefined || protocol !== 'mqtt' ? '' : `?x-amz-customauthorizer-name=${encodeURIComponent(authorizerName)}`;
    mqtt.username = `${username ?? ''}${query}`;
  }
  if (password !== undefined) mqtt.password = Buffer.from(password).toString('base64');
  if (clientId !== undefined) mqtt.clientId = clientId;
  const http = protocol === 'mqtt' ? undefined : {
    // Over HTTP the authorizer is named in a header (or the query string), not the username.
    headers: { ...(authorizerName !== undefined && { 'x-amz-customauthorizer-name': authorizerName }), ...input.headers },
    ...(input.queryString !== undefined && input.queryString !== '' && { queryString: input.queryString }),
  };
  return {
    ...(input.token !== undefined && { token: input.token }),
    signatureVerified: false,
    protocols: protocol === 'mqtt' ? ['tls', 'mqtt'] : protocol === 'wss' ? ['tls', 'http', 'mqtt'] : ['tls', 'http'],
    protocolData: {
      tls: { serverName: input.serverName ?? 'localhost' },
      ...(http && { http }),
      ...(protocol !== 'https' && { mqtt }),
    },
    connectionMetadata: { id: input.connectionId ?? randomUUID() },
  };
}

/** The event for an MQTT CONNECT over TLS. */
export function connectEvent(input: Omit<IotEventInput, 'protocol'>) {
  return iotEvent({ ...input, protocol: 'mqtt' });
}

/**
 * Where a client configured for these JWT_FROM sources puts its token: the first source the protocol has
 * (an HTTPS publish has no MQTT username or password). Undefined when none fits.
 */
export function placeToken(sources: readonly TokenSource[], protocol: IotProtocol, token: string): Partial<IotEventInput> | undefined {
  for (const source of sources) {
    switch (source.kind) {
      case 'password': if (protocol !== 'https') return { password: token }; break;
      case 'username': if (protocol !== 'https') return { username: token }; break;
      case 'token': return { token };
      case 'header': if (protocol !== 'mqtt') return { headers: { [source.name]: source.name === 'authorization' ? `Bearer ${token}` : token } }; break;
      case 'query': if (protocol !== 'mqtt') return { queryString: `?${encodeURIComponent(source.name)}=${encodeURIComponent(token)}` }; break;
    }
  }
  return undefined;
}

/** Joins query strings (`?a=1` and `?b=2` → `?a=1&b=2`). */
export function joinQuery(...parts: readonly (string | undefined)[]): string | undefined {
  const pairs = parts.filter((p): p is string => p !== undefined && p !== '').map((p) => (p.startsWith('?') ? p.slice(1) : p)).filter(Boolean);
  return pairs.length === 0 ? undefined : `?${pairs.join('&')}`;
}

export interface ClientRequest {
  readonly protocol: IotProtocol;
  readonly sources: readonly TokenSource[];
  /** Placed where the first fitting JWT_FROM source says; undefined to send only what the options give. */
  readonly token?: string;
  readonly clientId?: string;
  readonly username?: string;
  /** `NAME=VALUE` strings, as `--header` takes them. */
  readonly headers?: readonly string[];
  readonly query?: string;
  readonly authorizerName?: string;
}

/**
 * The event IoT sends for a client that sends this request (the CLI's `--protocol`, `--header`, `--query`).
 * @throws Error naming the option that is wrong
 */
export function clientEvent(request: ClientRequest) {
  const { protocol, token } = request;
  const placed = token === undefined ? {} : placeToken(request.sources, protocol, token);
  if (placed === undefined) {
    throw new Error(`JWT_FROM has no source a ${protocol} client can carry the token in: add header:NAME or query:NAME (or use --protocol mqtt)`);
  }
  const headers: Record<string, string> = { ...placed.headers };
  for (const header of request.headers ?? []) {
    const equals = header.indexOf('=');
    if (equals <= 0) throw new Error(`--header: expected NAME=VALUE, got "${header}"`);
    if (protocol === 'mqtt') throw new Error('--header needs --protocol wss or https: an MQTT CONNECT over TLS has no HTTP headers');
    headers[header.slice(0, equals)] = header.slice(equals + 1);
  }
  if (request.query !== undefined && protocol === 'mqtt') throw new Error('--query needs --protocol wss or https: an MQTT CONNECT over TLS has no query string');
  const mqtt = protocol === 'https' ? {} : { clientId: request.clientId, username: placed.username ?? request.username, password: placed.password };
  return iotEvent({
    protocol, ...mqtt, token: placed.token, headers, queryString: joinQuery(request.query, placed.queryString),
    authorizerName: request.authorizerName ?? 'JwtAuthorizer',
  });
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
