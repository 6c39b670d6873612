// jose's errors as the authorizer's deny codes, for the differential tests that hold our verification to
// jose's: the function itself no longer runs jose, so this mapping lives with the tests.
import { errors } from 'jose';
import { toDenied, type DenyCode } from '../../functions/authorizer/deny.ts';

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

/** The deny code of what jose (or our code) threw: a jose error by its code and claim, anything else as the function maps it. */
export function denyCodeOf(err: unknown): DenyCode {
  if (err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired) return fromClaimError(err);
  if (err instanceof errors.JOSEError) return FROM_JOSE_CODE[err.code] ?? 'INTERNAL';
  return toDenied(err).code;
}
