// A local MQTT broker that authorizes like AWS IoT Core: on CONNECT (over TCP, TLS or WebSocket, MQTT 3.1.1
// or 5) it sends the custom authorizer the event IoT would send, then enforces the returned policy for
// Connect, Publish, RetainPublish, Subscribe and Receive, re-invokes the authorizer after
// refreshAfterInSeconds, and disconnects after disconnectAfterInSeconds. HTTPS publish and the browser page
// are served by the data endpoint (IOT_HTTP_PORT).
import { Aedes, type Client } from 'aedes';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { Context } from 'aws-lambda';
import type { AuthorizerResponse } from '../functions/authorizer/policy/response.ts';
import { iotArnPrefix } from '../functions/authorizer/policy/policy.ts';
import { iotEvent, lambdaContext, LOCAL_FUNCTION_ARN } from './iot-event.ts';
import { dataEndpoint, type Explain } from './data-endpoint.ts';
import { policyAllows } from './iot-policy.ts';
import { closeListeners, openListeners, PortInUseError, type ListenerPorts } from './listeners.ts';
import { authorizerNamed, httpRequestData } from './http-request.ts';

export { PortInUseError };

export type AuthorizerHandler = (event: unknown, context: Context) => Promise<AuthorizerResponse>;
export type BrokerLog = (message: string, detail: Record<string, unknown>) => void;

export interface BrokerOptions extends ListenerPorts {
  readonly handler: AuthorizerHandler;
  readonly authorizerName?: string;
  readonly functionArn?: string;
  /** Multiplies the authorizer's timers (1 = real seconds); tests shorten IoT's 300-second minimum. */
  readonly timeScale?: number;
  readonly log?: BrokerLog;
  /** Says why a token is denied, for the browser page (the handler's answer carries no reason). */
  readonly explain?: Explain;
  /** The query parameter the page puts the token in (JWT_FROM's first `query:NAME`); none: the page says so. */
  readonly pageTokenParameter?: string;
}

export interface LocalBroker {
  readonly mqttUrl: string;
  /** MQTT over WebSocket, at IoT's path: `ws://127.0.0.1:8083/mqtt`. */
  readonly wsUrl: string;
  /** MQTT over TLS (ALPN `mqtt`), when a certificate was given: `mqtts://localhost:8883`. */
  readonly tlsUrl: string | undefined;
  /** The local data endpoint, e.g. `http://127.0.0.1:8080`: HTTPS publish, DeleteConnection, the browser page. */
  readonly dataUrl: string;
  readonly aedes: Aedes;
  close(): Promise<void>;
}

/** IoT Core waits 5 s for a custom authorizer; later or failing answers are denials. */
const AUTHORIZER_TIMEOUT_MS = 5000;
// CONNACK return code 5, not authorized: aedes sends MQTT 5 clients its reason code, 0x87 Not authorized,
// the code IoT's MQTT 5 reason-code table gives for a refused CONNECT.
const NOT_AUTHORIZED = 5;

interface Session {
  allows: ReturnType<typeof policyAllows>;
  timers: NodeJS.Timeout[];
}

/** Runs the authorizer as IoT does: at most 5 s, and anything but an answer is a deny. */
function authorizerInvoker(handler: AuthorizerHandler, functionArn: string, log: BrokerLog) {
  return async (event: unknown): Promise<AuthorizerResponse | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), AUTHORIZER_TIMEOUT_MS); });
    try {
      return await Promise.race([handler(event, lambdaContext(functionArn, AUTHORIZER_TIMEOUT_MS)), timeout]);
    } catch (err) {
      log('authorizer failed: request denied', { error: String(err) });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
}

export async function startLocalBroker(options: BrokerOptions): Promise<LocalBroker> {
  const { handler, authorizerName = 'JwtAuthorizer', functionArn = LOCAL_FUNCTION_ARN, timeScale = 1, log = () => {} } = options;
  // The resources' ARN prefix, as the function derives it from its own ARN.
  const arnPrefix = iotArnPrefix(functionArn);
  const sessions = new WeakMap<Client, Session>();
  const aedes = await Aedes.createBroker();
  const invoke = authorizerInvoker(handler, functionArn, log);
  const seconds = (s: number) => s * 1000 * timeScale;
  const endSession = (client: Client) => {
    for (const timer of sessions.get(client)?.timers ?? []) clearTimeout(timer);
    sessions.delete(client);
  };

  aedes.authenticate = (client, username, password, done) => {
    const refuse = (why: string) => {
      log('connect refused', { clientId: client.id, mqtt: client.version, why });
      done(Object.assign(new Error(why), { returnCode: NOT_AUTHORIZED }), false);
    };
    const conn = client.conn as unknown;
    // IoT takes custom authentication over MQTT only with ALPN `mqtt` (protocols page: port 443, ALPN mqtt).
    if (conn instanceof TLSSocket && conn.alpnProtocol !== 'mqtt') {
      return refuse('custom authentication over TLS needs the ALPN protocol "mqtt", as on IoT Core');
    }
    const upgrade = (client as Client & { req?: IncomingMessage }).req;
    const http = upgrade === undefined ? undefined : httpRequestData(upgrade);
    // A device names the authorizer in the username's query string (or, over WebSocket, the upgrade's header
    // or query); one that does not uses the endpoint's default authorizer, which this broker stands for. IoT
    // refuses a name it does not know without invoking any function, and passes the username on whole (the
    // SDKs' `&SDK=…&Platform=…` included): stripping it is the authorizer's job, as on IoT.
    const named = authorizerNamed(username, http);
    if (named !== undefined && named !== authorizerName) {
      return refuse(`no authorizer named "${named}" (this endpoint has "${authorizerName}": IOT_AUTHORIZER_NAME)`);
    }
    const event = iotEvent({
      protocol: http === undefined ? 'mqtt' : 'wss',
      username, password: password ?? undefined, clientId: client.id, connectionId: randomUUID(),
      serverName: conn instanceof TLSSocket && typeof conn.servername === 'string' ? conn.servername : undefined,
      headers: http?.headers, queryString: http?.queryString,
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
      log('connected', { clientId: client.id, mqtt: client.version, via: http === undefined ? 'mqtt' : 'wss', disconnectAfterInSeconds: response.disconnectAfterInSeconds, refreshAfterInSeconds: response.refreshAfterInSeconds });
      done(null, true);
    });
  };

  // MQTT 3.1.1: IoT closes a connection that publishes or subscribes without permission ("the server will
  // close the connection if client does not have authorized action": aws-iot-device-sdk-js#125; lifecycle
  // events report AUTH_ERROR); aedes closes it when these hooks answer an error. MQTT 5: the connection
  // stays, a QoS 1 PUBLISH gets PUBACK 0x87 (QoS 0 is dropped) and a SUBSCRIBE gets SUBACK 0x87.
  aedes.authorizePublish = (client, packet, done) => {
    const allows = client && sessions.get(client)?.allows;
    const action = packet.retain ? 'iot:Publish + iot:RetainPublish' : 'iot:Publish';
    if (allows?.publish(packet.topic, packet.retain) === true) return done(null);
    log(client?.version === 5 ? 'publish refused (PUBACK 0x87 at QoS 1)' : 'publish denied: disconnecting', { clientId: client?.id, topic: packet.topic, action });
    done(new Error(`not authorized: ${action} on ${packet.topic}`));
  };
  aedes.authorizeSubscribe = (client, subscription, done) => {
    if (sessions.get(client)?.allows.subscribe(subscription.topic) === true) return done(null, subscription);
    if (client.version === 5) {
      log('subscribe refused (SUBACK 0x87)', { clientId: client.id, filter: subscription.topic });
      return done(null, null);
    }
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
  aedes.on('clientError', (client) => {
    // MQTT 5 refusals are reported as client errors while the connection stays up.
    if (client.version !== 5 || !client.connected) endSession(client);
  });

  let wsUrl = '';
  const data = dataEndpoint({ aedes, log, invoke, arnPrefix, authorizerName, explain: options.explain, pageSettings: () => ({ wsUrl, authorizerName, tokenParameter: options.pageTokenParameter }) });
  let listeners;
  try {
    listeners = await openListeners(aedes.handle, data, options);
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  }
  const { ports } = listeners;
  wsUrl = `ws://127.0.0.1:${ports.ws}/mqtt`;
  return {
    mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`,
    wsUrl,
    tlsUrl: ports.tls === undefined ? undefined : `mqtts://localhost:${ports.tls}`,
    dataUrl: `http://127.0.0.1:${ports.http}`,
    aedes,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await closeListeners(listeners);
    },
  };
}
