// A JWKS endpoint on 127.0.0.1: serves a key set, and can answer an error, garbage or nothing (to try outages).
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';

export type JwksBehaviour =
  | { readonly json: unknown; readonly delayMs?: number }
  | { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }
  | 'hang';

/** What the endpoint demands, as private identity providers do. */
export interface JwksServerOptions {
  /** HTTP Basic credentials every request must carry (else 401). */
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** A header every request must carry with this value (else 403), e.g. an API key. */
  readonly requiredHeader?: { readonly name: string; readonly value: string };
  /** Serve HTTPS with this certificate; with `clientCa`, demand a client certificate that CA signed (else the handshake fails). */
  readonly tls?: { readonly cert: string; readonly key: string; readonly clientCa?: string };
}

export interface JwksServer {
  readonly url: URL;
  hits(): number;
  lastHeaders(): IncomingHttpHeaders | undefined;
  serve(next: JwksBehaviour): void;
  close(): Promise<void>;
}

export async function startJwksServer(initial: JwksBehaviour, options: JwksServerOptions = {}): Promise<JwksServer> {
  let behaviour = initial;
  let hits = 0;
  let headers: IncomingHttpHeaders | undefined;
  const basic = options.basicAuth && `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    hits += 1;
    headers = req.headers;
    if (basic !== undefined && req.headers.authorization !== basic) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="jwks"' }).end();
      return;
    }
    if (options.requiredHeader && req.headers[options.requiredHeader.name.toLowerCase()] !== options.requiredHeader.value) {
      res.writeHead(403).end();
      return;
    }
    if (options.tls?.clientCa !== undefined && !(req.socket as TLSSocket).authorized) {
      res.writeHead(403).end();
      return;
    }
    if (behaviour === 'hang') return;
    if ('json' in behaviour) {
      const body = JSON.stringify(behaviour.json);
      const send = () => { if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end(body); };
      if (behaviour.delayMs === undefined) send();
      else setTimeout(send, behaviour.delayMs).unref();
      return;
    }
    res.writeHead(behaviour.status, behaviour.headers ?? { 'content-type': 'text/html' }).end(behaviour.body ?? '');
  };
  const { tls } = options;
  const server = tls === undefined ? createServer(handle)
    : createTlsServer({ cert: tls.cert, key: tls.key, ...(tls.clientCa !== undefined && { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }) }, handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}/.well-known/jwks.json`),
    hits: () => hits,
    lastHeaders: () => headers,
    serve: (next) => { behaviour = next; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
