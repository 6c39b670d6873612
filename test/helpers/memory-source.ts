// An in-memory KeySource for unit tests of verification: the keys and refetch outcome are the test's.
import type { KeySource } from '../../functions/authorizer/keys/key-source.ts';
import type { TrustedKey } from '../../functions/authorizer/keys/key-material.ts';
import { Denied } from '../../functions/authorizer/deny.ts';

export function memorySource(keys: readonly TrustedKey[] | 'unavailable', options: { onRefetch?: () => readonly TrustedKey[] | undefined; refetchOnSignatureMiss?: boolean } = {}) {
  let current = keys;
  const source: KeySource & { refetches: number } = {
    name: 'memory',
    refetches: 0,
    refetchOnSignatureMiss: options.refetchOnSignatureMiss ?? false,
    keys: async () => {
      if (current === 'unavailable') throw new Denied('KEY_SOURCE_UNAVAILABLE', { source: 'memory' });
      return current;
    },
    fresh: () => (current === 'unavailable' ? undefined : current),
    refetch: async () => {
      source.refetches += 1;
      const next = options.onRefetch?.();
      if (next === undefined) return false;
      current = next;
      return true;
    },
  };
  return source;
}
