// Runs one CONNECT through an authorizer the way IoT Core would call it.
import type { Authorizer, Decision } from '../../functions/authorizer/authorizer.ts';
import { connectEvent, LOCAL_FUNCTION_ARN } from '../../local/iot-event.ts';

export interface ConnectOptions {
  readonly clientId?: string;
  readonly username?: string;
  readonly from?: 'password' | 'username';
}

export function connect(authorizer: Authorizer, token: string, options: ConnectOptions = {}): Promise<Decision> {
  const { clientId = 'dev-1', username = 'user-1', from = 'password' } = options;
  const event = from === 'password'
    ? connectEvent({ password: token, username, clientId, authorizerName: 'JwtAuthorizer' })
    : connectEvent({ username: token, clientId, authorizerName: 'JwtAuthorizer' });
  return authorizer.decide(event, LOCAL_FUNCTION_ARN);
}

/** The deny code, or 'ALLOW'. */
export async function verdict(authorizer: Authorizer, token: string, options?: ConnectOptions): Promise<string> {
  const { record } = await connect(authorizer, token, options);
  return record.decision === 'allow' ? 'ALLOW' : record.reason ?? 'DENY_WITHOUT_REASON';
}
