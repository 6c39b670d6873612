import { errors } from 'jose';

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

const FROM_JOSE_CODE: Readonly<Record<string, DenyCode>> = {
  ERR_JWS_INVALID: 'TOKEN_MALFORMED',
  ERR_JWT_INVALID: 'TOKEN_MALFORMED',
  ERR_JOSE_ALG_NOT_ALLOWED: 'ALG_NOT_ALLOWED',
  // jose's "not supported" here means an unrecognised `crit` header: the algorithm is checked before jose runs.
  ERR_JOSE_NOT_SUPPORTED: 'TOKEN_MALFORMED',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'SIGNATURE_INVALID',
};

function fromClaimError(err: errors.JWTClaimValidationFailed | errors.JWTExpired): DenyCode {
  if (err.reason === 'missing') return 'CLAIM_MISSING';
  if (err.reason === 'invalid') return 'CLAIM_INVALID';
  switch (err.claim) {
    case 'exp':
      return 'TOKEN_EXPIRED';
    case 'nbf':
      return 'TOKEN_NOT_YET_VALID';
    // jose reports both "too old" (JWTExpired) and "from the future" on iat.
    case 'iat':
      return err instanceof errors.JWTExpired ? 'TOKEN_TOO_OLD' : 'TOKEN_NOT_YET_VALID';
    case 'iss':
      return 'ISSUER_MISMATCH';
    case 'aud':
      return 'AUDIENCE_MISMATCH';
    default:
      return 'CLAIM_MISMATCH';
  }
}

/** Maps any thrown value to a Denied, keeping the original as `cause`. Unknown failures are INTERNAL. */
export function toDenied(err: unknown): Denied {
  if (err instanceof Denied) return err;
  if (err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired) {
    return new Denied(fromClaimError(err), { claim: err.claim, jose: err.code }, { cause: err });
  }
  if (err instanceof errors.JOSEError) {
    return new Denied(FROM_JOSE_CODE[err.code] ?? 'INTERNAL', { jose: err.code }, { cause: err });
  }
  return new Denied('INTERNAL', { error: err instanceof Error ? err.name : typeof err }, { cause: err });
}
