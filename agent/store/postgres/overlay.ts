import type { CollectionName } from '../collections.ts';
import type { ListRange, Transaction } from '../store.ts';
import { keysFor, type IndexDef } from './indexes.ts';
import type { HeldLocks, KeyLocks, LockMode } from './key-locks.ts';
import { filedUnder } from './reads.ts';
import type { Query, Reads } from './reads.ts';
import { TOMBSTONE, type StagedEntry } from './writes.ts';

export interface OverlayOptions {
  reads: Reads;
  /** This process's index definitions (staged records are matched against them in `lookup`). */
  indexes: ReadonlyMap<string, IndexDef>;
  /** Runs a query on the transaction's connection. */
  query: Query;
  /** The staged writes, keyed `collection\0partition\0id`, in staging order (written at the end). */
  staged: Map<string, StagedEntry>;
  /** Whether the transaction function has returned (a put or delete after that is refused). */
  ended: () => boolean;
  /** The attempt's advisory locks and their keys: reads lock what they decide on (key-locks.ts). */
  locks: { keys: KeyLocks; held: HeldLocks };
  /**
   * A query that first takes `wanted` (those not held yet), in the same round trip: the read runs
   * as its own statement after the locks are granted, so it sees what their previous holders
   * committed.
   */
  lockedRead: (wanted: ReadonlyArray<readonly [string, LockMode]>) => Query;
}

/**
 * A transaction's `tx`: reads go to the database through the transaction's connection, overlaid
 * with what the function staged, as MemoryStore.runStaged does: a staged put is read back, a
 * staged delete hides the record, `count`, `partitions` and `lookup` count both. In `list`, a
 * replaced record keeps its place and a new one comes after the stored ones, in staging order
 * (as it will after COMMIT). Staged entries are also kept by collection and by partition, so
 * each read looks only at its own: a transaction staging thousands of records and reading as it
 * goes stays linear.
 */
export function overlayTransaction(o: OverlayOptions): Transaction {
  const { reads, indexes, query: q, staged } = o;
  const { keys, held } = o.locks;
  /** A range of a partition (list, count, a record's absence) stays as read until COMMIT. */
  const lockPartition = (c: string, p: string) => held.take([[keys.partition(c, p), 'exclusive']]);
  const key = (c: string, p: string, id: string) => `${c}\u0000${p}\u0000${id}`;
  const byPartition = new Map<string, Map<string, StagedEntry>>(); // `c\0p` → id → entry
  const byCollection = new Map<string, Map<string, StagedEntry>>(); // c → key → entry
  const stagedIn = (c: string, p: string) => byPartition.get(`${c}\u0000${p}`);
  const visible = (e: StagedEntry) => (e.record === TOMBSTONE || e.record === undefined ? undefined : e.record);

  /** Records as read from the database, locked (row or partition), by key: StagedEntry.before. */
  const read = new Map<string, { record: unknown; unlocked?: boolean }>();
  const remember = (c: string, p: string, id: string, record: unknown, unlocked = false) => {
    const k = key(c, p, id);
    if (!read.has(k) && !staged.has(k)) read.set(k, unlocked ? { record, unlocked } : { record });
  };

  const stage = (entry: StagedEntry) => {
    if (o.ended()) throw new Error('store: a transaction was written to after it ended (a put or delete outside its function)');
    const k = key(entry.collection, entry.partition, entry.id);
    const before = staged.get(k)?.before ?? read.get(k);
    if (before) entry = { ...entry, before };
    staged.set(k, entry);
    const pk = `${entry.collection}\u0000${entry.partition}`;
    let ids = byPartition.get(pk);
    if (!ids) byPartition.set(pk, (ids = new Map()));
    ids.set(entry.id, entry);
    let inCollection = byCollection.get(entry.collection);
    if (!inCollection) byCollection.set(entry.collection, (inCollection = new Map()));
    inCollection.set(k, entry);
  };

  const count = async (c: string, p: string): Promise<number> => {
    let n = await reads.count(o.lockedRead([[keys.partition(c, p), 'exclusive']]), c, p);
    const here = stagedIn(c, p);
    if (!here || here.size === 0) return n;
    const existing = await reads.existing(q, c, p, [...here.keys()]);
    for (const [id, e] of here) {
      const exists = existing.has(id);
      if (visible(e) === undefined && exists) n--;
      else if (visible(e) !== undefined && !exists) n++;
    }
    return n;
  };

  async function* list(c: string, p: string, range?: ListRange): AsyncGenerator<unknown> {
    await lockPartition(c, p);
    const here = stagedIn(c, p);
    if (!here || here.size === 0) {
      for await (const row of reads.list(() => q, c, p, range)) yield row.data;
      return;
    }
    let skip = range?.offset ?? 0;
    let left = range?.limit ?? Infinity;
    if (left <= 0) return;
    const seen = new Set<string>();
    async function* merged(): AsyncGenerator<unknown> {
      for await (const row of reads.list(() => q, c, p)) {
        const s = here!.get(row.id);
        if (!s) yield row.data;
        else {
          seen.add(row.id);
          if (visible(s) !== undefined) yield visible(s);
        }
      }
      for (const [id, s] of here!) if (!seen.has(id) && visible(s) !== undefined) yield visible(s);
    }
    for await (const r of merged()) {
      if (skip > 0) {
        skip--;
        continue;
      }
      yield r;
      if (--left <= 0) return;
    }
  }

  return {
    get: (async (c: CollectionName, p: string, id: string) => {
      const s = staged.get(key(c, p, id));
      if (s) return visible(s);
      // Row-locked if it exists; if not, its partition is locked and it is read again (a writer
      // may have committed it while the lock was awaited).
      let found = await reads.get(q, c, p, id, true);
      const partitionLock = keys.partition(c, p);
      if (found === undefined && !held.holds(partitionLock, 'exclusive')) found = await reads.get(o.lockedRead([[partitionLock, 'exclusive']]), c, p, id, true);
      remember(c, p, id, found);
      return found;
    }) as Transaction['get'],
    list: list as Transaction['list'],
    partitions: async (c) => {
      await held.take([[keys.collection(c), 'exclusive']]);
      const out = new Set<string>();
      for (const p of await reads.partitions(q, c)) {
        // A partition whose stored records the function deleted is gone (if nothing was added).
        const here = stagedIn(c, p);
        if (here && [...here.values()].some((e) => visible(e) === undefined) && (await count(c, p)) === 0) continue;
        out.add(p);
      }
      for (const e of byCollection.get(c)?.values() ?? []) if (visible(e) !== undefined) out.add(e.partition);
      return [...out];
    },
    count,
    lookup: (async (c: CollectionName, index: string, value: string) => {
      const out: unknown[] = [];
      const locked = o.lockedRead([[keys.index(index), 'shared'], [keys.value(index, value), 'exclusive']]);
      const def = indexes.get(index);
      // Found records are not row-locked: a lookup that only informs a decision (a plan reading
      // a person's groups) must not hold a group that PATCHes are waiting to write. One written
      // back in this transaction is checked unchanged when it is written (writes.ts).
      for (const r of await reads.lookup(locked, c, index, value)) {
        if (staged.has(key(c, r.partition, r.id))) continue;
        remember(c, r.partition, r.id, r.data, true);
        if (filedUnder(def, r.data, r.partition, value)) out.push(r.data);
      }
      if (def && def.collection === c) {
        for (const e of byCollection.get(c)?.values() ?? []) {
          const record = visible(e);
          if (record !== undefined && keysFor(def, record, e.partition).includes(value)) out.push(record);
        }
      }
      return out;
    }) as Transaction['lookup'],
    put(c, p, id, record) {
      stage({ collection: c, partition: p, id, record });
    },
    delete(c, p, id) {
      stage({ collection: c, partition: p, id, record: TOMBSTONE });
    },
  };
}
