// The local stack's ports, each with its variable (0 = any free port) and a clear error when taken: MQTT
// over TCP, MQTT over TLS (ALPN `mqtt`, as IoT's port 443), MQTT over WebSocket at `/mqtt`, and the data
// endpoint over HTTP.
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';

export interface ListenerPorts {
  readonly mqttPort?: number;
  readonly wsPort?: number;
  /** MQTT over TLS: listens only when `tls` is given. */
  readonly tlsPort?: number;
  readonly tls?: { readonly cert: string; readonly key: string };
  /** The local data endpoint: IOT_HTTP_PORT. */
  readonly httpPort?: number;
}

/** A port the local stack needs is taken: says which, and which variable moves it. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(readonly variable: string, readonly port: number) {
    super(`port ${port} is in use: set ${variable} to a free port, or 0 for any free port`);
  }
}

export interface Listeners {
  readonly servers: readonly (Server | HttpServer)[];
  readonly sockets: Set<Socket>;
  readonly ws: WebSocketServer;
  readonly ports: { mqtt: number; ws: number; http: number; tls: number | undefined };
}

type Handle = (stream: Duplex, req?: IncomingMessage) => unknown;

const listen = (server: Server | HttpServer, port: number, variable: string) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(variable, port) : err));
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

export async function openListeners(handle: Handle, data: RequestListener, ports: ListenerPorts): Promise<Listeners> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const tcp = createNetServer((socket) => { track(socket); handle(socket); });
  const tls = ports.tls && createTlsServer({ ...ports.tls, ALPNProtocols: ['mqtt'] }, (socket) => { track(socket); handle(socket); });
  const http = createHttpServer();
  // IoT serves MQTT over WebSocket at /mqtt; the upgrade request goes with the stream, for the authorizer.
  const ws = new WebSocketServer({ server: http, path: '/mqtt' });
  ws.on('connection', (socket, req) => handle(createWebSocketStream(socket), req));
  ws.on('error', () => {}); // the http server's own errors (a taken port) are reported by listen()
  const endpoint = createHttpServer(data);
  const servers = [tcp, http, endpoint, ...(tls ? [tls] : [])];
  const listeners: Listeners = { servers, sockets, ws, ports: { mqtt: 0, ws: 0, http: 0, tls: undefined } };
  try {
    listeners.ports.mqtt = await listen(tcp, ports.mqttPort ?? 1883, 'MQTT_PORT');
    listeners.ports.ws = await listen(http, ports.wsPort ?? 8083, 'MQTT_WS_PORT');
    listeners.ports.http = await listen(endpoint, ports.httpPort ?? 8080, 'IOT_HTTP_PORT');
    if (tls) listeners.ports.tls = await listen(tls, ports.tlsPort ?? 8883, 'MQTT_TLS_PORT');
  } catch (err) {
    await closeListeners(listeners);
    throw err;
  }
  return listeners;
}

export async function closeListeners({ servers, sockets, ws }: Listeners): Promise<void> {
  for (const client of ws.clients) client.terminate();
  ws.close();
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
    if ('closeAllConnections' in server) server.closeAllConnections();
    if (!server.listening) return resolve();
    server.close(() => resolve());
  })));
}
