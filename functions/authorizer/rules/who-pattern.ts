/** Longer patterns are not a client id or username condition. */
export const MAX_WHO_PATTERN_LENGTH = 256;
/** Longer values are not matched: the condition is unknown at connect (an allow then does not apply, a deny does). */
export const MAX_WHO_INPUT_LENGTH = 256;

let linearEngine: boolean | undefined;

/**
 * A who-condition (`clientid_re`, `username_re`) compiled for V8's linear-time engine (the `l` flag), so
 * that no pattern a token carries can make matching backtrack exponentially (`^([a-z0-9]+-?)*$`). The
 * engine refuses what it cannot run in linear time (backreferences, lookaround, large counted repeats).
 * @returns the pattern, or why it cannot be used
 */
export function compileWhoPattern(source: string): RegExp | string {
  if (source.length > MAX_WHO_PATTERN_LENGTH) return `longer than ${MAX_WHO_PATTERN_LENGTH} characters`;
  if (!source.isWellFormed()) return 'holds a lone surrogate';
  if (linearEngine === undefined) {
    // Off by default in V8; switching it on only lets RegExp accept the `l` flag. node:v8 is loaded here, on
    // the first who-condition, not at import: it was 1.5 ms of every cold start.
    process.getBuiltinModule('node:v8').setFlagsFromString('--enable-experimental-regexp-engine');
    linearEngine = canUseLinearEngine();
  }
  if (!linearEngine) return 'this runtime has no linear-time regular expression engine';
  try {
    new RegExp(source); // the ordinary syntax first, for a plain "not valid" message
  } catch {
    return 'not a valid regular expression';
  }
  try {
    return new RegExp(source, 'l');
  } catch {
    return 'cannot be matched in linear time (backreference, lookaround or large repeat count)';
  }
}

function canUseLinearEngine(): boolean {
  try {
    new RegExp('a', 'l');
    return true;
  } catch {
    return false;
  }
}
