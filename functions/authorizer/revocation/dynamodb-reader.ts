import type { AwsJsonCall } from '../aws/aws-json.ts';
import { DYNAMODB, lazyAwsJsonClient } from '../aws/clients.ts';
import { EXPIRY_ATTRIBUTE, PARTITION_KEY } from './revocation-keys.ts';

/** An entry of the revocation table, as the function needs it. */
export interface RevocationEntry {
  /** Seconds since the epoch; after it the entry no longer applies. Undefined: until removed. */
  readonly expiresAt: number | undefined;
  readonly reason: string | undefined;
}

export interface ReadResult {
  /** The entries found; a key read and absent maps to null. */
  readonly found: ReadonlyMap<string, RevocationEntry | null>;
  /** Keys DynamoDB left unprocessed (throttling) even after one retry. */
  readonly unprocessed: readonly string[];
}

export type RevocationReader = (keys: readonly string[]) => Promise<ReadResult>;

/** DynamoDB's answer to BatchGetItem, as far as a reader of one table needs it. */
interface BatchGetOutput {
  readonly Responses?: Record<string, Array<Record<string, unknown>>>;
  readonly UnprocessedKeys?: Record<string, { Keys?: Array<Record<string, unknown>> }>;
}

const attribute = (item: Record<string, unknown>, name: string, type: 'S' | 'N'): string | undefined =>
  (item[name] as Record<string, string> | undefined)?.[type];

/**
 * Reads revocation entries with one BatchGetItem (retrying unprocessed keys once, within the same time
 * limit, which bounds the whole call).
 */
export function createDynamoDbReader(table: string, timeoutMs: number): RevocationReader {
  const client = lazyAwsJsonClient(DYNAMODB, timeoutMs); // one client per container, made on the first read
  const send = async (call: AwsJsonCall, keys: readonly string[], signal: AbortSignal) => {
    const out = await call('BatchGetItem', {
      RequestItems: {
        [table]: {
          Keys: keys.map((key) => ({ [PARTITION_KEY]: { S: key } })),
          ProjectionExpression: '#pk, #exp, #reason',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#exp': EXPIRY_ATTRIBUTE, '#reason': 'reason' },
        },
      },
    }, signal) as BatchGetOutput;
    const items = out.Responses?.[table] ?? [];
    const unprocessed = (out.UnprocessedKeys?.[table]?.Keys ?? []).map((key) => String((key[PARTITION_KEY] as { S?: string } | undefined)?.S));
    return { items, unprocessed };
  };
  return async (keys) => {
    const call = await client();
    const signal = AbortSignal.timeout(timeoutMs);
    const found = new Map<string, RevocationEntry | null>();
    let pending = [...keys];
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt += 1) {
      const { items, unprocessed } = await send(call, pending, signal);
      for (const item of items) {
        const key = attribute(item, PARTITION_KEY, 'S');
        if (key === undefined) continue;
        const expiresAt = Number(attribute(item, EXPIRY_ATTRIBUTE, 'N'));
        found.set(key, { expiresAt: Number.isFinite(expiresAt) ? expiresAt : undefined, reason: attribute(item, 'reason', 'S') });
      }
      for (const key of pending) if (!found.has(key) && !unprocessed.includes(key)) found.set(key, null);
      pending = unprocessed;
    }
    return { found, unprocessed: pending };
  };
}
