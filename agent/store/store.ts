import type { CollectionName, RecordOf } from './collections.ts';

/**
 * The store: every record hubwarden keeps, in named collections, each split into partitions
 * (usually the hub id; '' for records that belong to no hub) of records keyed by id.
 *
 * Reads are synchronous and served from memory. Writes go through `transact`: the function runs
 * synchronously against a staged view; if it throws, nothing it staged is applied (a rejected
 * request changes nothing). If it returns, its changes become visible to readers at once and the
 * returned promise resolves only when they are durable (group commit: one durable write covers
 * every transaction that arrived while the previous write ran). A SCIM change and the agent tasks
 * it implies are staged in the same transaction (the outbox).
 *
 * The lowdb adapter keeps one JSON file replaced atomically; a PostgreSQL adapter would upsert the
 * changed rows of each commit (`Change` lists them) in one SQL transaction.
 */
export interface ReadView {
  get<C extends CollectionName>(collection: C, partition: string, id: string): Readonly<RecordOf<C>> | undefined;
  /** Records of one partition in insertion order (stable across calls; SCIM paging relies on it). */
  list<C extends CollectionName>(collection: C, partition: string): IterableIterator<Readonly<RecordOf<C>>>;
  /** Partitions that hold at least one record of the collection. */
  partitions(collection: CollectionName): string[];
  count(collection: CollectionName, partition: string): number;
  /** Records whose index value equals `value` (see `defineIndex`). */
  lookup<C extends CollectionName>(collection: C, index: string, value: string): Array<Readonly<RecordOf<C>>>;
}

export interface Transaction extends ReadView {
  put<C extends CollectionName>(collection: C, partition: string, id: string, record: RecordOf<C>): void;
  delete(collection: CollectionName, partition: string, id: string): void;
}

export interface Change {
  collection: CollectionName;
  partition: string;
  id: string;
  /** The new record, or undefined when deleted. */
  record: unknown;
}

export interface Store extends ReadView {
  /** Loads the data. An unreadable file rejects with a clear message and is left untouched. */
  open(): Promise<void>;
  transact<R>(fn: (tx: Transaction) => R): Promise<R>;
  /**
   * A secondary index: `keysOf` maps a record to the values it is found under (e.g.
   * `${hubId}\u0000${userName.toLowerCase()}`). Define indexes before `open` or at any time
   * (an index defined late is built from what is there).
   */
  defineIndex<C extends CollectionName>(collection: C, index: string, keysOf: (record: RecordOf<C>, partition: string) => string[]): void;
  /**
   * Records of a collection newest first, read page by page (async): the audit log and finished
   * tasks are kept on disk by the durable store and read only this way. `newer` orders records of
   * several partitions where the store cannot (the in-memory store); the durable store yields them
   * in commit order.
   */
  newestFirst<C extends CollectionName>(collection: C, partition?: string, newer?: (a: Readonly<RecordOf<C>>, b: Readonly<RecordOf<C>>) => number): AsyncIterable<Readonly<RecordOf<C>>>;
  /** Called after each transaction is applied in memory (before it is durable); for waking workers. */
  subscribe(listener: (changes: readonly Change[]) => void): () => void;
  /** Called once a transaction's changes are durable; never for one whose write failed (mirrors). */
  subscribeDurable(listener: (changes: readonly Change[]) => void): () => void;
  /** Flushes pending writes and stops. */
  close(): Promise<void>;
}
