import type { IncomingHttpHeaders } from 'node:http';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A failed request, with a cause an operator can act on (connection refused, timed out, too large). */
export class HttpGetError extends Error {
  override name = 'HttpGetError';
}

/**
 * A GET with exactly the headers given (node:http sends no others but `host` and `connection`, where fetch
 * adds `accept-language`, `sec-fetch-mode` and merges same-named headers), bounded in time and size, never
 * following a redirect. node:http(s) is loaded on first use: a cold start without a JWKS URL never pays for it.
 * @throws HttpGetError
 */
export async function httpGet(url: URL, headers: Readonly<Record<string, string>>, limits: { timeoutMs: number; maxBytes: number }): Promise<HttpAnswer> {
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new HttpGetError(why));
    const req = request(url, { method: 'GET', headers, signal: AbortSignal.timeout(limits.timeoutMs) }, (res) => {
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > limits.maxBytes) {
        res.destroy();
        return fail(`the answer is larger than ${limits.maxBytes} bytes`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > limits.maxBytes) {
          res.destroy();
          fail(`the answer is larger than ${limits.maxBytes} bytes`);
        } else {
          chunks.push(chunk);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (err) => fail(describeNetworkError(err, limits.timeoutMs)));
    });
    req.on('error', (err) => fail(describeNetworkError(err, limits.timeoutMs)));
    req.end();
  });
}

function describeNetworkError(err: Error, timeoutMs: number): string {
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
      return 'connection reset';
    default:
      return code !== undefined ? `${code}: ${err.message}` : err.message;
  }
}
