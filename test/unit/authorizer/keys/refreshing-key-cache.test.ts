import { describe, expect, it } from 'vitest';
import { createSecretKey } from 'node:crypto';
import { RefreshingKeyCache } from '../../../../functions/authorizer/keys/refreshing-key-cache.ts';
import type { TrustedKey } from '../../../../functions/authorizer/keys/key-material.ts';

const key = (kid: string): TrustedKey => ({ key: createSecretKey(Buffer.alloc(32)), kid, algorithms: new Set(['HS256']), origin: 'test' });

/** A loader the test drives: each call returns the next planned outcome, and counts. */
function upstream() {
  const state = { calls: 0, outcome: [key('k1')] as readonly TrustedKey[] | Error, delayMs: 0 };
  const load = async () => {
    state.calls += 1;
    if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
    if (state.outcome instanceof Error) throw state.outcome;
    return state.outcome;
  };
  return { state, load };
}

function cacheWith(load: () => Promise<readonly TrustedKey[]>, clock: { now: number }, failures: string[] = []) {
  return new RefreshingKeyCache({
    name: 'test', load, maxAgeMs: 300_000, cooldownMs: 1000, now: () => clock.now,
    onLoadFailed: (_name, err) => failures.push((err as Error).message),
  });
}

describe('RefreshingKeyCache', () => {
  it('loads once, serves from cache, and refreshes when stale', async () => {
    const { state, load } = upstream();
    const clock = { now: 0 };
    const cache = cacheWith(load, clock);
    await cache.keys();
    clock.now = 299_999;
    await cache.keys();
    expect(state.calls).toBe(1);
    state.outcome = [key('k2')];
    clock.now = 300_000;
    expect((await cache.keys())[0]!.kid).toBe('k2');
    expect(state.calls).toBe(2);
  });

  it('shares one fetch between concurrent cold callers', async () => {
    const { state, load } = upstream();
    state.delayMs = 20;
    const cache = cacheWith(load, { now: 0 });
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.keys()));
    expect(results.every((keys) => keys[0]!.kid === 'k1')).toBe(true);
    expect(state.calls).toBe(1);
  });

  it('keeps the last good keys when a refresh fails, and reports the failure', async () => {
    const { state, load } = upstream();
    const clock = { now: 0 };
    const failures: string[] = [];
    const cache = cacheWith(load, clock, failures);
    await cache.keys();
    state.outcome = new Error('upstream down');
    clock.now = 400_000;
    expect((await cache.keys())[0]!.kid).toBe('k1');
    expect(failures).toEqual(['upstream down']);
    // Failing again is not retried before the cooldown passes.
    await cache.keys();
    expect(state.calls).toBe(2);
    clock.now += 1000;
    await cache.keys();
    expect(state.calls).toBe(3);
  });

  it('denies KEY_SOURCE_UNAVAILABLE when it never had keys, and then rate-limits attempts', async () => {
    const { state, load } = upstream();
    state.outcome = new Error('down');
    const clock = { now: 0 };
    const cache = cacheWith(load, clock);
    for (let i = 0; i < 50; i += 1) await expect(cache.keys()).rejects.toMatchObject({ code: 'KEY_SOURCE_UNAVAILABLE' });
    expect(state.calls).toBe(1);
    state.outcome = [key('k1')];
    clock.now = 1000;
    expect(await cache.keys()).toHaveLength(1);
  });

  it('refetches on demand at most once per cooldown', async () => {
    const { state, load } = upstream();
    const clock = { now: 0 };
    const cache = cacheWith(load, clock);
    await cache.keys();
    expect(await cache.refetch()).toBe(false);
    clock.now = 999;
    expect(await cache.refetch()).toBe(false);
    clock.now = 1000;
    expect(await cache.refetch()).toBe(true);
    expect(state.calls).toBe(2);
    const flood = await Promise.all(Array.from({ length: 1000 }, () => cache.refetch()));
    expect(flood.some(Boolean)).toBe(false);
    expect(state.calls).toBe(2);
  });

  it('lets concurrent refetches share the fetch under way', async () => {
    const { state, load } = upstream();
    state.delayMs = 20;
    const clock = { now: 5000 };
    const cache = cacheWith(load, clock);
    const outcomes = await Promise.all([cache.refetch(), cache.refetch(), cache.refetch()]);
    expect(outcomes).toEqual([true, true, true]);
    expect(state.calls).toBe(1);
  });
});
