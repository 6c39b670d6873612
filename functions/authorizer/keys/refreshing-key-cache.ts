import { Denied } from '../deny.ts';
import type { TrustedKey } from './key-material.ts';
import { describeLoadFailure } from './load-failure.ts';

export interface RefreshingKeyCacheOptions {
  /** For logs and deny details. */
  readonly name: string;
  /** Fetches and parses the keys; rejects when the upstream is down or answers something unusable. */
  readonly load: () => Promise<readonly TrustedKey[]>;
  /** Age after which the next lookup refreshes the keys. */
  readonly maxAgeMs: number;
  /** Least time between two fetch attempts that are not scheduled by `maxAgeMs`, and after a failure. */
  readonly cooldownMs: number;
  readonly now: () => number;
  readonly onLoadFailed: (name: string, err: unknown) => void;
}

/**
 * Keys from an upstream (a JWKS endpoint, Secrets Manager) kept across invocations: refreshed when stale,
 * refetched on demand after a miss, never more often than the cooldown, with one fetch shared by all
 * concurrent callers, and the last good keys kept when the upstream fails.
 */
export class RefreshingKeyCache {
  private current: { keys: readonly TrustedKey[]; loadedAt: number } | undefined;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<boolean> | undefined;
  /** Why the last load failed, for the deny detail when there are no keys to fall back on. */
  private lastFailure: string | undefined;

  constructor(private readonly options: RefreshingKeyCacheOptions) {}

  /**
   * The keys, refreshed first when older than `maxAgeMs`.
   * @throws Denied KEY_SOURCE_UNAVAILABLE when no keys were ever loaded and loading fails now
   */
  async keys(): Promise<readonly TrustedKey[]> {
    const { current } = this;
    const now = this.options.now();
    const stale = current === undefined || now - current.loadedAt >= this.options.maxAgeMs;
    if (stale && (this.inflight !== undefined || !this.coolingDown(now))) await this.load();
    if (this.current === undefined) throw new Denied('KEY_SOURCE_UNAVAILABLE', { source: this.options.name, cause: this.lastFailure });
    return this.current.keys;
  }

  /** The keys, when loaded and not yet due for a refresh; else undefined (ask `keys()`). */
  fresh(): readonly TrustedKey[] | undefined {
    const { current } = this;
    return current !== undefined && this.options.now() - current.loadedAt < this.options.maxAgeMs ? current.keys : undefined;
  }

  /** An unscheduled refetch after a miss. Resolves true when fresh keys were loaded. */
  async refetch(): Promise<boolean> {
    if (this.inflight === undefined && this.coolingDown(this.options.now())) return false;
    return this.load();
  }

  private coolingDown(now: number): boolean {
    return now - this.lastAttemptAt < this.options.cooldownMs;
  }

  private load(): Promise<boolean> {
    this.inflight ??= (async () => {
      this.lastAttemptAt = this.options.now();
      try {
        const keys = await this.options.load();
        this.current = { keys, loadedAt: this.options.now() };
        this.lastFailure = undefined;
        return true;
      } catch (err) {
        this.lastFailure = describeLoadFailure(err);
        this.options.onLoadFailed(this.options.name, err);
        return false;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
