import type { Store, Transaction } from './store.ts';

/**
 * Writes over a listed set of keys in transactions of at most `batch` keys: the keys `listed`
 * yields (a listing read outside any write, or an array gathered first) are handed to `write`, one
 * group per transaction, which must read them again through `tx` and change only those still to
 * change (a record changed since it was listed is left: the store runs transactions as if one after
 * another, store.ts). Returns the total `write` reports. Between transactions the event loop is let
 * go, so requests are served during a long sweep or prune.
 *
 * Why bounded: one transaction of tens of thousands of deletes (a backlog after an outage, a
 * first prune after an upgrade) held, on PostgreSQL, row locks other replicas' writes waited on
 * until it committed, and on lowdb made one giant journal write.
 */
export async function writeInBatches<K>(
  store: Store,
  listed: AsyncIterable<K> | Iterable<K>,
  write: (tx: Transaction, keys: readonly K[]) => Promise<number>,
  batch: number,
): Promise<number> {
  const size = Math.max(1, Math.floor(batch));
  let written = 0;
  const flush = async (keys: K[]) => {
    written += await store.transact((tx) => write(tx, keys));
    await new Promise((resolve) => setImmediate(resolve));
  };
  let keys: K[] = [];
  for await (const key of listed) {
    keys.push(key);
    if (keys.length >= size) {
      const full = keys;
      keys = [];
      await flush(full);
    }
  }
  if (keys.length > 0) await flush(keys);
  return written;
}

/** `[partition, id]` keys grouped by partition, in first-seen order (one getMany per partition). */
export function byPartition<P>(keys: ReadonlyArray<readonly [P, string]>): Map<P, string[]> {
  const out = new Map<P, string[]>();
  for (const [p, id] of keys) {
    const ids = out.get(p);
    if (ids) ids.push(id);
    else out.set(p, [id]);
  }
  return out;
}
