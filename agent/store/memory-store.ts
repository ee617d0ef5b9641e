import type { CollectionName, RecordOf } from './collections.ts';
import { AsyncLocalStorage } from 'node:async_hooks';
import { assertIndexOf, pickFields, type Change, type ListRange, type Store, type StoreStats, type Transaction } from './store.ts';
import { childLogger } from '../log/logger.ts';
import { MemoryIndexes } from './memory-indexes.ts';
import { asyncOf, inRange, stagedOverlay, TOMBSTONE } from './memory-overlay.ts';
import { deepFreeze, freezeRecords } from './frozen-records.ts';

const log = childLogger('store');

type Partitioned = Map<string, Map<string, unknown>>;

type Staged<R> = { result: R; changes: Change[]; before: unknown[] };

/** Set while a transaction function runs: a nested `transact` would wait for itself forever. */
const inTransaction = new AsyncLocalStorage<true>();

/**
 * The store's semantics with nothing on disk: the base of the lowdb store and the store of unit
 * tests. Staged transactions, indexes and change notifications live here; durability is added by
 * subclasses through `persist`.
 */
export class MemoryStore implements Store {
  protected data = new Map<CollectionName, Partitioned>();
  private readonly indexes = new MemoryIndexes();
  private listeners = new Set<(changes: readonly Change[]) => void>();

  async open(): Promise<void> {}

  /** Replace all data (used by persistent subclasses after loading a file). */
  protected load(snapshot: Record<string, Record<string, Record<string, unknown>>>): void {
    this.loadPartitions(
      Object.entries(snapshot).flatMap(([c, partitions]) => Object.entries(partitions).map(([p, records]) => [c, p, Object.entries(records)] as const)),
    );
  }

  /**
   * Replace all data from (collection, partition, [id, record] pairs) in the order given. Unlike
   * `load`, this keeps insertion order for numeric-looking ids (a plain object would move
   * integer keys first, and SCIM paging relies on a stable order).
   */
  protected loadPartitions(partitions: Iterable<readonly [string, string, Iterable<readonly [string, unknown]>]>): void {
    this.data.clear();
    for (const [collection, partition, records] of partitions) {
      let parts = this.data.get(collection as CollectionName);
      if (!parts) this.data.set(collection as CollectionName, (parts = new Map()));
      const held = new Map(records);
      if (freezeRecords) for (const r of held.values()) deepFreeze(r);
      parts.set(partition, held);
    }
    this.indexes.rebuildAll(this.data);
  }

  /** Whether writes are being accepted (a durable store turns false after a failed write). */
  healthy(): boolean {
    return true;
  }

  /** Transactions committed since the store was created (made durable, for lowdb). */
  private committedCount = 0;

  stats(): StoreStats {
    // Transactions run one at a time here, so none ever conflicts with another.
    return { committed: this.committedCount, reRuns: 0, contended: 0 };
  }

  async get<C extends CollectionName>(collection: C, partition: string, id: string): Promise<Readonly<RecordOf<C>> | undefined> {
    return this.peek(collection, partition, id);
  }

  async getMany<C extends CollectionName>(collection: C, partition: string, ids: readonly string[]): Promise<Array<Readonly<RecordOf<C>> | undefined>> {
    return ids.map((id) => this.peek(collection, partition, id));
  }

  async hasMany(collection: CollectionName, partition: string, ids: readonly string[]): Promise<boolean[]> {
    return ids.map((id) => this.peek(collection, partition, id) !== undefined);
  }

  list<C extends CollectionName>(collection: C, partition: string, range?: ListRange): AsyncIterable<Readonly<RecordOf<C>>> {
    return asyncOf(inRange(this.peekList(collection, partition), range));
  }

  async partitions(collection: CollectionName): Promise<string[]> {
    return this.peekPartitions(collection);
  }

  async count(collection: CollectionName, partition: string): Promise<number> {
    return this.peekCount(collection, partition);
  }

  async lookup<C extends CollectionName>(collection: C, index: string, value: string): Promise<Array<Readonly<RecordOf<C>>>> {
    return this.peekLookup(collection, index, value);
  }

  async lookupFields<C extends CollectionName, F extends keyof RecordOf<C> & string>(collection: C, index: string, value: string, fields: readonly F[]): Promise<Array<Readonly<Pick<RecordOf<C>, F>>>> {
    return this.peekLookup(collection, index, value).map((r) => pickFields(r as RecordOf<C>, fields));
  }

  // The same reads, synchronous, for the store's own use (snapshots, inspection) and subclasses.
  protected peek<C extends CollectionName>(collection: C, partition: string, id: string): Readonly<RecordOf<C>> | undefined {
    return this.data.get(collection)?.get(partition)?.get(id) as RecordOf<C> | undefined;
  }

  protected *peekList<C extends CollectionName>(collection: C, partition: string): IterableIterator<Readonly<RecordOf<C>>> {
    const records = this.data.get(collection)?.get(partition);
    if (records) yield* records.values() as IterableIterator<RecordOf<C>>;
  }

  protected peekPartitions(collection: CollectionName): string[] {
    return [...(this.data.get(collection)?.entries() ?? [])].filter(([, m]) => m.size > 0).map(([p]) => p);
  }

  protected peekCount(collection: CollectionName, partition: string): number {
    return this.data.get(collection)?.get(partition)?.size ?? 0;
  }

  protected peekLookup<C extends CollectionName>(collection: C, index: string, value: string): Array<Readonly<RecordOf<C>>> {
    assertIndexOf(this.indexes.get(index), collection, index);
    const out: RecordOf<C>[] = [];
    for (const [p, id] of this.indexes.refs(index, value)) {
      const r = this.peek(collection, p, id);
      if (r !== undefined) out.push(r as RecordOf<C>);
    }
    return out;
  }

  defineIndex<C extends CollectionName>(collection: C, index: string, keysOf: (record: RecordOf<C>, partition: string) => string[]): void {
    this.indexes.define(index, { collection, keysOf }, this.data);
  }

  subscribe(listener: (changes: readonly Change[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A transaction's function is running (or the turn is handed to the next waiting one). */
  private busy = false;
  /** Transactions waiting for the running one, in arrival order. */
  private waiting: Array<() => void> = [];

  /**
   * Transactions run one at a time (serializable by construction). When none is running, the
   * function starts at once, and a synchronous one is applied before `transact` returns, as
   * readers have always seen it; the next waits only for the function and the in-memory apply,
   * not for durability (group commit: `persist` is called before the lock is released and
   * completes after).
   *
   * So a transaction may read a write that is applied but not durable yet. It is acknowledged
   * only once everything it could have read is durable, and refused (nothing of it applied) when
   * any of that is reverted instead:
   * - its changes are handed to `persist` before the next transaction starts, so they are made
   *   durable after (or with) every write it could have read, never before them;
   * - a transaction with no changes waits for the latest pending `persist` (every earlier one is
   *   durable when it is, and a failure reverts every later one) and fails with it;
   * - a transaction whose function was running when a write was reverted is refused at commit
   *   (`refuseCommit`): it may have read the reverted write.
   */
  transact<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    if (inTransaction.getStore()) return Promise.reject(new Error('store: transact called inside a transaction (it would wait for itself); stage through the outer tx'));
    if (!this.busy && this.waiting.length === 0) return this.runTransaction(fn);
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.runTransaction(fn));
  }

  private runTransaction<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    let staged: Staged<R> | Promise<Staged<R>>;
    try {
      staged = this.runStaged(fn);
    } catch (err) {
      this.release();
      return Promise.reject(err);
    }
    if (!(staged instanceof Promise)) return this.commit(staged);
    this.busy = true;
    return staged.then(
      (s) => this.commit(s),
      (err) => {
        this.release();
        throw err;
      },
    );
  }

  /**
   * Hands an applied transaction to `persist` (`finish` does so before its first await), then lets
   * the next one run: releasing first let a later transaction that read this one's changes reach
   * the disk before them (its own batch appended first; this one's failing would leave it durable).
   */
  private commit<R>(staged: Staged<R>): Promise<R> {
    const done = this.finish(staged);
    this.release();
    return done;
  }

  /** Lets the next waiting transaction run. */
  private release(): void {
    this.busy = false;
    const next = this.waiting.shift();
    if (next) {
      this.busy = true; // held for it until it starts
      next();
    }
  }

  /** The latest `persist` not settled yet: what a transaction with no changes waits for. */
  private pending: Promise<void> | null = null;

  private async finish<R>({ result, changes, before }: Staged<R>): Promise<R> {
    if (changes.length > 0) {
      const durable = this.persist(changes, before);
      this.pending = durable;
      const settled = () => {
        if (this.pending === durable) this.pending = null;
      };
      durable.then(settled, settled);
      await durable;
      for (const l of this.durableListeners) {
        try {
          l(changes);
        } catch (err) {
          log.error('store: a durable-change listener failed', { error: err instanceof Error ? err.message : String(err) });
        }
      }
    } else if (this.pending) {
      // It may have read those writes: acknowledging it before they are durable would let its
      // caller act on a write that a failed append then reverts (nothing in flight: no wait).
      await this.pending;
    }
    this.committedCount++;
    return result;
  }

  private durableListeners = new Set<(changes: readonly Change[]) => void>();

  /** Called with each transaction's changes once they are durable (never for a failed one). */
  subscribeDurable(listener: (changes: readonly Change[]) => void): () => void {
    this.durableListeners.add(listener);
    return () => this.durableListeners.delete(listener);
  }

  async close(): Promise<void> {}

  /**
   * Make `changes` durable; resolves when they are. `before` holds each changed record as it was
   * (undefined: it did not exist), for `revert` if the durable write fails. Calls complete in
   * order, and one failing fails (and reverts) every later one: a transaction with no changes
   * relies on this to wait for the latest only. MemoryStore keeps nothing on disk.
   */
  protected async persist(_changes: readonly Change[], _before: readonly unknown[]): Promise<void> {}

  /** Reverts so far: a transaction notes the count when its function starts (see `transact`). */
  private reverts = 0;

  /**
   * Called when a transaction's function has returned, before anything of it is applied; throwing
   * refuses it. `readReverted`: a write was reverted while the function ran, so it may have read
   * it. MemoryStore itself never reverts; a durable store also refuses while it cannot write.
   */
  protected refuseCommit(readReverted: boolean): void {
    if (readReverted) throw new Error('store: a write this transaction may have read was undone (it never became durable); nothing was changed, retry it');
  }

  /**
   * Undoes an applied transaction whose durable write failed, so no reader goes on seeing a change
   * that is not on disk: each record goes back to what it was, in reverse order, and listeners are
   * told (the revert is a change to them). A record whose deletion is undone returns at the end of
   * its partition's order.
   */
  protected revert(changes: readonly Change[], before: readonly unknown[]): void {
    this.reverts++;
    const undone: Change[] = [];
    for (let i = changes.length - 1; i >= 0; i--) {
      const c = changes[i]!;
      if (!this.keeps(c.collection)) continue; // never applied
      this.apply(c.collection, c.partition, c.id, before[i]);
      undone.push({ collection: c.collection, partition: c.partition, id: c.id, record: before[i] });
    }
    this.notify(undone);
  }

  private notify(changes: readonly Change[]): void {
    for (const l of this.listeners) {
      try {
        l(changes);
      } catch (err) {
        // A listener only wakes workers; its failure must not undo or hide a committed change.
        log.error('store: a change listener failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  /**
   * Runs fn against a staged overlay (memory-overlay.ts), then applies the overlay atomically (or
   * nothing if fn throws or rejects). Returns synchronously when fn does.
   */
  protected runStaged<R>(fn: (tx: Transaction) => R | Promise<R>): Staged<R> | Promise<Staged<R>> {
    const store = this;
    const { tx, staged } = stagedOverlay({
      peek: (c, p, id) => store.peek(c, p, id),
      records: (c, p) => store.data.get(c)?.get(p) ?? [],
      partitions: (c) => store.peekPartitions(c),
      count: (c, p) => store.peekCount(c, p),
      indexes: store.indexes,
    });
    const reverts = this.reverts;
    const result = inTransaction.run(true, () => fn(tx));
    const apply = (value: R): Staged<R> => {
      this.refuseCommit(this.reverts !== reverts);
      return this.applyStaged(value, staged());
    };
    return result instanceof Promise ? result.then(apply) : apply(result);
  }

  /** Applies a finished transaction's staged entries (everything that can throw runs first). */
  private applyStaged<R>(result: R, entries: Iterable<{ collection: CollectionName; partition: string; id: string; record: unknown }>): Staged<R> {
    const changes: Change[] = [];
    for (const s of entries) {
      const record = s.record === TOMBSTONE ? undefined : s.record;
      if (record === undefined && this.peek(s.collection, s.partition, s.id) === undefined) continue;
      changes.push({ collection: s.collection, partition: s.partition, id: s.id, record });
    }
    // Everything that can throw runs before the first change is applied, so a bad record (an
    // index key function failing on it, or one a durable store cannot serialize) rejects the
    // whole transaction and changes nothing.
    const newKeys = changes.map((c) => (c.record === undefined ? undefined : this.indexes.keysOf(c.collection, c.partition, c.record)));
    this.prepare(changes);
    const before = changes.map((c) => this.peek(c.collection, c.partition, c.id));
    changes.forEach((c, i) => {
      if (this.keeps(c.collection)) this.apply(c.collection, c.partition, c.id, c.record, newKeys[i]);
    });
    if (changes.length > 0) this.notify(changes);
    return { result, changes, before };
  }

  /**
   * Whether a collection's records are held in memory. A durable store keeps the collections that
   * only grow (the audit log, finished tasks) on disk instead: they are journaled with their
   * transaction but read only through `newestFirst`.
   */
  protected keeps(_collection: CollectionName): boolean {
    return true;
  }

  /**
   * The records of a collection (one partition, or all), newest first, for paging readers. Here
   * from memory: a partition in reverse insertion order; across partitions ordered by `newer`
   * when given. A durable store reads the collections it keeps on disk page by page.
   */
  async *newestFirst<C extends CollectionName>(collection: C, partition?: string, newer?: (a: Readonly<RecordOf<C>>, b: Readonly<RecordOf<C>>) => number): AsyncGenerator<Readonly<RecordOf<C>>> {
    const parts = partition !== undefined ? [partition] : this.peekPartitions(collection);
    const all = parts.flatMap((p) => [...this.peekList(collection, p)].reverse());
    if (parts.length > 1 && newer) all.sort(newer);
    yield* all;
  }

  /**
   * Called with a transaction's changes before any is applied; throwing rejects the transaction.
   * Durable stores serialize records here.
   */
  protected prepare(_changes: readonly Change[]): void {}

  private apply(c: CollectionName, p: string, id: string, record: unknown, newKeys?: Map<string, string[]>): void {
    let parts = this.data.get(c);
    if (!parts) this.data.set(c, (parts = new Map()));
    let records = parts.get(p);
    if (!records) parts.set(p, (records = new Map()));
    this.indexes.refile(c, p, id, records.get(id), record, newKeys);
    if (record === undefined) records.delete(id);
    else records.set(id, freezeRecords ? deepFreeze(record) : record);
  }

  /** A plain-object snapshot of everything (for persistence). */
  protected snapshot(): Record<string, Record<string, Record<string, unknown>>> {
    const out: Record<string, Record<string, Record<string, unknown>>> = {};
    for (const [c, parts] of this.data) {
      const o: Record<string, Record<string, unknown>> = {};
      for (const [p, records] of parts) if (records.size > 0) o[p] = Object.fromEntries(records);
      out[c] = o;
    }
    return out;
  }
}
