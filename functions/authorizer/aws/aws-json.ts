// AWS's JSON protocols (1.0 for DynamoDB, 1.1 for Secrets Manager), built from the SDK's own pieces: its
// SigV4 signer, its Node HTTP handler, Lambda's credentials from the environment, and the SDK's standard
// retry strategy and error classification. The function makes two calls, BatchGetItem and GetSecretValue:
// the generated clients would add every shape and error of both services to the bundle (about 100 KB
// each), and the Secrets Manager client's import was most of a cold start that reads a secret.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpRequest } from '@smithy/core/transport';
import { isServerError, isThrottlingError, isTransientError, StandardRetryStrategy } from '@smithy/core/retry';
import type { SourceData } from '@smithy/types';

/** A service spoken to over its JSON protocol. */
export interface AwsJsonService {
  /** SigV4's service name, and the first label of the region's endpoint (`dynamodb`, `secretsmanager`). */
  readonly name: string;
  /** The SDK's service-specific endpoint variable (`AWS_ENDPOINT_URL_DYNAMODB`). */
  readonly endpointVariable: string;
  readonly contentType: 'application/x-amz-json-1.0' | 'application/x-amz-json-1.1';
  /** What precedes the operation in `x-amz-target` (`DynamoDB_20120810`, `secretsmanager`). */
  readonly targetPrefix: string;
}

/** Calls one operation with its input; rejects with an AwsServiceError, a transport error, or the signal's reason. */
export type AwsJsonCall = (operation: string, input: unknown, signal: AbortSignal) => Promise<unknown>;

/** An error the service answered with (its `__type`'s last part as the name, as the SDK names it). */
export class AwsServiceError extends Error {
  constructor(override readonly name: string, message: string, readonly $metadata: { httpStatusCode?: number }) {
    super(message);
  }
}

const bytesOf = (data: SourceData): string | Uint8Array =>
  (typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data));

// The signer's hash: SHA-256, keyed (HMAC) when given a secret, as @smithy/hash-node makes it.
class Sha256 {
  private hash: Hash | Hmac;
  private readonly secret: string | Uint8Array | undefined;
  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : bytesOf(secret);
    this.hash = this.fresh();
  }

  private fresh() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }

  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }

  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }

  reset(): void {
    this.hash = this.fresh();
  }
}

/** The endpoint as the SDK resolves it: the service's AWS_ENDPOINT_URL_* variable, AWS_ENDPOINT_URL, else the region's. */
export function awsEndpoint(env: NodeJS.ProcessEnv, service: Pick<AwsJsonService, 'name' | 'endpointVariable'>, region: string): URL {
  const configured = env[service.endpointVariable] || env.AWS_ENDPOINT_URL;
  if (configured) return new URL(configured);
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return new URL(`https://${service.name}.${region}.${suffix}`);
}

// The retry strategy sleeps before it hands out a token: the caller's time limit cuts that sleep short.
const untilAborted = <T>(promise: Promise<T>, signal: AbortSignal) => new Promise<T>((resolve, reject) => {
  const onAbort = () => reject(signal.reason as Error);
  signal.addEventListener('abort', onAbort, { once: true });
  promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
});

/**
 * A client of one service for this container: at most `maxAttempts` tries of a call under the SDK's
 * standard retry strategy (throttling, transient and server errors are retried), every try within
 * `timeoutMs` and the caller's signal.
 */
export function createAwsJsonClient(service: AwsJsonService, timeoutMs: number, maxAttempts = 2): AwsJsonCall {
  const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('no AWS region: AWS_REGION is not set');
  const endpoint = awsEndpoint(process.env, service, region);
  const signer = new SignatureV4({ service: service.name, region, credentials: fromEnv(), sha256: Sha256 });
  const http = new NodeHttpHandler({ connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true });
  const retry = new StandardRetryStrategy(maxAttempts);

  async function once(operation: string, body: string, signal: AbortSignal): Promise<unknown> {
    const request = new HttpRequest({
      protocol: endpoint.protocol, hostname: endpoint.hostname, port: endpoint.port ? Number(endpoint.port) : undefined,
      method: 'POST', path: endpoint.pathname || '/',
      headers: {
        host: endpoint.host, 'content-type': service.contentType, 'x-amz-target': `${service.targetPrefix}.${operation}`,
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    });
    const signed = await signer.sign(request);
    const { response } = await http.handle(signed as HttpRequest, { abortSignal: signal });
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = response.statusCode;
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new AwsServiceError(status >= 500 ? 'InternalServerError' : 'InvalidResponse', `HTTP ${status}: not JSON`, { httpStatusCode: status });
    }
    if (status >= 300) {
      const { __type: type, message, Message } = (parsed ?? {}) as { __type?: string; message?: string; Message?: string };
      const name = String(type ?? `HTTP${status}`).split('#').pop()!;
      throw new AwsServiceError(name, String(message ?? Message ?? `HTTP ${status}`), { httpStatusCode: status });
    }
    return parsed;
  }

  return async (operation, input, signal) => {
    const body = JSON.stringify(input);
    let token = await retry.acquireInitialRetryToken(service.name);
    for (;;) {
      try {
        const output = await once(operation, body, signal);
        retry.recordSuccess(token);
        return output;
      } catch (err) {
        if (signal.aborted) throw err;
        const error = err as Parameters<typeof isThrottlingError>[0];
        const errorType = isThrottlingError(error) ? 'THROTTLING' : isTransientError(error) ? 'TRANSIENT' : isServerError(error) ? 'SERVER_ERROR' : 'CLIENT_ERROR';
        try {
          token = await untilAborted(retry.refreshRetryTokenForRetry(token, { errorType }), signal);
        } catch {
          throw err; // no retry left (or the time is up): the error that ended it
        }
      }
    }
  };
}
