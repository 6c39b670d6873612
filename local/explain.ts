// Why the authorizer allows or denies a token, from the source with the settings in force: the browser
// page's "why was I refused" (IoT itself never says; the authorizer's log line does).
import { createAuthorizer } from '../functions/authorizer/authorizer.ts';
import type { Config } from '../functions/authorizer/config/config.ts';
import type { Explain } from './data-endpoint.ts';
import { clientEvent, LOCAL_FUNCTION_ARN } from './iot-event.ts';

export function createExplain(config: Config, authorizerName: string): Explain {
  const authorizer = createAuthorizer(config);
  return async ({ token, clientId, protocol }) => {
    const { record } = await authorizer.decide(clientEvent({ protocol, sources: config.tokenFrom, token, clientId, authorizerName }), LOCAL_FUNCTION_ARN);
    return { decision: record.decision, reason: record.reason, detail: record.detail };
  };
}
