/**
 * Why a connection was denied. These strings are an API: logs, alarms, metric filters and the docs key
 * on them, so a code is never renamed; a new reason gets a new code.
 */
export const DENY_CODES = [
  'TOKEN_MISSING',
  'TOKEN_TOO_LARGE',
  'TOKEN_MALFORMED',
  'ALG_NOT_ALLOWED',
  'KEY_NOT_FOUND',
  'SIGNATURE_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_NOT_YET_VALID',
  'TOKEN_TOO_OLD',
  'EXPIRES_TOO_SOON',
  'CLAIM_MISSING',
  'CLAIM_INVALID',
  'ISSUER_MISMATCH',
  'AUDIENCE_MISMATCH',
  'CLAIM_MISMATCH',
  'CLIENT_ID_INVALID',
  'RULES_INVALID',
  'RULES_UNSUPPORTED',
  'PLACEHOLDER_VALUE_INVALID',
  'POLICY_TOO_LARGE',
  'KEY_SOURCE_UNAVAILABLE',
  'REVOKED',
  'REVOCATION_UNAVAILABLE',
  'ROLE_UNKNOWN',
  'INTERNAL',
] as const;

export type DenyCode = (typeof DENY_CODES)[number];

/** Safe-to-log context of a deny: never a token, a signature or key material. */
export type DenyDetail = Readonly<Record<string, string | number | boolean | undefined>>;

/** Longest text logged from any one value that input can choose (an `alg`, a `kid`, a claim name). */
export const MAX_LOGGED_CHARS = 128;

/** A string value bounded for the log; anything else unchanged. */
export function clipForLog<T>(value: T): T | string {
  return typeof value === 'string' && value.length > MAX_LOGGED_CHARS ? `${value.slice(0, MAX_LOGGED_CHARS)}…` : value;
}

/** The detail with every string bounded: a deny's detail may quote the token (its alg, kid, claim names). */
export function detailForLog(detail: DenyDetail): DenyDetail {
  const bounded: Record<string, string | number | boolean | undefined> = {};
  for (const [name, value] of Object.entries(detail)) bounded[name] = clipForLog(value);
  return bounded;
}

/** The only error a module of the authorizer throws on purpose. */
export class Denied extends Error {
  constructor(
    readonly code: DenyCode,
    readonly detail: DenyDetail = {},
    options?: ErrorOptions,
  ) {
    super(code, options);
    this.name = 'Denied';
  }
}

/** Maps any thrown value to a Denied, keeping the original as `cause`. Unknown failures are INTERNAL. */
export function toDenied(err: unknown): Denied {
  if (err instanceof Denied) return err;
  return new Denied('INTERNAL', { error: err instanceof Error ? err.name : typeof err }, { cause: err });
}
