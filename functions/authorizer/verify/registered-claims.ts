import type { JWTPayload } from 'jose';
import type { Profile } from '../config/config.ts';
import { Denied } from '../deny.ts';

/** What the registered-claim checks need from the configuration. */
export type ClaimRules = Pick<Profile, 'clockSkewSeconds' | 'requireExp' | 'maxAgeSeconds' | 'issuers' | 'audiences'>;

/**
 * RFC 7519 §4.1's checks of a verified token, as jose's jwtVerify makes them, and in its order: the
 * types of the claims read, the claims required, `iss`, `aud`, then the time claims.
 * @throws Denied CLAIM_INVALID, CLAIM_MISSING, ISSUER_MISMATCH, AUDIENCE_MISMATCH, or a time code
 */
export function checkRegisteredClaims(payload: JWTPayload, rules: ClaimRules, nowMs: number): void {
  checkRegisteredClaimTypes(payload);
  const required = [
    ...(rules.requireExp ? ['exp'] : []), ...(rules.maxAgeSeconds !== undefined ? ['iat'] : []),
    ...(rules.issuers !== undefined ? ['iss'] : []), ...(rules.audiences !== undefined ? ['aud'] : []),
  ];
  for (const claim of required) if (payload[claim] === undefined) throw new Denied('CLAIM_MISSING', { claim });
  if (rules.issuers !== undefined && !rules.issuers.includes(payload.iss!)) throw new Denied('ISSUER_MISMATCH', { claim: 'iss' });
  if (rules.audiences !== undefined) {
    const audiences = typeof payload.aud === 'string' ? [payload.aud] : payload.aud!;
    if (!audiences.some((aud) => rules.audiences!.includes(aud))) throw new Denied('AUDIENCE_MISMATCH', { claim: 'aud' });
  }
  checkTimeClaims(payload, rules, nowMs);
}

const STRING_CLAIMS = ['iss', 'sub', 'jti'] as const;
const NUMERIC_CLAIMS = ['exp', 'nbf', 'iat'] as const;

/**
 * The registered claims the authorizer reads, checked for their RFC 7519 §4.1 types before anything uses them.
 * @throws Denied CLAIM_INVALID
 */
export function checkRegisteredClaimTypes(payload: JWTPayload): void {
  for (const claim of STRING_CLAIMS) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'string') throw new Denied('CLAIM_INVALID', { claim, why: 'not a string' });
  }
  for (const claim of NUMERIC_CLAIMS) {
    if (payload[claim] !== undefined && !Number.isFinite(payload[claim])) throw new Denied('CLAIM_INVALID', { claim, why: 'not a number' });
  }
  const { aud } = payload;
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) {
    throw new Denied('CLAIM_INVALID', { claim: 'aud', why: 'not a string or an array of strings' });
  }
}

/**
 * The time checks, with jose's boundaries (the same skew on each, a whole-second clock), made for every
 * token and again for a cached one; unlike jose without maxTokenAge, a token issued in the future is never
 * valid here.
 * @throws Denied TOKEN_EXPIRED, TOKEN_NOT_YET_VALID or TOKEN_TOO_OLD
 */
export function checkTimeClaims(payload: JWTPayload, config: ClaimRules, nowMs: number): void {
  const now = Math.floor(nowMs / 1000);
  const skew = config.clockSkewSeconds;
  const { exp, nbf, iat } = payload;
  if (typeof nbf === 'number' && nbf > now + skew) throw new Denied('TOKEN_NOT_YET_VALID', { claim: 'nbf' });
  if (typeof exp === 'number' && exp <= now - skew) throw new Denied('TOKEN_EXPIRED', { claim: 'exp' });
  if (typeof iat === 'number' && iat > now + skew) throw new Denied('TOKEN_NOT_YET_VALID', { claim: 'iat' });
  if (config.maxAgeSeconds !== undefined && typeof iat === 'number' && now - iat - skew > config.maxAgeSeconds) {
    throw new Denied('TOKEN_TOO_OLD', { claim: 'iat' });
  }
}

