// A local MQTT broker that authorizes like AWS IoT Core: on CONNECT it sends the custom authorizer the event
// IoT would send, then enforces the returned policy for Connect, Publish, RetainPublish, Subscribe and
// Receive, re-invokes the authorizer after refreshAfterInSeconds, and disconnects after
// disconnectAfterInSeconds.
import { Aedes, type Client } from 'aedes';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { Context } from 'aws-lambda';
import type { AuthorizerResponse } from '../functions/authorizer/policy/response.ts';
import { connectEvent, lambdaContext, LOCAL_FUNCTION_ARN } from './iot-event.ts';
import { dataEndpoint } from './data-endpoint.ts';
import { policyAllows } from './iot-policy.ts';

export type AuthorizerHandler = (event: unknown, context: Context) => Promise<AuthorizerResponse>;

export interface BrokerOptions {
  readonly handler: AuthorizerHandler;
  /** 0 picks a free port. */
  readonly mqttPort?: number;
  readonly wsPort?: number;
  /** The local data endpoint (DeleteConnection, …): IOT_HTTP_PORT. */
  readonly httpPort?: number;
  readonly authorizerName?: string;
  readonly functionArn?: string;
  /** Multiplies the authorizer's timers (1 = real seconds); tests shorten IoT's 300-second minimum. */
  readonly timeScale?: number;
  readonly log?: (message: string, detail: Record<string, unknown>) => void;
}

/** A port the local stack needs is taken: says which, and which variable moves it. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(readonly variable: string, readonly port: number) {
    super(`port ${port} is in use: set ${variable} to a free port, or 0 for any free port`);
  }
}

export interface LocalBroker {
  readonly mqttUrl: string;
  readonly wsUrl: string;
  /** The local data endpoint, e.g. `http://127.0.0.1:8080`: set AWS_ENDPOINT_URL_IOT_DATA_PLANE to it. */
  readonly dataUrl: string;
  readonly aedes: Aedes;
  close(): Promise<void>;
}

/** IoT Core waits 5 s for a custom authorizer; later or failing answers are denials. */
const AUTHORIZER_TIMEOUT_MS = 5000;
// MQTT 3.1.1 CONNACK return code 5: not authorized.
const NOT_AUTHORIZED = 5;

interface Session {
  allows: ReturnType<typeof policyAllows>;
  timers: NodeJS.Timeout[];
}

export async function startLocalBroker(options: BrokerOptions): Promise<LocalBroker> {
  const { handler, authorizerName = 'JwtAuthorizer', functionArn = LOCAL_FUNCTION_ARN, timeScale = 1, log = () => {} } = options;
  const arnPrefix = functionArn.split(':').slice(0, 5).join(':').replace(':lambda:', ':iot:');
  const sessions = new WeakMap<Client, Session>();
  const aedes = await Aedes.createBroker();

  const invoke = async (event: unknown): Promise<AuthorizerResponse | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), AUTHORIZER_TIMEOUT_MS); });
    try {
      return await Promise.race([handler(event, lambdaContext(functionArn, AUTHORIZER_TIMEOUT_MS)), timeout]);
    } catch (err) {
      log('authorizer failed: connection denied', { error: String(err) });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
  const seconds = (s: number) => s * 1000 * timeScale;
  const endSession = (client: Client) => {
    for (const timer of sessions.get(client)?.timers ?? []) clearTimeout(timer);
    sessions.delete(client);
  };

  aedes.authenticate = (client, username, password, done) => {
    const refuse = (why: string) => {
      log('connect refused', { clientId: client.id, why });
      done(Object.assign(new Error(why), { returnCode: NOT_AUTHORIZED }), false);
    };
    // Devices name the authorizer in the username's query string; a device that does not is using the
    // endpoint's default authorizer, which this broker stands for. IoT refuses a name it does not know
    // without invoking any function, and passes the username on whole (the SDKs' `&SDK=…&Platform=…`
    // included): stripping it is the authorizer's job, as on IoT.
    const named = authorizerNamed(username);
    if (named !== undefined && named !== authorizerName) {
      return refuse(`no authorizer named "${named}" (this endpoint has "${authorizerName}": IOT_AUTHORIZER_NAME)`);
    }
    const event = connectEvent({
      username, password: password ?? undefined, clientId: client.id, connectionId: randomUUID(),
      authorizerName: named === undefined ? authorizerName : undefined,
    });
    void invoke(event).then((response) => {
      if (response?.isAuthenticated !== true) return refuse('the authorizer denied the connection');
      const allows = policyAllows(response.policyDocuments, arnPrefix, client.id);
      if (!allows.connect()) return refuse('the policy does not allow iot:Connect for this client id');
      const session: Session = { allows, timers: [] };
      sessions.set(client, session);
      session.timers.push(setTimeout(() => {
        log('disconnected: disconnectAfterInSeconds passed', { clientId: client.id });
        client.close();
      }, seconds(response.disconnectAfterInSeconds)).unref());
      const refresh = (after: number) => {
        if (after >= response.disconnectAfterInSeconds) return;
        session.timers.push(setTimeout(() => void invoke({ ...event, connectionMetadata: { id: randomUUID() } }).then((next) => {
          if (!sessions.has(client)) return;
          if (next?.isAuthenticated !== true) {
            log('disconnected: the policy refresh was denied', { clientId: client.id });
            client.close();
            return;
          }
          session.allows = policyAllows(next.policyDocuments, arnPrefix, client.id);
          refresh(after + next.refreshAfterInSeconds);
        }), seconds(after)).unref());
      };
      refresh(response.refreshAfterInSeconds);
      log('connected', { clientId: client.id, disconnectAfterInSeconds: response.disconnectAfterInSeconds, refreshAfterInSeconds: response.refreshAfterInSeconds });
      done(null, true);
    });
  };

  // IoT closes an MQTT 3.1.1 connection that publishes or subscribes without permission ("the server will
  // close the connection if client does not have authorized action": aws-iot-device-sdk-js#125; lifecycle
  // events report AUTH_ERROR). aedes closes the connection when these hooks answer an error.
  aedes.authorizePublish = (client, packet, done) => {
    const allows = client && sessions.get(client)?.allows;
    const action = packet.retain ? 'iot:Publish + iot:RetainPublish' : 'iot:Publish';
    if (allows?.publish(packet.topic, packet.retain) === true) return done(null);
    log('publish denied: disconnecting', { clientId: client?.id, topic: packet.topic, action });
    done(new Error(`not authorized: ${action} on ${packet.topic}`));
  };
  aedes.authorizeSubscribe = (client, subscription, done) => {
    if (sessions.get(client)?.allows.subscribe(subscription.topic) === true) return done(null, subscription);
    log('subscribe denied: disconnecting', { clientId: client.id, filter: subscription.topic });
    done(new Error(`not authorized: iot:Subscribe on ${subscription.topic}`));
  };
  // iot:Receive is checked for every delivery: a denied one is dropped, the connection stays.
  aedes.authorizeForward = (client, packet) => {
    if (sessions.get(client)?.allows.receive(packet.topic) === true) return packet;
    log('delivery dropped (iot:Receive denied)', { clientId: client.id, topic: packet.topic });
    return null;
  };
  aedes.on('clientDisconnect', endSession);
  aedes.on('clientError', (client) => endSession(client));

  const tcp = createNetServer(aedes.handle);
  const data = createHttpServer(dataEndpoint(aedes, log));
  const http = createHttpServer();
  const ws = new WebSocketServer({ server: http });
  ws.on('connection', (socket) => aedes.handle(createWebSocketStream(socket) as never));
  ws.on('error', () => {}); // the http server's own errors (a taken port) are reported by listen()
  const listen = (server: Server | ReturnType<typeof createHttpServer>, port: number, variable: string) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(variable, port) : err));
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  let mqttPort: number;
  let wsPort: number;
  let httpPort: number;
  try {
    mqttPort = await listen(tcp, options.mqttPort ?? 1883, 'MQTT_PORT');
    wsPort = await listen(http, options.wsPort ?? 8083, 'MQTT_WS_PORT');
    httpPort = await listen(data, options.httpPort ?? 8080, 'IOT_HTTP_PORT');
  } catch (err) {
    tcp.close();
    http.close();
    data.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  }
  return {
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    dataUrl: `http://127.0.0.1:${httpPort}`,
    aedes,
    close: async () => {
      for (const client of ws.clients) client.terminate();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await Promise.all([
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        new Promise<void>((resolve) => { ws.close(); http.closeAllConnections(); http.close(() => resolve()); }),
        new Promise<void>((resolve) => { data.closeAllConnections(); data.close(() => resolve()); }),
      ]);
    },
  };
}

/** The authorizer a CONNECT's username names (`…?x-amz-customauthorizer-name=NAME&…`), if it names one. */
function authorizerNamed(username: string | undefined): string | undefined {
  const query = username?.indexOf('?') ?? -1;
  if (query === -1) return undefined;
  return new URLSearchParams(username!.slice(query + 1)).get('x-amz-customauthorizer-name') ?? undefined;
}
