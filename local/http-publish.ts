// HTTPS publish as IoT's data endpoint answers it (`POST /topics/{topic}?qos=0|1[&retain=true]`, the message in the
// body): each request is authorized by the custom authorizer, with the request's headers and query string,
// and the policy it returns must allow iot:Publish on the topic. Answers are restJson, like IoT's:
// 200 {"message":"OK","traceId":…}; otherwise the error's type in `x-amzn-ErrorType`.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Aedes } from 'aedes';
import type { AuthorizerResponse } from '../functions/authorizer/policy/response.ts';
import { iotEvent } from './iot-event.ts';
import { policyAllows } from './iot-policy.ts';
import { authorizerNamed, httpRequestData, readBody } from './http-request.ts';

/** IoT's message size limit (128 KB). */
const MAX_PAYLOAD_BYTES = 128 * 1024;

export interface HttpPublishOptions {
  readonly aedes: Aedes;
  readonly invoke: (event: unknown) => Promise<AuthorizerResponse | undefined>;
  readonly arnPrefix: string;
  readonly authorizerName: string;
  readonly log: (message: string, detail: Record<string, unknown>) => void;
}

export function answer(res: ServerResponse, status: number, message: string, type?: string): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(type && { 'x-amzn-ErrorType': type }) })
    .end(JSON.stringify({ message, traceId: randomUUID() }));
}

export function httpPublish({ aedes, invoke, arnPrefix, authorizerName, log }: HttpPublishOptions) {
  return async (req: IncomingMessage, res: ServerResponse, rawTopic: string): Promise<void> => {
    let topic: string;
    try {
      topic = decodeURIComponent(rawTopic);
    } catch {
      return answer(res, 400, 'Invalid topic name', 'InvalidRequestException');
    }
    const params = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const qos = Number(params.get('qos') ?? '0');
    // IoT's Publish API takes `retain=true`, which needs iot:RetainPublish as well.
    const retain = params.get('retain') === 'true';
    if (topic === '' || /[+#\u0000]/.test(topic) || topic.length > 256) return answer(res, 400, 'Invalid topic name', 'InvalidRequestException');
    if (qos !== 0 && qos !== 1) return answer(res, 400, 'Invalid QoS: IoT supports 0 and 1', 'InvalidRequestException');
    const payload = await readBody(req, MAX_PAYLOAD_BYTES);
    if (payload === undefined) return answer(res, 413, 'Payload too large', 'RequestEntityTooLargeException');
    const http = httpRequestData(req);
    const named = authorizerNamed(undefined, http);
    if (named !== undefined && named !== authorizerName) {
      log('https publish refused', { topic, why: `no authorizer named "${named}" (IOT_AUTHORIZER_NAME)` });
      return answer(res, 401, 'Unauthorized', 'UnauthorizedException');
    }
    const response = await invoke(iotEvent({ protocol: 'https', headers: http.headers, queryString: http.queryString }));
    if (response?.isAuthenticated !== true) {
      log('https publish refused: the authorizer denied the request', { topic });
      return answer(res, 401, 'Unauthorized', 'UnauthorizedException');
    }
    if (!policyAllows(response.policyDocuments, arnPrefix, undefined).publish(topic, retain)) {
      log(`https publish refused: the policy does not allow ${retain ? 'iot:Publish + iot:RetainPublish' : 'iot:Publish'}`, { topic, principalId: response.principalId });
      return answer(res, 403, 'Forbidden', 'ForbiddenException');
    }
    await new Promise<void>((resolve) => aedes.publish({ cmd: 'publish', topic, payload, qos: qos as 0 | 1, retain, dup: false }, () => resolve()));
    log('https publish', { topic, qos, retain, bytes: payload.length, principalId: response.principalId });
    answer(res, 200, 'OK');
  };
}
