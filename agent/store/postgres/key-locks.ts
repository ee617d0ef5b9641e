import { createHash } from 'node:crypto';

/**
 * The locks that make a READ COMMITTED transaction behave as the store contract promises (each
 * transaction as if alone, store.ts), without SERIALIZABLE's predicate locks. Measured on
 * SERIALIZABLE (docs/benchmarks.md): page-level predicate locks on the shared B-trees made
 * nearly every concurrent SCIM write a serialization failure (11,923 re-runs for 11,294 writes,
 * 100 writes/s, p99 1 s), and a 50,000-member check for updates was cancelled as a pivot again and
 * again. Here a transaction waits only for the transactions that touch what it decides on.
 *
 * What a transaction reads through `tx`, and how it is kept from changing under it until COMMIT:
 *  - a record that exists: a row lock (`SELECT … FOR UPDATE`), so a concurrent read-modify-write
 *    of it waits (no lost update);
 *  - a record that does not exist, a `list`, a `count`: the partition's lock, exclusive;
 *  - `partitions(collection)`: the collection's lock, exclusive;
 *  - `lookup(index, value)`: the value's lock, exclusive, and the index's lock, shared. The
 *    records found are not row-locked (a plan reading a person's groups must not hold a group
 *    that PATCHes wait to write: that deadlocked under load); one the transaction writes back is
 *    checked unchanged when its row is locked for the write, and the transaction runs again if
 *    it changed (writes.ts changedSinceRead).
 * What a committing transaction takes before it writes (shared, so writers never wait for each
 * other here; two writers of one record wait on its row lock instead):
 *  - the lock of every partition and collection it writes (so it waits for a reader of them);
 *  - the lock of every index value its new records are filed under, or, when a transaction files
 *    more than VALUE_LOCKS_PER_INDEX values under one index (a check for updates writing 50,000
 *    members), that index's lock, exclusive: a bounded number of locks per transaction, as
 *    PostgreSQL's lock table is (max_locks_per_transaction). A value a record stops being filed
 *    under needs no lock: whoever found the record by it holds its row lock.
 * Transaction-level advisory locks are released at COMMIT or ROLLBACK:
 * https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS. Keys are 64-bit
 * hashes; two names sharing a key only wait for each other needlessly. Lock waits can deadlock
 * (a reader of a partition writing a row a writer of that partition holds); PostgreSQL detects it
 * (40P01, after deadlock_timeout) and the store runs the loser again.
 */
export const VALUE_LOCKS_PER_INDEX = 32;

export type LockMode = 'shared' | 'exclusive';

export class KeyLocks {
  constructor(private readonly schema: string) {}

  private key(...parts: string[]): string {
    return createHash('sha256').update(`hubwarden-lock\u0000${this.schema}\u0000${parts.join('\u0000')}`).digest().readBigInt64BE(0).toString();
  }

  partition(collection: string, partition: string): string {
    return this.key('p', collection, partition);
  }

  collection(collection: string): string {
    return this.key('c', collection);
  }

  index(name: string): string {
    return this.key('i', name);
  }

  value(name: string, value: string): string {
    return this.key('v', name, value);
  }
}

/** Advisory locks to take, in the order they are asked for. */
export interface LockBatch {
  keys: string[];
  exclusive: boolean[];
}

/** The SQL that takes a batch, row by row in the arrays' order (parameters $1 key, $2 exclusive). */
export const TAKE_LOCKS = `SELECT CASE WHEN x THEN pg_advisory_xact_lock(k) ELSE pg_advisory_xact_lock_shared(k) END
       FROM unnest($1::bigint[], $2::boolean[]) AS l(k, x)`;

/** The same as one literal statement (keys are our own 64-bit integers), to follow BEGIN in one round trip. */
export function takeLocksLiteral(batch: LockBatch): string {
  return `SELECT ${batch.keys.map((k, n) => {
    if (!/^-?\d{1,19}$/.test(k)) throw new Error(`store: not a lock key: ${k}`);
    return `${batch.exclusive[n] ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared'}(${k}::bigint)`;
  }).join(', ')}`;
}

/**
 * The advisory locks one transaction attempt holds, so each is asked for once: one statement per
 * batch, keys in sorted order (writers asking for the same keys then queue, not deadlock).
 */
export class HeldLocks {
  private held = new Map<string, LockMode>();

  /** `run` takes a batch on the attempt's connection (the attempt may send BEGIN with it). */
  constructor(private readonly run: (batch: LockBatch) => Promise<unknown>) {}

  /** Whether `key` is held in `mode` or stronger. */
  holds(key: string, mode: LockMode): boolean {
    const m = this.held.get(key);
    return m === 'exclusive' || (m !== undefined && mode === 'shared');
  }

  /** Takes the locks not yet held (waits for them); returns whether any had to be taken. */
  async take(wanted: ReadonlyArray<readonly [key: string, mode: LockMode]>): Promise<boolean> {
    const batch = this.batch(wanted);
    if (batch.keys.length === 0) return false;
    await this.run(batch);
    return true;
  }

  /**
   * The locks of `wanted` not yet held, counted as held from now on: the caller takes them (or the
   * attempt fails and ends, releasing what it holds).
   */
  batch(wanted: ReadonlyArray<readonly [key: string, mode: LockMode]>): LockBatch {
    const exclusive = new Set<string>();
    const shared = new Set<string>();
    for (const [key, mode] of wanted) {
      if (this.holds(key, mode)) continue;
      (mode === 'exclusive' ? exclusive : shared).add(key);
    }
    for (const key of exclusive) shared.delete(key);
    const keys = [...exclusive, ...shared].sort();
    for (const k of keys) this.held.set(k, exclusive.has(k) ? 'exclusive' : this.held.get(k) === 'exclusive' ? 'exclusive' : 'shared');
    return { keys, exclusive: keys.map((k) => exclusive.has(k)) };
  }
}

/**
 * The locks a transaction takes before its writes (see above): shared on each partition and
 * collection written and on each value filed under, or exclusive on an index it files more than
 * VALUE_LOCKS_PER_INDEX values under.
 */
export function writerLocks(keys: KeyLocks, entries: Iterable<{ collection: string; partition: string }>, filed: ReadonlyMap<string, ReadonlySet<string>>): Array<[string, LockMode]> {
  const wanted = new Map<string, LockMode>();
  for (const e of entries) {
    wanted.set(keys.partition(e.collection, e.partition), 'shared');
    wanted.set(keys.collection(e.collection), 'shared');
  }
  for (const [index, values] of filed) {
    if (values.size > VALUE_LOCKS_PER_INDEX) wanted.set(keys.index(index), 'exclusive');
    else for (const v of values) wanted.set(keys.value(index, v), 'shared');
  }
  return [...wanted];
}
