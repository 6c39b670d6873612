import { describeLoadFailure } from '../keys/load-failure.ts';
import type { ReadResult, RevocationEntry, RevocationReader } from './dynamodb-reader.ts';

export interface RevocationListOptions {
  readonly read: RevocationReader;
  /** How long a "not revoked" answer (and a revoked one without expiry) is trusted: JWT_REVOCATION_CACHE_SECONDS. */
  readonly cacheSeconds: number;
  /** How much longer a "not revoked" answer still serves while the table cannot be read. */
  readonly staleSeconds: number;
  readonly now: () => number;
}

export type RevocationAnswer =
  | { readonly status: 'clear' }
  | { readonly status: 'revoked'; readonly key: string; readonly entry: RevocationEntry }
  | { readonly status: 'unavailable'; readonly cause: string };

interface Known {
  readonly entry: RevocationEntry | null;
  readonly at: number;
}

/** Answers kept per container; beyond this many keys the oldest go first. */
const MAX_KNOWN = 20_000;

/**
 * The revocation entries that apply to a token, read from the table at most once per cache period per key:
 * a revoked answer holds until the entry's expiry, a clear one for `cacheSeconds`; concurrent lookups of
 * the same key share one read; when the table cannot be read, a clear answer up to `staleSeconds` old
 * still serves (stale-if-error), and otherwise the answer is "unavailable" for the caller to decide.
 */
export class RevocationList {
  private readonly known = new Map<string, Known>();
  private readonly inflight = new Map<string, Promise<ReadResult>>();

  constructor(private readonly options: RevocationListOptions) {}

  async check(keys: readonly string[]): Promise<RevocationAnswer> {
    const now = this.options.now();
    const cacheMs = this.options.cacheSeconds * 1000;
    const answers = new Map<string, RevocationEntry | null>();
    const toRead: string[] = [];
    for (const key of keys) {
      const known = this.known.get(key);
      if (known !== undefined && this.stillHolds(known, now, cacheMs)) answers.set(key, applying(known.entry, now));
      else toRead.push(key);
    }
    let failure: string | undefined;
    if (toRead.length > 0) {
      const reads = this.readShared(toRead);
      for (const [key, read] of reads) {
        try {
          const result = await read;
          if (result.found.has(key)) {
            const entry = result.found.get(key)!;
            this.remember(key, { entry, at: now });
            answers.set(key, applying(entry, now));
            continue;
          }
          failure = 'DynamoDB left the key unprocessed (throttled)';
        } catch (err) {
          failure = describeLoadFailure(err);
        }
        // Stale-if-error: a clear answer not too old stands in for one the table cannot give now.
        const known = this.known.get(key);
        if (known !== undefined && known.entry === null && now - known.at < cacheMs + this.options.staleSeconds * 1000) answers.set(key, null);
      }
    }
    for (const key of keys) {
      const entry = answers.get(key);
      if (entry) return { status: 'revoked', key, entry };
    }
    if (keys.some((key) => !answers.has(key))) return { status: 'unavailable', cause: failure ?? 'unknown' };
    return { status: 'clear' };
  }

  // A revoked answer with an expiry holds until then; any other answer for the cache period.
  private stillHolds(known: Known, now: number, cacheMs: number): boolean {
    if (known.entry !== null && known.entry.expiresAt !== undefined) return now < known.entry.expiresAt * 1000;
    return now - known.at < cacheMs;
  }

  /** One read for all the keys no one is reading yet; keys already being read wait for that read. */
  private readShared(keys: readonly string[]): Map<string, Promise<ReadResult>> {
    const reads = new Map<string, Promise<ReadResult>>();
    const fresh = keys.filter((key) => !this.inflight.has(key));
    if (fresh.length > 0) {
      const read = this.options.read(fresh);
      for (const key of fresh) this.inflight.set(key, read);
      const done = () => { for (const key of fresh) if (this.inflight.get(key) === read) this.inflight.delete(key); };
      read.then(done, done);
    }
    for (const key of keys) reads.set(key, this.inflight.get(key)!);
    return reads;
  }

  private remember(key: string, known: Known): void {
    this.known.delete(key);
    this.known.set(key, known);
    if (this.known.size > MAX_KNOWN) this.known.delete(this.known.keys().next().value!);
  }
}

/** The entry if it still applies at `now` (DynamoDB's TTL deletes expired items only eventually). */
function applying(entry: RevocationEntry | null, now: number): RevocationEntry | null {
  return entry !== null && (entry.expiresAt === undefined || now < entry.expiresAt * 1000) ? entry : null;
}
