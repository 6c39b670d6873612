// The token `npm start` prints for its try-it commands: minted so that it passes the configuration in
// force (JWT_ISSUER, JWT_AUDIENCE, JWT_VERIFY_CLAIMS), and checked against it before it is printed.
import type { JWTPayload } from 'jose';
import { createAuthorizer, type Authorizer } from '../functions/authorizer/authorizer.ts';
import { renderTemplate } from '../functions/authorizer/verify/claims.ts';
import type { Config, Profile } from '../functions/authorizer/config/config.ts';
import { mintDevToken, type DevKey } from './dev-key.ts';
import { clientEvent, connectEvent, LOCAL_FUNCTION_ARN, type IotProtocol } from './iot-event.ts';

export interface TryItToken {
  readonly token: string;
  /** Undefined when the configuration allows it; else why it does not, e.g. `TOKEN_MALFORMED {...}`. */
  readonly refused: string | undefined;
}

/** The claims a token needs under `config` to connect as this client, besides its own. */
export function claimsForConfig(config: Profile, clientId: string, username: string): JWTPayload {
  const claims: Record<string, unknown> = {};
  if (config.issuers !== undefined) claims.iss = config.issuers[0];
  if (config.audiences !== undefined) claims.aud = config.audiences[0];
  for (const [claim, expected] of Object.entries(config.verifyClaims)) {
    claims[claim] = typeof expected === 'string' ? renderTemplate(expected, { clientId, username }) : expected;
  }
  return claims;
}

// One authorizer per configuration: its key sources (a JWKS fetch, a secret read) serve every token checked.
const authorizers = new WeakMap<Config, Authorizer>();
function authorizerFor(config: Config): Authorizer {
  let authorizer = authorizers.get(config);
  if (authorizer === undefined) {
    authorizer = createAuthorizer(config);
    authorizers.set(config, authorizer);
  }
  return authorizer;
}

/** Mints a development token for this client under `config`, and says whether the authorizer accepts it. */
export async function mintTryItToken(config: Config, key: DevKey, clientId: string, own: JWTPayload, ttlSeconds: number, protocol: IotProtocol = 'mqtt'): Promise<TryItToken> {
  // The development key stands for the first issuer's signer (with profiles, mint under its `issuer`).
  const token = await mintDevToken(key, { sub: clientId, ...own, ...claimsForConfig(config.profiles[0]!, clientId, clientId) }, ttlSeconds);
  let event;
  try {
    // Where such a client puts the token: the MQTT password, or for HTTPS the first header or query JWT_FROM reads.
    event = protocol === 'mqtt'
      ? connectEvent({ password: token, username: clientId, clientId, authorizerName: 'JwtAuthorizer' })
      : clientEvent({ protocol, sources: config.tokenFrom, token, clientId, username: clientId });
  } catch (err) {
    return { token, refused: (err as Error).message };
  }
  // The dev key's JWKS is served locally: the check runs the real verification against it.
  const { record } = await authorizerFor(config).decide(event, LOCAL_FUNCTION_ARN);
  return { token, refused: record.decision === 'allow' ? undefined : `${record.reason}${record.detail ? ` ${JSON.stringify(record.detail)}` : ''}` };
}
