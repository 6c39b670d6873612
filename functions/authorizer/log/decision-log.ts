import type { Logger } from '@aws-lambda-powertools/logger';
import type { Decision, DecisionRecord } from '../authorizer.ts';

export interface DecisionLogOptions {
  /** false: allows are not logged at INFO (JWT_LOG_ALLOWS), for fleets that audit connects elsewhere. */
  readonly logAllows: boolean;
  /** The claims that may carry rules, under any issuer's profile. */
  readonly ruleClaims: readonly string[];
  /** The logger's level when it cannot change (no sampling); undefined: ask the logger each time. */
  readonly level?: number;
}

/**
 * The default line (INFO): who connected, with which key, how long it took, IoT's connection id (it
 * correlates with IoT's own logs), and on a deny the reason and its short detail. Field names are short:
 * a line is billed by the byte. `cold` marks a container's first invocation (the dashboard counts them:
 * at the WARN system log level Lambda writes no REPORT lines).
 */
export function compactFields(record: DecisionRecord, coldStart: boolean): Record<string, unknown> {
  const { level: _level, msg: _msg, ...fields } = compactLine(record, coldStart, 'INFO', 'allow');
  return fields;
}

/**
 * The default line as one object literal: every field in its place, `undefined` where it has none (JSON
 * leaves those out). One shape for every line is what lets V8 serialize it without a dictionary lookup per
 * key; building it by spreading optional parts took several times as long.
 */
export function compactLine(record: DecisionRecord, coldStart: boolean, level: 'INFO' | 'WARN', msg: 'allow' | 'deny') {
  const denied = record.reason !== undefined;
  return {
    level, msg,
    client: record.clientId, sub: record.sub, iss: record.iss, kid: record.kid, ms: record.durationMs, conn: record.connectionId,
    reason: record.reason, detail: denied ? withoutRepeats(record) : undefined,
    cold: coldStart ? true : undefined,
    revocation: record.revocation,
  };
}

// The line already names the kid: a detail that repeats it would be paid for twice.
function withoutRepeats({ detail, kid }: DecisionRecord): DecisionRecord['detail'] {
  if (detail === undefined || detail.kid === undefined || detail.kid !== kid) return detail;
  const { kid: _repeated, ...rest } = detail;
  return rest;
}

/** Everything for troubleshooting (DEBUG): the rules as the token gave them, the policy documents, the key's origin, the timers. */
export function debugFields({ record, response, claims }: Decision, ruleClaims: readonly string[]): Record<string, unknown> {
  const tokenRules = claims === undefined ? undefined : Object.fromEntries(
    ruleClaims.filter((name) => Object.hasOwn(claims, name)).map((name) => [name, claims[name]]));
  return {
    username: record.username, alg: record.alg, keyOrigin: record.keyOrigin, rules: record.rules, tokenRules,
    ...(response.isAuthenticated && {
      disconnectAfterInSeconds: response.disconnectAfterInSeconds, refreshAfterInSeconds: response.refreshAfterInSeconds,
      policy: response.policyDocuments,
    }),
  };
}

// Powertools' level numbers: DEBUG 8, INFO 12, WARN 16.
const DEBUG = 8;
const INFO = 12;
const WARN = 16;

/**
 * Writes the invocation's one line (and the cause of an INTERNAL deny, with its stack). At DEBUG the line
 * goes through Powertools; otherwise it is written directly, in the shape Powertools writes with the
 * compact formatter (INFO to stdout, WARN to stderr), because Powertools' per-line work (a JSON replacer
 * called for every key, environment reads for the trace id, attribute merging) was a tenth of a whole
 * invocation, and these fields are plain strings and numbers that need none of it.
 */
export function logDecision(logger: Logger, decision: Decision, options: DecisionLogOptions, coldStart: boolean): void {
  const { record } = decision;
  const level = options.level ?? logger.level; // DEBUG when set, or when this invocation is sampled (POWERTOOLS_LOGGER_SAMPLE_RATE)
  const denied = record.decision === 'deny';
  // A cold start is always written, so that the dashboard's count of them holds without allows.
  const wanted = denied || options.logAllows || coldStart || level <= DEBUG;
  if (level <= DEBUG) {
    const fields = { ...compactFields(record, coldStart), ...debugFields(decision, options.ruleClaims) };
    if (denied) logger.warn('deny', fields);
    else logger.info('allow', fields);
  } else if (wanted && level <= (denied ? WARN : INFO)) {
    const line = JSON.stringify(denied ? compactLine(record, coldStart, 'WARN', 'deny') : compactLine(record, coldStart, 'INFO', 'allow'));
    (denied ? process.stderr : process.stdout).write(`${line}\n`);
  }
  if (decision.cause !== undefined) logger.error('internal error behind a deny', { error: decision.cause as Error });
}
