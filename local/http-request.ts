// What IoT passes a custom authorizer of an HTTP request (a WebSocket upgrade or an HTTPS publish), in
// `protocolData.http`: the headers as the client sent them, and the raw query string with its `?`.
import type { IncomingMessage } from 'node:http';

export interface HttpRequestData {
  readonly headers: Record<string, string>;
  readonly queryString: string | undefined;
}

export function httpRequestData(req: IncomingMessage): HttpRequestData {
  const headers: Record<string, string> = {};
  // rawHeaders keeps the client's spelling; a name sent twice is joined, as HTTP allows for list fields.
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]},${value}` : value;
  }
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return { headers, queryString: query === -1 || query === url.length - 1 ? undefined : url.slice(query) };
}

const NAME = 'x-amz-customauthorizer-name';

/**
 * The authorizer a client names: in the MQTT username's query string (`…?x-amz-customauthorizer-name=NAME`),
 * or in an HTTP request's header or query parameter of that name. Undefined when it names none.
 */
export function authorizerNamed(username: string | undefined, http: HttpRequestData | undefined): string | undefined {
  const header = http && Object.entries(http.headers).find(([name]) => name.toLowerCase() === NAME)?.[1];
  if (header !== undefined) return header;
  const fromQuery = http?.queryString && new URLSearchParams(http.queryString.slice(1)).get(NAME);
  if (fromQuery) return fromQuery;
  const query = username?.indexOf('?') ?? -1;
  if (query === -1) return undefined;
  return new URLSearchParams(username!.slice(query + 1)).get(NAME) ?? undefined;
}

/** A request's body, or undefined once it passes `maxBytes` (the rest is not read). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
