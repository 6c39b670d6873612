import type { JWTPayload } from 'jose';
import type { TrustedKey } from '../keys/key-material.ts';
import type { TokenHeader } from './verify.ts';

/** A token whose signature a trusted key verified. */
export interface VerifiedEntry {
  readonly payload: JWTPayload;
  readonly key: TrustedKey;
  /** The token's protected header as read when it verified: the same text needs no second reading. */
  readonly header: TokenHeader;
  /** What the caller derived from this token for one client (its policy), kept with the token. */
  memo?: { readonly for: string; readonly value: unknown };
}

/**
 * Remembers tokens whose signature verified, so that a token seen again (IoT's policy refresh, a fleet
 * reconnecting) does not pay for its signature twice. Keyed by the exact token text; bounded in entries
 * and in characters held, least recently used first out. The caller re-checks that the key is still
 * trusted and the time claims on every hit.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, VerifiedEntry>();
  private chars = 0;

  constructor(private readonly maxEntries: number, private readonly maxChars = maxEntries * 1024) {}

  /** The entry for this exact token text, without marking it used (verifyToken's `get` does that). */
  peek(token: string): VerifiedEntry | undefined {
    return this.entries.size === 0 ? undefined : this.entries.get(token);
  }

  get(token: string): VerifiedEntry | undefined {
    if (this.entries.size === 0) return undefined; // nothing to find: skip hashing a long token string
    const entry = this.entries.get(token);
    if (entry !== undefined) {
      // Map keeps insertion order: re-inserting marks the entry most recently used.
      this.entries.delete(token);
      this.entries.set(token, entry);
    }
    return entry;
  }

  set(token: string, entry: VerifiedEntry): void {
    if (this.maxEntries === 0 || token.length > this.maxChars) return;
    this.delete(token);
    this.entries.set(token, entry);
    this.chars += token.length;
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries && this.chars <= this.maxChars) break;
      this.delete(oldest);
    }
  }

  delete(token: string): void {
    if (this.entries.delete(token)) this.chars -= token.length;
  }

  get size(): number {
    return this.entries.size;
  }
}
