// The local data endpoint (IOT_HTTP_PORT): IoT's data plane as far as the local stack needs it, and the
// browser page.
// - `POST /topics/{topic}?qos=1`: HTTPS publish, authorized per request like IoT's (http-publish.ts).
// - `DELETE /connections/{clientId}`: DeleteConnection (so AWS_ENDPOINT_URL_IOT_DATA_PLANE pointed here lets
//   the AWS SDK, and `revoke --disconnect`, throw a local client off).
// - `GET /`: a page that connects over MQTT over WebSocket with a pasted token; `POST /explain` tells it why
//   a token is refused (local only: IoT never says).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Aedes } from 'aedes';
import type { AuthorizerResponse } from '../functions/authorizer/policy/response.ts';
import { answer, httpPublish } from './http-publish.ts';
import { readBody } from './http-request.ts';

const CONNECTION = /^\/connections\/([^/?]+)(?:\?.*)?$/;
const TOPIC = /^\/topics\/([^?]+)(?:\?.*)?$/;

/** Why a token is allowed or denied, for the page: the reason and detail of the authorizer's log line. */
export type Explain = (input: { token: string; clientId: string; protocol: 'wss' }) => Promise<{ decision: string; reason?: string; detail?: unknown }>;

export interface DataEndpointOptions {
  readonly aedes: Aedes;
  readonly log: (message: string, detail: Record<string, unknown>) => void;
  readonly invoke: (event: unknown) => Promise<AuthorizerResponse | undefined>;
  readonly arnPrefix: string;
  readonly authorizerName: string;
  readonly explain?: Explain;
  /** What the page needs to connect: known once the listeners are up. */
  readonly pageSettings: () => { wsUrl: string; authorizerName: string; tokenParameter: string | undefined };
}

const page = () => readFileSync(new URL('./web/index.html', import.meta.url), 'utf8');
const mqttBrowserBundle = () => readFileSync(createRequire(import.meta.url).resolve('mqtt/dist/mqtt.min'));

/** Answers IoT data-plane requests as IoT does (restJson: the error's type in `x-amzn-ErrorType`). */
export function dataEndpoint(options: DataEndpointOptions) {
  const { aedes, log, explain } = options;
  const publish = httpPublish(options);
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '';
    const connection = CONNECTION.exec(url);
    if (req.method === 'DELETE' && connection) {
      const clientId = decodeURIComponent(connection[1]!);
      const client = (aedes as unknown as { clients: Record<string, { close(): void } | undefined> }).clients[clientId];
      if (client === undefined) return answer(res, 404, `no connection for client id ${clientId}`, 'ResourceNotFoundException');
      log('disconnected: DeleteConnection', { clientId });
      client.close();
      res.writeHead(200, { 'content-type': 'application/json' }).end();
      return;
    }
    const topic = TOPIC.exec(url);
    if (topic) {
      if (req.method !== 'POST') return answer(res, 405, 'Method not allowed', 'MethodNotAllowedException');
      return publish(req, res, topic[1]!);
    }
    if (req.method === 'GET' && (url === '/' || url.startsWith('/?'))) {
      const html = page();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    if (req.method === 'GET' && url === '/local.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(options.pageSettings()));
      return;
    }
    if (req.method === 'GET' && url === '/mqtt.min.js') {
      const bundle = mqttBrowserBundle();
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      return;
    }
    if (req.method === 'POST' && url === '/explain' && explain !== undefined) {
      let input: { token?: unknown; clientId?: unknown } = {};
      try {
        const body = await readBody(req, 64 * 1024);
        if (body === undefined) throw new Error('body too large');
        input = JSON.parse(body.toString('utf8')) as typeof input;
      } catch {
        // answered below
      }
      if (typeof input?.token !== 'string' || typeof input.clientId !== 'string') return answer(res, 400, 'expected {"token":…,"clientId":…}', 'InvalidRequestException');
      const why = await explain({ token: input.token, clientId: input.clientId, protocol: 'wss' });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(why));
      return;
    }
    answer(res, 404, `no such resource: ${req.method} ${url}`, 'ResourceNotFoundException');
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((err: unknown) => {
      log('data endpoint failed', { error: String(err) });
      if (res.headersSent) res.destroy();
      else answer(res, 500, 'Internal failure', 'InternalFailureException');
    });
  };
}
