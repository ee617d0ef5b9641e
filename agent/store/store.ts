import type { CollectionName, RecordOf } from './collections.ts';

/**
 * The store: every record hubwarden keeps, in named collections, each split into partitions
 * (usually the hub id; '' for records that belong to no hub) of records keyed by id.
 *
 * Reads are asynchronous: a store may hold its records in memory (memory, lowdb) or in a database
 * shared by several replicas (PostgreSQL), so no caller may assume a read is local. Nothing
 * outside a store keeps a full copy of a collection: read what a decision needs, when it needs it.
 *
 * Writes go through `transact`: the function reads through `tx` (which sees its own staged
 * writes) and stages `put`/`delete`; if it throws or rejects, nothing it staged is applied (a
 * rejected request changes nothing). Once it returns, its changes become visible to readers and
 * the returned promise resolves when they are durable (group commit on lowdb; one SQL transaction
 * on PostgreSQL). A SCIM change and the agent tasks it implies are staged in the same transaction
 * (the outbox).
 *
 * Isolation: the result is as if transactions ran one after another. The memory and lowdb stores
 * run them one at a time; PostgreSQL runs them concurrently, each locking what it reads and writes
 * (postgres/key-locks.ts), and runs the function again when the database breaks a deadlock
 * (https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-DEADLOCKS).
 * So a transaction function must be safe to run more than once: it reads and stages only through
 * `tx`, and keeps no effects outside it (no network calls, no pushes to outer arrays that are not
 * reset at its start, no nested `transact`, which is refused).
 */
export interface ReadView {
  get<C extends CollectionName>(collection: C, partition: string, id: string): Promise<Readonly<RecordOf<C>> | undefined>;
  /**
   * Several records of one partition, in the order of `ids` (undefined where absent): one read,
   * where a `get` each would be one database round trip each (a group PATCH adding 100 members
   * checks 100 users).
   */
  getMany<C extends CollectionName>(collection: C, partition: string, ids: readonly string[]): Promise<Array<Readonly<RecordOf<C>> | undefined>>;
  /**
   * Whether each record of one partition exists, in the order of `ids`, without reading what it
   * holds: a group PATCH adding 100 members checks that 100 users exist, not their attributes
   * (on PostgreSQL, fetching and parsing them was a third of the import's PATCH time). Inside a
   * transaction it is checked at commit like `getMany`: a record created or deleted since runs
   * the transaction again.
   */
  hasMany(collection: CollectionName, partition: string, ids: readonly string[]): Promise<boolean[]>;
  /**
   * Records of one partition in insertion order (stable across calls; SCIM paging relies on it),
   * read page by page; `range` skips and limits (a SCIM page of a million users reads one page).
   */
  list<C extends CollectionName>(collection: C, partition: string, range?: ListRange): AsyncIterable<Readonly<RecordOf<C>>>;
  /** Partitions that hold at least one record of the collection. */
  partitions(collection: CollectionName): Promise<string[]>;
  count(collection: CollectionName, partition: string): Promise<number>;
  /**
   * Records whose index value equals `value` (see `defineIndex`). An index not defined on this
   * store for `collection` rejects (`undefinedIndexError`): never an empty answer.
   */
  lookup<C extends CollectionName>(collection: C, index: string, value: string): Promise<Array<Readonly<RecordOf<C>>>>;
  /**
   * The named fields of the records `lookup` finds, and nothing else: a reader that needs a few
   * fields of large records (the names of a user's groups, not their thousands of members) does
   * not fetch and parse the rest. Inside a transaction it is checked like `lookup`.
   */
  lookupFields<C extends CollectionName, F extends keyof RecordOf<C> & string>(collection: C, index: string, value: string, fields: readonly F[]): Promise<Array<Readonly<Pick<RecordOf<C>, F>>>>;
}

/**
 * The error of a lookup through an index not defined on this store for that collection: a
 * programming error (a process that forgot `defineIndex`), never an empty answer, which a safety
 * decision would read as "no pending approval", "no open report" or "no seat holder". The same in
 * every store (store-contract.test.ts).
 */
export function undefinedIndexError(collection: string, index: string): Error {
  return new Error(`store: index "${index}" on collection "${collection}" is not defined (defineIndex before use)`);
}

/** Throws `undefinedIndexError` unless `def` is an index of `collection` (the index's definition, or undefined). */
export function assertIndexOf<D extends { collection: string }>(def: D | undefined, collection: string, index: string): D {
  if (def === undefined || def.collection !== collection) throw undefinedIndexError(collection, index);
  return def;
}

/** The named fields of a record (a `lookupFields` row). */
export function pickFields<T, F extends keyof T & string>(record: T, fields: readonly F[]): Pick<T, F> {
  const out = {} as Pick<T, F>;
  for (const f of fields) if (record[f] !== undefined) out[f] = record[f];
  return out;
}

export interface TransactOptions {
  /**
   * Records the function will write, as far as the caller knows before it runs (a group PATCH
   * writes its group): a hint, never a limit. A store whose transactions run side by side and
   * conflict at commit (PostgreSQL) runs this process's transactions that name the same record
   * one after another from their first run, instead of all but one failing and running again.
   * Stores that run transactions one at a time ignore it.
   */
  writes?: ReadonlyArray<readonly [collection: CollectionName, partition: string, id: string]>;
}

export interface ListRange {
  /** Records to skip from the start of the partition's order. */
  offset?: number;
  /** At most this many records. */
  limit?: number;
}

export interface Transaction extends ReadView {
  put<C extends CollectionName>(collection: C, partition: string, id: string, record: RecordOf<C>): void;
  delete(collection: CollectionName, partition: string, id: string): void;
}

export interface Change {
  collection: CollectionName;
  partition: string;
  id: string;
  /** The new record, or undefined when deleted (or when `remote`). */
  record: unknown;
  /**
   * Committed by another replica sharing the store (PostgreSQL), or by a commit of this replica
   * whose outcome is unknown (its connection went during the commit): a hint that the record
   * changed, without it (`record` is undefined); read it if needed. Never set by a
   * single-process store.
   */
  remote?: true;
}

/** Every record of an async listing, in order (for partitions a caller knows to be small). */
export async function collect<T>(records: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of records) out.push(r);
  return out;
}

/** What a store has done since it opened: read by `/metrics` (scim-server/ops/metrics.ts). */
export interface StoreStats {
  /** Transactions committed, their writes durable (one that wrote nothing counts too). */
  committed: number;
  /**
   * Runs thrown away because something they read changed before they committed, and run again
   * (PostgreSQL; memory and lowdb run transactions one at a time, so theirs stays 0).
   */
  reRuns: number;
  /** Transactions given up after their last allowed run conflicted (`StoreContention`). */
  contended: number;
  /** The connection pool, for a store that has one: connections open, idle, and callers waiting for one. */
  connections?: { total: number; idle: number; waiting: number };
}

/** How an index is defined beside its key function (see `Store.defineIndex`). */
export interface IndexOptions {
  uses?: ReadonlyArray<(...args: never[]) => unknown>;
}

export interface Store extends ReadView {
  /**
   * True when several replicas (processes) may share this store at once (PostgreSQL). Then work
   * that must happen once across the fleet (a schedule's slot, a hub's request budget, a lease)
   * is decided in the store, and workers poll as well as listen (notifications can be lost).
   * Absent or false: this process is the store's only user (memory, lowdb, which locks its file).
   */
  readonly shared?: boolean;
  /** Loads the data. An unreadable file rejects with a clear message and is left untouched. */
  open(): Promise<void>;
  transact<R>(fn: (tx: Transaction) => R | Promise<R>, options?: TransactOptions): Promise<R>;
  /**
   * A secondary index: `keysOf` maps a record to the values it is found under (e.g.
   * `${hubId}\u0000${userName.toLowerCase()}`). Define indexes before `open` or at any time
   * (an index defined late is built from what is there).
   *
   * `options.uses`: the functions `keysOf` calls whose behaviour shapes its keys (emailKey). They
   * are part of the definition: a store that keeps an index across restarts (PostgreSQL) rebuilds
   * it when their source changes, as when `keysOf`'s own source does.
   */
  defineIndex<C extends CollectionName>(collection: C, index: string, keysOf: (record: RecordOf<C>, partition: string) => string[], options?: IndexOptions): void;
  /**
   * Records of a collection newest first, read page by page (async): the audit log and finished
   * tasks are kept on disk by the durable store and read only this way. `newer` orders records of
   * several partitions where the store cannot (the in-memory store); the durable store yields them
   * in commit order.
   */
  newestFirst<C extends CollectionName>(collection: C, partition?: string, newer?: (a: Readonly<RecordOf<C>>, b: Readonly<RecordOf<C>>) => number): AsyncIterable<Readonly<RecordOf<C>>>;
  /**
   * A store that keeps a collection on disk outside its partitions (lowdb's archive): the newest
   * record of it with this id, in any partition, found without reading the whole collection.
   * Absent where such a collection is an ordinary one (memory, PostgreSQL): read it by key in each
   * partition (`getAcross`). See tasks/task-query.ts findTaskAnywhere.
   */
  archivedById?<C extends CollectionName>(collection: C, id: string): Promise<Readonly<RecordOf<C>> | undefined>;
  /**
   * Called after each transaction is applied (before it is durable); for waking workers. A store
   * shared by replicas also reports other replicas' commits (`Change.remote`).
   */
  subscribe(listener: (changes: readonly Change[]) => void): () => void;
  /**
   * A store shared by replicas: called when this replica may have missed other replicas' change
   * notifications (the connection they come on was cut, and is listening again). What a
   * `subscribe` listener keeps up to date from changes (a cache) may be stale then: drop it.
   * Absent on a store one process uses (it misses nothing).
   */
  subscribeMissed?(listener: () => void): () => void;
  /**
   * A store shared by replicas: whether other replicas' change notifications reach this replica
   * now (false while the connection they come on is cut and not listening again yet). Meanwhile
   * a cache kept current from `subscribe` may be missing any change: read through it, not from it.
   * Absent on a store one process uses (it misses nothing).
   */
  hearsChanges?(): boolean;
  /** Called once a transaction's changes are durable; never for one whose write failed (mirrors). */
  subscribeDurable(listener: (changes: readonly Change[]) => void): () => void;
  /** Flushes pending writes and stops. */
  close(): Promise<void>;
  /** Whether writes are being accepted: false while a durable store's disk or database refuses them (/readyz). */
  healthy(): boolean;
  stats(): StoreStats;
}

/**
 * Records of one collection across partitions, in the order of `keys`: one `getMany` per
 * partition, asked for at once (on PostgreSQL they go together as one statement, not one per
 * record or per partition).
 */
export async function getAcross<C extends CollectionName>(view: Pick<ReadView, 'getMany'>, collection: C, keys: ReadonlyArray<{ partition: string; id: string }>): Promise<Array<Readonly<RecordOf<C>> | undefined>> {
  const byPartition = new Map<string, number[]>();
  keys.forEach((k, n) => {
    const at = byPartition.get(k.partition);
    if (at) at.push(n);
    else byPartition.set(k.partition, [n]);
  });
  const out = new Array<Readonly<RecordOf<C>> | undefined>(keys.length).fill(undefined);
  await Promise.all([...byPartition].map(async ([partition, at]) => {
    const rows = await view.getMany(collection, partition, at.map((n) => keys[n]!.id));
    at.forEach((n, k) => { out[n] = rows[k]; });
  }));
  return out;
}
