import type { IncomingHttpHeaders } from 'node:http';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

// RFC 9110 §5.1 (a field name is a token) and §5.5 (a field value: visible characters, spaces and tabs inside).
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HTTP_FIELD_VALUE = /^(?:[\x21-\x7e\x80-\xff](?:[\t \x21-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;
// These belong to the connection, not to the caller (content-length, connection, host, …), or would
// never arrive as given (__proto__): a request carrying one would fail, or go out without it.
const UNSENDABLE_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'expect', '__proto__']);

/** Why a header cannot be sent as given, or undefined when it can. */
export function headerProblem(name: string, value: string): string | undefined {
  if (!HTTP_TOKEN.test(name) || !HTTP_FIELD_VALUE.test(value)) return `header "${name}" has a name or value HTTP cannot carry`;
  if (UNSENDABLE_HEADERS.has(name.toLowerCase())) return `header "${name}" cannot be set on the request`;
  return undefined;
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
/** TLS for an endpoint on a private PKI: the CA bundle to trust, and a client certificate for mutual TLS. */
export interface TlsOptions {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export async function httpGet(url: URL, headers: Readonly<Record<string, string>>, limits: { timeoutMs: number; maxBytes: number }, tls: TlsOptions = {}): Promise<HttpAnswer> {
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new HttpGetError(why));
    // A custom CA or client certificate needs a connection of its own, not the shared agent's.
    const custom = tls.ca !== undefined || tls.cert !== undefined;
    const options = { method: 'GET', headers, signal: AbortSignal.timeout(limits.timeoutMs), ...(custom && { ...tls, agent: false }) };
    const req = request(url, options, (res) => {
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
