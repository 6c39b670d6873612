// A JWKS endpoint on 127.0.0.1: serves a key set, and can answer an error, garbage or nothing (to try outages).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type JwksBehaviour =
  | { readonly json: unknown; readonly delayMs?: number }
  | { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }
  | 'hang';

export interface JwksServer {
  readonly url: URL;
  hits(): number;
  lastHeaders(): IncomingHttpHeaders | undefined;
  serve(next: JwksBehaviour): void;
  close(): Promise<void>;
}

export async function startJwksServer(initial: JwksBehaviour): Promise<JwksServer> {
  let behaviour = initial;
  let hits = 0;
  let headers: IncomingHttpHeaders | undefined;
  const server = createServer((req, res) => {
    hits += 1;
    headers = req.headers;
    if (behaviour === 'hang') return;
    if ('json' in behaviour) {
      const body = JSON.stringify(behaviour.json);
      const send = () => { if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end(body); };
      if (behaviour.delayMs === undefined) send();
      else setTimeout(send, behaviour.delayMs).unref();
      return;
    }
    res.writeHead(behaviour.status, behaviour.headers ?? { 'content-type': 'text/html' }).end(behaviour.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`),
    hits: () => hits,
    lastHeaders: () => headers,
    serve: (next) => { behaviour = next; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
