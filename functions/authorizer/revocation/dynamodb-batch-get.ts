// DynamoDB's BatchGetItem over its JSON 1.0 protocol, built from the SDK's own pieces: its SigV4 signer, its
// Node HTTP handler (the same one the Secrets Manager client uses, so it is already in the bundle), Lambda's
// credentials from the environment, and the SDK's standard retry strategy and error classification. The
// generated DynamoDB client would add about 100 KB to the bundle (every shape and error of the service)
// for this one call.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpRequest } from '@smithy/core/transport';
import { isServerError, isThrottlingError, isTransientError, StandardRetryStrategy } from '@smithy/core/retry';
import type { SourceData } from '@smithy/types';

/** DynamoDB's answer to BatchGetItem, as far as a reader of one table needs it. */
export interface BatchGetOutput {
  readonly Responses?: Record<string, Array<Record<string, unknown>>>;
  readonly UnprocessedKeys?: Record<string, { Keys?: Array<Record<string, unknown>> }>;
}

export type BatchGetItem = (input: unknown, signal: AbortSignal) => Promise<BatchGetOutput>;

/** An error DynamoDB answered with (its `__type`'s last part as the name), or a transport failure. */
export class DynamoDbError extends Error {
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

/** The endpoint as the SDK resolves it: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, else the region's. */
export function dynamoDbEndpoint(env: NodeJS.ProcessEnv, region: string): URL {
  const configured = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  if (configured) return new URL(configured);
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return new URL(`https://dynamodb.${region}.${suffix}`);
}

// The retry strategy sleeps before it hands out a token: the caller's time limit cuts that sleep short.
const untilAborted = <T>(promise: Promise<T>, signal: AbortSignal) => new Promise<T>((resolve, reject) => {
  const onAbort = () => reject(signal.reason as Error);
  signal.addEventListener('abort', onAbort, { once: true });
  promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
});

/**
 * A BatchGetItem sender for this container: at most `maxAttempts` tries under the SDK's standard retry
 * strategy (throttling, transient and server errors are retried), every try within `timeoutMs` and the
 * caller's signal.
 */
export function createBatchGetItem(timeoutMs: number, maxAttempts = 2): BatchGetItem {
  const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('no AWS region: AWS_REGION is not set');
  const endpoint = dynamoDbEndpoint(process.env, region);
  const signer = new SignatureV4({ service: 'dynamodb', region, credentials: fromEnv(), sha256: Sha256 });
  const http = new NodeHttpHandler({ connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true });
  const retry = new StandardRetryStrategy(maxAttempts);

  async function once(body: string, signal: AbortSignal): Promise<BatchGetOutput> {
    const request = new HttpRequest({
      protocol: endpoint.protocol, hostname: endpoint.hostname, port: endpoint.port ? Number(endpoint.port) : undefined,
      method: 'POST', path: endpoint.pathname || '/',
      headers: {
        host: endpoint.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.BatchGetItem',
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
      throw new DynamoDbError(status >= 500 ? 'InternalServerError' : 'InvalidResponse', `HTTP ${status}: not JSON`, { httpStatusCode: status });
    }
    if (status >= 300) {
      const { __type: type, message, Message } = (parsed ?? {}) as { __type?: string; message?: string; Message?: string };
      const name = String(type ?? `HTTP${status}`).split('#').pop()!;
      throw new DynamoDbError(name, String(message ?? Message ?? `HTTP ${status}`), { httpStatusCode: status });
    }
    return parsed as BatchGetOutput;
  }

  return async (input, signal) => {
    const body = JSON.stringify(input);
    let token = await retry.acquireInitialRetryToken('dynamodb');
    for (;;) {
      try {
        const output = await once(body, signal);
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
