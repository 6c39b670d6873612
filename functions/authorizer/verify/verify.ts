import type { JWTPayload } from 'jose';
import type { VerifySettings } from '../config/config.ts';
import { Denied } from '../deny.ts';
import { findCandidates, type KeySource } from '../keys/key-source.ts';
import type { TrustedKey } from '../keys/key-material.ts';
import { checkRegisteredClaims, checkTimeClaims } from './registered-claims.ts';
import { verifySignature } from './signature.ts';
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
 * A segment of a compact JWS as the JSON object it encodes. Decoded here rather than by jose: one
 * base64url pass and JSON.parse, half of jose's time (it converts to base64 and decodes per segment).
 * @throws Denied TOKEN_MALFORMED
 */
function decodeSegment(segment: string, what: 'header' | 'payload'): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new Denied('TOKEN_MALFORMED', { why: `${what} is not JSON` });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Denied('TOKEN_MALFORMED', { why: `${what} is not a JSON object` });
  return value as Record<string, unknown>;
}

/**
 * Reads the protected header of a compact JWS.
 * @throws Denied TOKEN_MALFORMED
 */
export function readHeader(token: string): TokenHeader {
  if (!COMPACT_JWS.test(token)) throw new Denied('TOKEN_MALFORMED', { why: 'not a compact JWS (three base64url segments)' });
  const segment = token.slice(0, token.indexOf('.'));
  const known = readHeaders.get(segment);
  if (known !== undefined) return known;
  const header = decodeSegment(segment, 'header');
  if (typeof header.alg !== 'string') throw new Denied('TOKEN_MALFORMED', { why: 'header has no alg' });
  if (header.kid !== undefined && typeof header.kid !== 'string') throw new Denied('TOKEN_MALFORMED', { why: 'kid is not a string' });
  // RFC 7515 §4.1.11: a recipient MUST reject a token whose `crit` names an extension it does not understand.
  if (header.crit !== undefined) throw new Denied('TOKEN_MALFORMED', { why: 'crit: no JWS extension is understood here' });
  const read: TokenHeader = { alg: header.alg, kid: header.kid as string | undefined };
  // An issuer's tokens share a handful of headers (alg, kid, typ): each is read once. Headers are the
  // client's to choose, so only a bounded few are kept, and a flood of others only starts the set over.
  if (segment.length <= 512) {
    if (readHeaders.size >= MAX_READ_HEADERS) readHeaders.clear();
    readHeaders.set(segment, read);
  }
  return read;
}

const MAX_READ_HEADERS = 64;
const readHeaders = new Map<string, TokenHeader>();

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
  config: VerifySettings,
  nowMs: number,
  cache?: VerifiedTokenCache,
  /** The payload, when the caller has decoded it already (to pick the issuer's profile). */
  decoded?: JWTPayload,
): Promise<VerifiedToken> {
  const { alg, kid } = header;
  // `none` and every algorithm the operator did not allow stop here, before any key is touched.
  if (!config.algorithms.has(alg)) throw new Denied('ALG_NOT_ALLOWED', { alg });
  const found = findCandidates(sources, kid, alg);
  let candidates = found instanceof Promise ? await found : found;
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
  let result = tryKeys(token, candidates.keys, alg, decoded);
  if (result === undefined && candidates.refetchable.length > 0) {
    const refetched = await Promise.all(candidates.refetchable.map((source) => source.refetch()));
    if (refetched.some(Boolean)) {
      candidates = await findCandidates(sources, kid, alg);
      result = tryKeys(token, candidates.keys, alg, decoded);
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
  checkRegisteredClaims(payload, config, nowMs);
  const entry: VerifiedEntry = { payload, key: result.key, header };
  cache?.set(token, entry);
  return { payload, alg, kid, key: result.key, entry };
}

/** The first key whose signature verifies, with the decoded payload; claim checks follow. */
function tryKeys(token: string, keys: readonly TrustedKey[], alg: string, decoded?: JWTPayload): { payload: JWTPayload; key: TrustedKey } | undefined {
  if (keys.length === 0) return undefined;
  const dot = token.lastIndexOf('.');
  const input = Buffer.from(token.slice(0, dot));
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  const key = keys.find((candidate) => verifySignature(alg, candidate.key, input, signature));
  return key === undefined ? undefined : { payload: decoded ?? readPayload(token), key };
}

/** The payload of a compact JWS (trusted only once its signature is verified). @throws Denied TOKEN_MALFORMED */
export function readPayload(token: string): JWTPayload {
  const first = token.indexOf('.');
  return decodeSegment(token.slice(first + 1, token.lastIndexOf('.')), 'payload') as JWTPayload;
}
