import type { Logger } from '@aws-lambda-powertools/logger';
import type { Decision, DecisionRecord } from './authorizer.ts';
import type { RuleClaimNames } from './rules/parse-rules.ts';

export interface DecisionLogOptions {
  /** false: allows are not logged at INFO (JWT_LOG_ALLOWS), for fleets that audit connects elsewhere. */
  readonly logAllows: boolean;
  readonly ruleClaims: RuleClaimNames;
}

/**
 * The default line (INFO): who connected, with which key, how long it took, IoT's connection id (it
 * correlates with IoT's own logs), and on a deny the reason and its short detail. Field names are short:
 * a line is billed by the byte. `cold` marks a container's first invocation (the dashboard counts them:
 * at the WARN system log level Lambda writes no REPORT lines).
 */
export function compactFields(record: DecisionRecord, coldStart: boolean): Record<string, unknown> {
  return {
    client: record.clientId, sub: record.sub, iss: record.iss, kid: record.kid, ms: record.durationMs, conn: record.connectionId,
    ...(record.reason !== undefined && { reason: record.reason, detail: record.detail }),
    ...(coldStart && { cold: true }),
  };
}

/** Everything for troubleshooting (DEBUG): the rules as the token gave them, the policy documents, the key's origin, the timers. */
export function debugFields({ record, response, claims }: Decision, ruleClaims: RuleClaimNames): Record<string, unknown> {
  const tokenRules = claims === undefined ? undefined : Object.fromEntries(
    [ruleClaims.acl, ruleClaims.pubRules, ruleClaims.subRules].filter((name) => Object.hasOwn(claims, name)).map((name) => [name, claims[name]]));
  return {
    username: record.username, alg: record.alg, keyOrigin: record.keyOrigin, rules: record.rules, tokenRules,
    ...(response.isAuthenticated && {
      disconnectAfterInSeconds: response.disconnectAfterInSeconds, refreshAfterInSeconds: response.refreshAfterInSeconds,
      policy: response.policyDocuments,
    }),
  };
}

/** Writes the invocation's one line (and the cause of an INTERNAL deny, with its stack). */
export function logDecision(logger: Logger, decision: Decision, options: DecisionLogOptions, coldStart: boolean): void {
  const { record } = decision;
  const debug = logger.level <= 8; // DEBUG or TRACE, set or sampled (POWERTOOLS_LOGGER_SAMPLE_RATE)
  const fields = debug ? { ...compactFields(record, coldStart), ...debugFields(decision, options.ruleClaims) } : compactFields(record, coldStart);
  if (record.decision === 'deny') logger.warn('deny', fields);
  // A cold start is always written, so that the dashboard's count of them holds without allows.
  else if (options.logAllows || debug || coldStart) logger.info('allow', fields);
  if (decision.cause !== undefined) logger.error('internal error behind a deny', { error: decision.cause as Error });
}
