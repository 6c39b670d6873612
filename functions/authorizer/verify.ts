import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { Config } from './config.ts';
import { Denied, toDenied } from './deny.ts';
import { findCandidates, type KeySource } from './keys/key-source.ts';
import type { TrustedKey } from './keys/key-material.ts';
import { cryptoKeyFor } from './keys/crypto-keys.ts';
import type { VerifiedEntry, VerifiedTokenCache } from './verified-cache.ts';

export interface VerifiedToken {
  readonly payload: JWTPayload;
  readonly alg: string;
  readonly kid: string | undefined;
  readonly key: TrustedKey;
  /** The token's entry in the verified-signature cache, if it has one. */
  readonly entry?: VerifiedEntry;
}

/** Header fields safe to log before the signature is checked (attacker-chosen, so bounded). */
export interface TokenHeader {
  readonly alg: string;
  readonly kid: string | undefined;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Reads the protected header of a compact JWS.
 * @throws Denied TOKEN_MALFORMED
 */
export function readHeader(token: string): TokenHeader {
  if (!COMPACT_JWS.test(token)) throw new Denied('TOKEN_MALFORMED', { why: 'not a compact JWS (three base64url segments)' });
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new Denied('TOKEN_MALFORMED', { why: 'header is not a JSON object' });
  }
  if (typeof header.alg !== 'string') throw new Denied('TOKEN_MALFORMED', { why: 'header has no alg' });
  if (header.kid !== undefined && typeof header.kid !== 'string') throw new Denied('TOKEN_MALFORMED', { why: 'kid is not a string' });
  return { alg: header.alg, kid: header.kid };
}

/**
 * Verifies the token's signature with a trusted key and its registered claims (exp, nbf, iat, iss, aud).
 * A miss (unknown `kid`, or a signature that no key verifies where keys rotate in place) triggers one
 * rate-limited refetch of the sources concerned before it denies.
 * @throws Denied ALG_NOT_ALLOWED, KEY_NOT_FOUND, SIGNATURE_INVALID, KEY_SOURCE_UNAVAILABLE, a claim code, …
 */
export async function verifyToken(
  token: string,
  header: TokenHeader,
  sources: readonly KeySource[],
  config: Config,
  nowMs: number,
  cache?: VerifiedTokenCache,
): Promise<VerifiedToken> {
  const { alg, kid } = header;
  // `none` and every algorithm the operator did not allow stop here, before any key is touched.
  if (!config.algorithms.has(alg)) throw new Denied('ALG_NOT_ALLOWED', { alg });
  let candidates = await findCandidates(sources, kid, alg);
  const seen = cache?.get(token);
  if (seen !== undefined) {
    // A signature verified before counts only while its key is still trusted; time claims move on.
    if (candidates.keys.includes(seen.key)) {
      try {
        checkTimeClaims(seen.payload, config, nowMs);
      } catch (err) {
        cache!.delete(token); // an entry never outlives the token's own validity
        throw err;
      }
      return { payload: seen.payload, alg, kid, key: seen.key, entry: seen };
    }
    cache!.delete(token);
  }
  const options = verifyOptions(config, alg, nowMs);
  let result = await tryKeys(token, candidates.keys, options);
  if (result === undefined && candidates.refetchable.length > 0) {
    const refetched = await Promise.all(candidates.refetchable.map((source) => source.refetch()));
    if (refetched.some(Boolean)) {
      candidates = await findCandidates(sources, kid, alg);
      result = await tryKeys(token, candidates.keys, options);
    }
  }
  if (result === undefined) {
    if (candidates.keys.length > 0) throw new Denied('SIGNATURE_INVALID', { alg, kid, tried: candidates.keys.length });
    if (candidates.unavailable.length === sources.length) {
      throw new Denied('KEY_SOURCE_UNAVAILABLE', { sources: candidates.unavailable.join(','), cause: candidates.causes.join('; ') || undefined });
    }
    throw new Denied('KEY_NOT_FOUND', { alg, kid, unavailable: candidates.unavailable.join(',') || undefined, why: candidates.shortSecrets[0] });
  }
  const { payload } = result;
  checkRegisteredClaimTypes(payload);
  checkTimeClaims(payload, config, nowMs);
  const entry: VerifiedEntry = { payload, key: result.key };
  cache?.set(token, entry);
  return { payload, alg, kid, key: result.key, entry };
}

const STRING_CLAIMS = ['iss', 'sub', 'jti'] as const;
const NUMERIC_CLAIMS = ['exp', 'nbf', 'iat'] as const;

/**
 * The registered claims the authorizer reads, checked for their RFC 7519 §4.1 types before anything uses
 * them: jose checks `iss`, `aud` and `sub` only when told to expect a value.
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
 * The time checks jose made when it verified the token, made again (for a cached token), plus one jose
 * makes only with maxTokenAge: a token issued in the future is never valid here. Same skew, same
 * whole-second clock as jose.
 * @throws Denied TOKEN_EXPIRED, TOKEN_NOT_YET_VALID or TOKEN_TOO_OLD
 */
export function checkTimeClaims(payload: JWTPayload, config: Config, nowMs: number): void {
  const now = Math.floor(nowMs / 1000);
  const skew = config.clockSkewSeconds;
  const { exp, nbf, iat } = payload;
  if (typeof exp === 'number' && exp <= now - skew) throw new Denied('TOKEN_EXPIRED', { claim: 'exp' });
  if (typeof nbf === 'number' && nbf > now + skew) throw new Denied('TOKEN_NOT_YET_VALID', { claim: 'nbf' });
  if (typeof iat === 'number' && iat > now + skew) throw new Denied('TOKEN_NOT_YET_VALID', { claim: 'iat' });
  if (config.maxAgeSeconds !== undefined && typeof iat === 'number' && now - iat - skew > config.maxAgeSeconds) {
    throw new Denied('TOKEN_TOO_OLD', { claim: 'iat' });
  }
}

function verifyOptions(config: Config, alg: string, nowMs: number): JWTVerifyOptions {
  return {
    algorithms: [alg],
    clockTolerance: config.clockSkewSeconds,
    currentDate: new Date(nowMs),
    requiredClaims: config.requireExp ? ['exp'] : [],
    ...(config.issuers && { issuer: [...config.issuers] }),
    ...(config.audiences && { audience: [...config.audiences] }),
    ...(config.maxAgeSeconds !== undefined && { maxTokenAge: config.maxAgeSeconds }),
  };
}

/** The first key whose signature verifies; claim failures after a good signature deny at once. */
async function tryKeys(token: string, keys: readonly TrustedKey[], options: JWTVerifyOptions) {
  const alg = options.algorithms![0]!;
  for (const key of keys) {
    try {
      const { payload } = await jwtVerify(token, await cryptoKeyFor(key.key, alg), options);
      return { payload, key };
    } catch (err) {
      if (err instanceof errors.JWSSignatureVerificationFailed) continue;
      throw toDenied(err);
    }
  }
  return undefined;
}
