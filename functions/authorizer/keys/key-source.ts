import type { KeySettings } from '../config/config.ts';
import { Denied } from '../deny.ts';
import { createJwksLoader } from './jwks-url.ts';
import type { TrustedKey } from './key-material.ts';
import { hmacMinBytes } from './algorithms.ts';
import { RefreshingKeyCache } from './refreshing-key-cache.ts';
import { fetchSecretKeys } from './secrets-manager.ts';

/** One place keys come from. */
export interface KeySource {
  readonly name: string;
  /** Its current keys. @throws Denied KEY_SOURCE_UNAVAILABLE when it has none to offer. */
  keys(): Promise<readonly TrustedKey[]>;
  /** An unscheduled refetch after a miss, rate-limited by the source; resolves true when keys were reloaded. */
  refetch(): Promise<boolean>;
  /** Its keys now, if it has them and they need no refresh: the common case, answered without a promise. */
  fresh(): readonly TrustedKey[] | undefined;
  /** A signature miss may mean the key was rotated under the same (or no) `kid`, as a secret's value is. */
  readonly refetchOnSignatureMiss: boolean;
}

export interface KeySourceDeps {
  /** Time limit of one fetch (JWT_FETCH_TIMEOUT_MS). */
  readonly fetchTimeoutMs: number;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly onLoadFailed: (source: string, err: unknown) => void;
  /** Told when a source loaded but left a key out, and why (it verifies nothing). */
  readonly onKeySkipped?: (source: string, why: string) => void;
}

/** Builds every source the configuration names; none of them fetches anything until first asked. */
export function createKeySources(config: KeySettings, deps: KeySourceDeps): KeySource[] {
  const sources: KeySource[] = [];
  const options = { timeoutMs: deps.fetchTimeoutMs, allowed: config.algorithms };
  const cooldownMs = config.keyRefetchCooldownSeconds * 1000;
  if (config.staticKeys.length > 0) {
    const keys = config.staticKeys;
    sources.push({ name: 'static', keys: async () => keys, refetch: async () => false, fresh: () => keys, refetchOnSignatureMiss: false });
  }
  const { secretsManager, jwksUrl } = config;
  if (secretsManager !== undefined) {
    const cache = new RefreshingKeyCache({
      name: 'JWT_SECRET_ID', load: () => fetchSecretKeys(secretsManager, { ...options, onSkipped: (why) => deps.onKeySkipped?.('JWT_SECRET_ID', why) }),
      maxAgeMs: secretsManager.cacheSeconds * 1000, cooldownMs, now: deps.now, onLoadFailed: deps.onLoadFailed,
    });
    sources.push({ name: 'JWT_SECRET_ID', keys: () => cache.keys(), refetch: () => cache.refetch(), fresh: () => cache.fresh(), refetchOnSignatureMiss: true });
  }
  if (jwksUrl !== undefined) {
    const cache = new RefreshingKeyCache({
      name: 'JWT_JWKS_URL', load: createJwksLoader(jwksUrl, { ...options, cooldownMs, now: deps.now }),
      maxAgeMs: jwksUrl.refreshSeconds * 1000, cooldownMs, now: deps.now, onLoadFailed: deps.onLoadFailed,
    });
    sources.push({ name: 'JWT_JWKS_URL', keys: () => cache.keys(), refetch: () => cache.refetch(), fresh: () => cache.fresh(), refetchOnSignatureMiss: false });
  }
  return sources;
}

/** At most this many keys are tried for one token without a matching `kid`. */
export const MAX_CANDIDATES = 8;

export interface Candidates {
  /** Keys that may verify the token: a `kid` match first, then keys without a `kid`. */
  readonly keys: readonly TrustedKey[];
  /** Sources worth refetching if none of the keys verifies. */
  readonly refetchable: readonly KeySource[];
  /** Sources that had no keys to offer. */
  readonly unavailable: readonly string[];
  /** Why, for each of them that said (connection refused, HTTP 500, AccessDeniedException, …). */
  readonly causes: readonly string[];
  /** HMAC secrets that would match but are too short for this HS algorithm, described. */
  readonly shortSecrets: readonly string[];
}

/**
 * Gathers the candidate keys for a token's `kid` and `alg` from every source at once: without a promise
 * when every source has fresh keys (a warm invocation waits for nothing).
 */
export function findCandidates(sources: readonly KeySource[], kid: string | undefined, alg: string): Candidates | Promise<Candidates> {
  const now = sources.map((source) => source.fresh());
  if (!now.every((keys) => keys !== undefined)) {
    return Promise.allSettled(sources.map((source) => source.keys())).then((results) => collect(sources, results, kid, alg));
  }
  // The candidates follow from the key sets, the kid and the alg alone: kept until a source's set changes.
  let memo = remembered.get(sources);
  if (memo === undefined || memo.sets.some((set, i) => set !== now[i])) {
    memo = { sets: now, byHeader: new Map() };
    remembered.set(sources, memo);
  }
  const id = kid === undefined ? alg : `${alg}\u0000${kid}`;
  let found = memo.byHeader.get(id);
  if (found === undefined) {
    found = collect(sources, now.map((value) => ({ status: 'fulfilled', value: value! })), kid, alg);
    // Headers are the client's to choose: a bounded few are kept, and a flood of others only starts the set over.
    if (id.length <= 256) {
      if (memo.byHeader.size >= MAX_REMEMBERED_HEADERS) memo.byHeader.clear();
      memo.byHeader.set(id, found);
    }
  }
  return found;
}

const MAX_REMEMBERED_HEADERS = 64;
const remembered = new WeakMap<readonly KeySource[], { sets: readonly (readonly TrustedKey[] | undefined)[]; byHeader: Map<string, Candidates> }>();

function collect(sources: readonly KeySource[], results: readonly PromiseSettledResult<readonly TrustedKey[]>[], kid: string | undefined, alg: string): Candidates {
  const byKid: TrustedKey[] = [];
  const fallback: TrustedKey[] = [];
  const refetchable: KeySource[] = [];
  const unavailable: string[] = [];
  const causes: string[] = [];
  const shortSecrets: string[] = [];
  const minBytes = hmacMinBytes(alg);
  results.forEach((result, index) => {
    const source = sources[index]!;
    if (result.status === 'rejected') {
      if (!(result.reason instanceof Denied)) throw result.reason;
      unavailable.push(source.name);
      if (typeof result.reason.detail.cause === 'string') causes.push(`${source.name}: ${result.reason.detail.cause}`);
      refetchable.push(source);
      return;
    }
    const usable = result.value.filter((key) => key.algorithms.has(alg));
    if (minBytes !== undefined) {
      for (const { key, origin, kid: keyKid } of result.value) {
        const bytes = key.symmetricKeySize ?? 0;
        if (key.type === 'secret' && bytes < minBytes && (kid === undefined || keyKid === undefined || keyKid === kid)) {
          shortSecrets.push(`${origin}: the HMAC secret is ${bytes} bytes; ${alg} needs at least ${minBytes} (RFC 7518 §3.2)`);
        }
      }
    }
    byKid.push(...usable.filter((key) => kid !== undefined && key.kid === kid));
    fallback.push(...usable.filter((key) => key.kid === undefined || kid === undefined));
    const kidUnknown = kid !== undefined && !result.value.some((key) => key.kid === kid);
    if (kidUnknown || source.refetchOnSignatureMiss) refetchable.push(source);
  });
  return { keys: [...byKid, ...fallback].slice(0, MAX_CANDIDATES), refetchable, unavailable, causes, shortSecrets };
}
