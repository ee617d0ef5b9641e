import type { CollectionName, RecordOf } from './collections.ts';
import type { Change, Store, Transaction } from './store.ts';
import { childLogger } from '../log/logger.ts';

const log = childLogger('store');

type Partitioned = Map<string, Map<string, unknown>>;
type IndexDef = { collection: CollectionName; keysOf: (record: any, partition: string) => string[] };

const TOMBSTONE = Symbol('deleted');

/**
 * The store's semantics with nothing on disk: the base of the lowdb store and the store of unit
 * tests. Staged transactions, indexes and change notifications live here; durability is added by
 * subclasses through `persist`.
 */
export class MemoryStore implements Store {
  protected data = new Map<CollectionName, Partitioned>();
  private indexes = new Map<string, IndexDef>();
  private indexValues = new Map<string, Map<string, Map<string, [string, string]>>>(); // index → value → "p\0id" → [p,id]
  private listeners = new Set<(changes: readonly Change[]) => void>();
  /**
   * The index keys each stored record was filed under, so that replacing it needs no second
   * `keysOf` over the old record. Stored records are read-only (store.ts), so their keys cannot drift.
   */
  private keysCache = new WeakMap<object, { partition: string; keys: Map<string, string[]> }>();

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
      parts.set(partition, new Map(records));
    }
    for (const name of this.indexes.keys()) this.rebuildIndex(name);
  }

  /** Whether writes are being accepted (a durable store turns false after a failed write). */
  healthy(): boolean {
    return true;
  }

  get<C extends CollectionName>(collection: C, partition: string, id: string): Readonly<RecordOf<C>> | undefined {
    return this.data.get(collection)?.get(partition)?.get(id) as RecordOf<C> | undefined;
  }

  *list<C extends CollectionName>(collection: C, partition: string): IterableIterator<Readonly<RecordOf<C>>> {
    const records = this.data.get(collection)?.get(partition);
    if (records) yield* records.values() as IterableIterator<RecordOf<C>>;
  }

  partitions(collection: CollectionName): string[] {
    return [...(this.data.get(collection)?.entries() ?? [])].filter(([, m]) => m.size > 0).map(([p]) => p);
  }

  count(collection: CollectionName, partition: string): number {
    return this.data.get(collection)?.get(partition)?.size ?? 0;
  }

  private lookupRefs(index: string, value: string): Array<[string, string]> {
    return [...(this.indexValues.get(index)?.get(value)?.values() ?? [])];
  }

  lookup<C extends CollectionName>(collection: C, index: string, value: string): Array<Readonly<RecordOf<C>>> {
    const out: RecordOf<C>[] = [];
    for (const [p, id] of this.lookupRefs(index, value)) {
      const r = this.get(collection, p, id);
      if (r !== undefined) out.push(r as RecordOf<C>);
    }
    return out;
  }

  defineIndex<C extends CollectionName>(collection: C, index: string, keysOf: (record: RecordOf<C>, partition: string) => string[]): void {
    this.indexes.set(index, { collection, keysOf });
    this.keysCache = new WeakMap(); // a redefined index may file records under other keys
    this.rebuildIndex(index);
  }

  subscribe(listener: (changes: readonly Change[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async transact<R>(fn: (tx: Transaction) => R): Promise<R> {
    const { result, changes, before } = this.runStaged(fn);
    if (changes.length > 0) {
      await this.persist(changes, before);
      for (const l of this.durableListeners) {
        try {
          l(changes);
        } catch (err) {
          log.error('store: a durable-change listener failed', { error: err instanceof Error ? err.message : String(err) });
        }
      }
    }
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
   * (undefined: it did not exist), for `revert` if the durable write fails. MemoryStore keeps
   * nothing on disk.
   */
  protected async persist(_changes: readonly Change[], _before: readonly unknown[]): Promise<void> {}

  /**
   * Undoes an applied transaction whose durable write failed, so no reader goes on seeing a change
   * that is not on disk: each record goes back to what it was, in reverse order, and listeners are
   * told (the revert is a change to them). A record whose deletion is undone returns at the end of
   * its partition's order.
   */
  protected revert(changes: readonly Change[], before: readonly unknown[]): void {
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

  /** Runs fn against a staged overlay, then applies the overlay atomically (or nothing if fn throws). */
  protected runStaged<R>(fn: (tx: Transaction) => R): { result: R; changes: Change[]; before: unknown[] } {
    type Staged = { collection: CollectionName; partition: string; id: string; record: unknown };
    const staged = new Map<string, Staged>();
    // The same entries by collection and partition: list, count, partitions and lookup read only
    // their own collection's staged records. Scanning every staged record on each read made a
    // transaction that stages thousands of records and reads as it goes quadratic (the dispatcher
    // planning 5,000 people of one group push took 2.2 s).
    const byCollection = new Map<CollectionName, Map<string, Map<string, Staged>>>();
    const stagedIn = (c: CollectionName, p: string) => byCollection.get(c)?.get(p)?.values() ?? [];
    const key = (c: string, p: string, id: string) => `${c}\u0000${p}\u0000${id}`;
    const store = this;
    const stagedGet = (c: CollectionName, p: string, id: string) => {
      const s = staged.get(key(c, p, id));
      if (s) return s.record === TOMBSTONE ? undefined : s.record;
      return store.get(c, p, id);
    };
    const stage = (entry: Staged) => {
      staged.set(key(entry.collection, entry.partition, entry.id), entry);
      let partitions = byCollection.get(entry.collection);
      if (!partitions) byCollection.set(entry.collection, (partitions = new Map()));
      let ids = partitions.get(entry.partition);
      if (!ids) partitions.set(entry.partition, (ids = new Map()));
      ids.set(entry.id, entry);
    };
    const tx: Transaction = {
      get: stagedGet as Transaction['get'],
      *list(c, p) {
        // Iterate with keys: records whose id field is not their key (assignments, matches…)
        // must not need a reverse lookup per record (that made listing O(n²)).
        for (const [id, r] of store.data.get(c)?.get(p) ?? []) {
          if (staged.size > 0 && staged.has(key(c, p, id))) continue;
          yield r as any;
        }
        for (const s of stagedIn(c, p)) if (s.record !== TOMBSTONE) yield s.record as any;
      },
      partitions: (c) => {
        const ps = new Set(store.partitions(c));
        for (const [p, ids] of byCollection.get(c) ?? []) for (const s of ids.values()) if (s.record !== TOMBSTONE) { ps.add(p); break; }
        return [...ps];
      },
      count: (c, p) => {
        let n = store.count(c, p);
        for (const s of stagedIn(c, p)) {
          const existed = store.get(c, p, s.id) !== undefined;
          if (s.record === TOMBSTONE && existed) n--;
          else if (s.record !== TOMBSTONE && !existed) n++;
        }
        return n;
      },
      lookup: (c, index, value) => {
        const out: any[] = [];
        for (const [p, id] of store.lookupRefs(index, value)) {
          if (staged.has(key(c, p, id))) continue;
          const r = store.get(c, p, id);
          if (r !== undefined) out.push(r);
        }
        const def = store.indexes.get(index);
        if (def) for (const ids of byCollection.get(c)?.values() ?? []) for (const s of ids.values()) {
          if (s.record !== TOMBSTONE && def.keysOf(s.record, s.partition).includes(value)) out.push(s.record);
        }
        return out;
      },
      put(c, p, id, record) {
        stage({ collection: c, partition: p, id, record });
      },
      delete(c, p, id) {
        stage({ collection: c, partition: p, id, record: TOMBSTONE });
      },
    };
    const result = fn(tx);
    if (result instanceof Promise) throw new Error('store: a transaction function must be synchronous');
    const changes: Change[] = [];
    for (const s of staged.values()) {
      const record = s.record === TOMBSTONE ? undefined : s.record;
      if (record === undefined && this.get(s.collection, s.partition, s.id) === undefined) continue;
      changes.push({ collection: s.collection, partition: s.partition, id: s.id, record });
    }
    // Everything that can throw runs before the first change is applied, so a bad record (an
    // index key function failing on it, or one a durable store cannot serialize) rejects the
    // whole transaction and changes nothing.
    const newKeys = changes.map((c) => (c.record === undefined ? undefined : this.indexKeysOf(c.collection, c.partition, c.record)));
    this.prepare(changes);
    const before = changes.map((c) => this.get(c.collection, c.partition, c.id));
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
    const parts = partition !== undefined ? [partition] : this.partitions(collection);
    const all = parts.flatMap((p) => [...this.list(collection, p)].reverse());
    if (parts.length > 1 && newer) all.sort(newer);
    yield* all;
  }

  /**
   * Called with a transaction's changes before any is applied; throwing rejects the transaction.
   * Durable stores serialize records here.
   */
  protected prepare(_changes: readonly Change[]): void {}

  private indexKeysOf(c: CollectionName, p: string, record: unknown): Map<string, string[]> {
    const keys = new Map<string, string[]>();
    for (const [name, def] of this.indexes) if (def.collection === c) keys.set(name, def.keysOf(record, p));
    return keys;
  }

  private apply(c: CollectionName, p: string, id: string, record: unknown, newKeys?: Map<string, string[]>): void {
    let parts = this.data.get(c);
    if (!parts) this.data.set(c, (parts = new Map()));
    let records = parts.get(p);
    if (!records) parts.set(p, (records = new Map()));
    const previous = records.get(id);
    const ref = `${p}\u0000${id}`;
    const kept = record !== null && typeof record === 'object' ? new Map<string, string[]>() : undefined;
    const cached = previous !== null && typeof previous === 'object' ? this.keysCache.get(previous) : undefined;
    const previousKeys = cached?.partition === p ? cached.keys : undefined;
    for (const [name, def] of this.indexes) {
      if (def.collection !== c) continue;
      const values = this.indexValues.get(name)!;
      const before = previous === undefined ? [] : (previousKeys?.get(name) ?? def.keysOf(previous, p));
      const after = record === undefined ? [] : (newKeys?.get(name) ?? def.keysOf(record, p));
      kept?.set(name, after);
      // Only keys that changed are touched: a PATCH adding 100 members to a 1,000-member group
      // used to delete and re-add all 1,100 `directoryGroups.member` entries (docs/benchmarks.md, SCIM run 5).
      const { removed, added } = keyDiff(before, after);
      for (const v of removed) values.get(v)?.delete(ref);
      for (const v of added) {
        let hits = values.get(v);
        if (!hits) values.set(v, (hits = new Map()));
        hits.set(ref, [p, id]);
      }
    }
    if (record === undefined) records.delete(id);
    else {
      records.set(id, record);
      if (kept) this.keysCache.set(record as object, { partition: p, keys: kept });
    }
  }

  private rebuildIndex(name: string): void {
    const def = this.indexes.get(name)!;
    const values = new Map<string, Map<string, [string, string]>>();
    for (const [p, records] of this.data.get(def.collection) ?? []) {
      for (const [id, record] of records) for (const v of def.keysOf(record, p)) {
        let hits = values.get(v);
        if (!hits) values.set(v, (hits = new Map()));
        hits.set(`${p}\u0000${id}`, [p, id]);
      }
    }
    this.indexValues.set(name, values);
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

/**
 * The keys to remove and to add when a record filed under `before` is refiled under `after`.
 * The common prefix is skipped without hashing (members are appended at the end, so a membership
 * PATCH usually shares all old keys as a prefix); the rest is compared as sets.
 */
function keyDiff(before: readonly string[], after: readonly string[]): { removed: string[]; added: string[] } {
  let i = 0;
  while (i < before.length && i < after.length && before[i] === after[i]) i++;
  // Re-adding a key already present is harmless (the same ref is set again), so no check is needed.
  if (i === before.length) return { removed: [], added: after.slice(i) };
  if (i === 0 && (before.length === 0 || after.length === 0)) return { removed: [...before], added: [...after] };
  const oldSet = new Set(before);
  const newSet = new Set(after);
  return { removed: [...oldSet].filter((v) => !newSet.has(v)), added: [...newSet].filter((v) => !oldSet.has(v)) };
}
