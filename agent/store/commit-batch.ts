import { serializedDelete, serializedPut } from './journal.ts';
import type { Change } from './store.ts';

/**
 * One group commit of LowdbStore (lowdb-store.ts): the transactions staged while the previous
 * journal append ran, written together as one append (one fdatasync).
 */
export interface Batch {
  changes: string[];
  /** Serialized lines to record in the snapshot cache once the batch is durable. */
  lines: Array<[string, string, string, string | undefined]>;
  txs: Array<{ changes: readonly Change[]; before: readonly unknown[] }>;
  /** Records of archived collections, handed to their archive once the batch is durable. */
  archived: Array<[string, string, unknown]>;
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** An empty batch; every transaction in it is acknowledged (or refused) through its promise. */
export function openBatch(): Batch {
  let resolveBatch!: () => void;
  let rejectBatch!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolveBatch = res), (rejectBatch = rej)));
  promise.catch(() => {}); // every waiter gets the rejection through its own await
  return { changes: [], lines: [], txs: [], archived: [], promise, resolve: resolveBatch, reject: rejectBatch };
}

/**
 * Adds a transaction's changes to the batch: their journal entries, the snapshot cache's lines
 * (`lines`: serialized before they were applied, LowdbStore.prepare), and records of archived
 * collections (`archived(collection)`), which go to their archive instead of the snapshot.
 */
export function addToBatch(batch: Batch, changes: readonly Change[], before: readonly unknown[], lines: Array<string | undefined> | undefined, archived: (collection: string) => boolean): void {
  changes.forEach(({ collection, partition, id, record }, i) => {
    const line = lines ? lines[i] : record === undefined ? undefined : JSON.stringify([id, record]);
    if (archived(collection)) {
      if (record !== undefined) batch.archived.push([collection, partition, record]);
    } else batch.lines.push([collection, partition, id, line]);
    batch.changes.push(line === undefined ? serializedDelete(collection, partition, id) : serializedPut(collection, partition, line));
  });
  batch.txs.push({ changes, before });
}
