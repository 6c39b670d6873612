import type { JWTPayload } from 'jose';
import { createRulesFor, type RulesFor } from './rules/acl.ts';
import { checkClaims } from './verify/claims.ts';
import { IOT_MAX_SECONDS, IOT_MIN_SECONDS, REVOCATION_STALE_SECONDS, type Config, type Profile } from './config/config.ts';
import { connectionIdOf, readConnectRequest, type ConnectRequest } from './request/connect-request.ts';
import { clipForLog, Denied, detailForLog, toDenied, type DenyCode, type DenyDetail } from './deny.ts';
import { createKeySources, type KeySource } from './keys/key-source.ts';
import { iotArnPrefix, literalClientId, renderPolicy, type PolicyDocument } from './policy/policy.ts';
import { principalIdFor } from './policy/principal.ts';
import { allow, clampToIot, deny, type AuthorizerResponse } from './policy/response.ts';
import { readHeader, readPayload, verifyToken, type TokenHeader } from './verify/verify.ts';
import { VerifiedTokenCache } from './verify/verified-cache.ts';
import { createDynamoDbReader, type RevocationReader } from './revocation/dynamodb-reader.ts';
import { kindOf, revocationKeysFor } from './revocation/revocation-keys.ts';
import { RevocationList } from './revocation/revocation-list.ts';

/** The one structured log record of an invocation: never the token, its signature or key material. */
export interface DecisionRecord {
  decision: 'allow' | 'deny';
  reason?: DenyCode;
  detail?: DenyDetail;
  clientId?: string;
  username?: string;
  connectionId?: string;
  sub?: string;
  iss?: string;
  kid?: string;
  alg?: string;
  keyOrigin?: string;
  disconnectAfterInSeconds?: number;
  /** Where the client's rules came from, how many, and whether the policy is exact or stricter (with why). */
  rules?: { source: string; count: number; exact: boolean; notes?: readonly string[] };
  policyDocuments?: number;
  durationMs?: number;
  /** Set when the revocation table could not be read and JWT_REVOCATION_FAILURE=allow let the token in. */
  revocation?: 'unavailable';
}

interface Granted {
  readonly rules: NonNullable<DecisionRecord['rules']>;
  readonly policy: PolicyDocument[];
  readonly principal: string;
}

export interface Decision {
  readonly response: AuthorizerResponse;
  readonly record: DecisionRecord;
  /** The verified claims, when the signature verified (never logged: they may be personal data). */
  readonly claims?: JWTPayload;
  /** The original error behind an INTERNAL deny, for an error log. */
  readonly cause?: unknown;
}

export interface Authorizer {
  /** Never rejects: every failure becomes a deny with a reason. */
  decide(event: unknown, invokedFunctionArn: string | undefined): Promise<Decision>;
}

export interface AuthorizerDeps {
  /** Milliseconds since the epoch; a fixed clock in tests. */
  readonly now?: () => number;
  /** Told when a key source fails to refresh (the last good keys keep serving). */
  readonly onKeyLoadFailed?: (source: string, err: unknown) => void;
  /** Told when a key source left a key out, and why. */
  readonly onKeySkipped?: (source: string, why: string) => void;
  /** Reads revocation entries (default: DynamoDB, from the configuration), for tests to substitute a store. */
  readonly readRevocations?: RevocationReader;
}

interface Issuer {
  readonly profile: Profile;
  readonly sources: readonly KeySource[];
  readonly rulesFor: RulesFor;
}

// The principal of an HTTPS publish whose token has no `sub`: such a client has no client id to stand in.
const HTTP_PRINCIPAL = 'httpsclient';

// Attacker-chosen strings are logged, but bounded.
const clip = (value: unknown): string | undefined => (typeof value === 'string' ? clipForLog(value) : undefined);

/** Wires the pipeline once per container: key sources live as long as the authorizer. */
export function createAuthorizer(config: Config, deps: AuthorizerDeps = {}): Authorizer {
  const now = deps.now ?? Date.now;
  // Each issuer's profile has its own key sources and rules: one issuer's keys never verify another's
  // tokens, and one's failing JWKS endpoint never delays another's.
  const issuers: Issuer[] = config.profiles.map((profile) => ({
    profile,
    sources: createKeySources(profile, { now, fetchTimeoutMs: config.fetchTimeoutMs, onLoadFailed: deps.onKeyLoadFailed ?? (() => {}), onKeySkipped: deps.onKeySkipped }),
    rulesFor: createRulesFor(profile),
  }));
  const byIssuer = new Map(issuers.filter((i) => i.profile.issuer !== undefined).map((i) => [i.profile.issuer!, i]));
  const implicit = issuers.length === 1 && issuers[0]!.profile.issuer === undefined ? issuers[0] : undefined;
  const verified = new VerifiedTokenCache(config.verifiedCacheEntries);
  const revocations = config.revocation && new RevocationList({
    read: deps.readRevocations ?? createDynamoDbReader(config.revocation.table, config.fetchTimeoutMs),
    cacheSeconds: config.revocation.cacheSeconds, staleSeconds: REVOCATION_STALE_SECONDS, now,
  });

  async function authorize(event: unknown, invokedFunctionArn: string | undefined, record: DecisionRecord, out: { claims?: JWTPayload }) {
    const request = readConnectRequest(event, config.tokenFrom);
    record.clientId = clip(request.clientId);
    record.username = request.from.kind === 'username' ? undefined : clip(request.username);
    // An HTTPS publish has no MQTT session: no client id to check, and no iot:Connect to grant.
    const clientId = request.protocol === 'mqtt' ? literalClientId(request.clientId) : undefined;
    const arnPrefix = iotArnPrefix(invokedFunctionArn);
    // A token whose exact text verified before was read then: its header and payload are not read again.
    const seen = verified.peek(request.token);
    const header: TokenHeader = seen?.header ?? readHeader(request.token);
    record.alg = clip(header.alg);
    record.kid = clip(header.kid);
    const nowMs = now();
    // The profile is chosen by the token's `iss`, read before verification; nothing in the token picks a URL.
    const peeked = implicit === undefined ? seen?.payload ?? readPayload(request.token) : undefined;
    const { profile, sources, rulesFor } = implicit ?? selectIssuer(peeked!.iss);
    const { payload, key, entry } = await verifyToken(request.token, header, sources, profile, nowMs, verified, peeked);
    out.claims = payload;
    record.keyOrigin = key.origin;
    record.sub = clip(payload.sub);
    record.iss = clip(payload.iss);
    checkClaims(payload, profile.verifyClaims, request);
    if (revocations !== undefined) await checkRevocation(revocations, payload, request.clientId, record);
    const disconnectAfter = disconnectAfterSeconds(payload.exp, nowMs, profile.allowShortLived);
    record.disconnectAfterInSeconds = disconnectAfter;
    // The policy depends only on the token and the client: a token seen again for the same client reuses it.
    const memoKey = `${request.protocol}\u0000${clientId ?? ''}\u0000${request.username ?? ''}\u0000${arnPrefix}`;
    let granted = entry?.memo?.for === memoKey ? (entry.memo.value as Granted) : undefined;
    if (granted === undefined) {
      granted = grantsFor(rulesFor, payload, request, clientId, arnPrefix);
      if (entry !== undefined) entry.memo = { for: memoKey, value: granted };
    }
    record.rules = granted.rules;
    record.policyDocuments = granted.policy.length;
    const { principal, policy } = granted;
    return allow(principal, policy, disconnectAfter, config.refreshSeconds ?? disconnectAfter);
  }

  function selectIssuer(iss: unknown): Issuer {
    const found = typeof iss === 'string' ? byIssuer.get(iss) : undefined;
    if (found === undefined) throw new Denied('ISSUER_MISMATCH', { claim: 'iss', iss: typeof iss === 'string' ? iss : JSON.stringify(iss) ?? 'none', why: 'no profile for this issuer' });
    return found;
  }

  function grantsFor(rulesFor: RulesFor, payload: JWTPayload, who: ConnectRequest, clientId: string | undefined, arnPrefix: string): Granted {
    const rules = rulesFor(payload, who);
    return {
      rules: { source: rules.source, count: rules.ruleCount, exact: rules.exact, ...(rules.notes.length > 0 && { notes: rules.notes.slice(0, 10) }) },
      policy: renderPolicy(arnPrefix, clientId, rules.plan, rules.values),
      principal: principalIdFor(typeof payload.sub === 'string' ? payload.sub : clientId ?? HTTP_PRINCIPAL),
    };
  }

  // At connect and at every policy refresh: a revoked token, subject or client is thrown off within
  // JWT_REFRESH_SECONDS, and never let in again.
  async function checkRevocation(list: RevocationList, payload: JWTPayload, clientId: string | undefined, record: DecisionRecord) {
    const answer = await list.check(revocationKeysFor({ jti: payload.jti, sub: payload.sub, iss: payload.iss, clientId }));
    if (answer.status === 'revoked') {
      const { key, entry } = answer;
      throw new Denied('REVOKED', { entry: kindOf(key), reason: entry.reason, until: entry.expiresAt });
    }
    if (answer.status === 'unavailable') {
      if (config.revocation!.onFailure === 'deny') throw new Denied('REVOCATION_UNAVAILABLE', { cause: answer.cause });
      record.revocation = 'unavailable';
    }
  }

  return {
    async decide(event, invokedFunctionArn) {
      // process.hrtime, not performance.now(): the performance global loads perf_hooks on first use, a
      // millisecond of every cold start.
      const started = process.hrtime.bigint();
      const record: DecisionRecord = { decision: 'deny', connectionId: connectionIdOf(event) };
      const out: { claims?: JWTPayload } = {};
      try {
        const response = await authorize(event, invokedFunctionArn, record, out);
        record.decision = 'allow';
        record.durationMs = millisSince(started);
        return { response, record, claims: out.claims };
      } catch (err) {
        const denied = toDenied(err);
        record.reason = denied.code;
        record.detail = detailForLog(denied.detail);
        record.durationMs = millisSince(started);
        return { response: deny(), record, claims: out.claims, cause: denied.code === 'INTERNAL' ? denied.cause : undefined };
      }
    },
  };
}

/** Milliseconds since a process.hrtime.bigint() reading, to a hundredth. */
const millisSince = (started: bigint) => Math.round(Number(process.hrtime.bigint() - started) / 10_000) / 100;

/**
 * `disconnectAfterInSeconds`: the token's remaining life, within IoT's 300..86,400. IoT cannot disconnect
 * sooner than 300 s, so a token with less left is denied unless the operator accepts the overrun.
 * @throws Denied EXPIRES_TOO_SOON
 */
export function disconnectAfterSeconds(exp: number | undefined, nowMs: number, allowShortLived: boolean): number {
  if (exp === undefined) return IOT_MAX_SECONDS;
  const remaining = Math.floor(exp - nowMs / 1000);
  // Past `exp` but within the clock skew: whoever reads the log looks for "expired", not "too soon".
  if (remaining <= 0 && !allowShortLived) {
    throw new Denied('TOKEN_EXPIRED', { claim: 'exp', why: `expired ${-remaining} s ago: within the clock skew, but IoT needs ${IOT_MIN_SECONDS} s left` });
  }
  if (remaining < IOT_MIN_SECONDS && !allowShortLived) throw new Denied('EXPIRES_TOO_SOON', { remainingSeconds: remaining });
  return clampToIot(remaining);
}
