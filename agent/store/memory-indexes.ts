import type { CollectionName } from './collections.ts';

export type IndexDef = { collection: CollectionName; keysOf: (record: any, partition: string) => string[] };

/** Records by collection, then partition, then id (MemoryStore's data). */
export type StoredRecords = ReadonlyMap<CollectionName, ReadonlyMap<string, ReadonlyMap<string, unknown>>>;

/**
 * The secondary indexes of the memory store (and so of lowdb): for each index, the records filed
 * under each value, kept as records are put and deleted. Only the keys that changed are touched.
 */
export class MemoryIndexes {
  private readonly defs = new Map<string, IndexDef>();
  /** index → value → "partition\0id" → [partition, id] */
  private readonly values = new Map<string, Map<string, Map<string, [string, string]>>>();
  /**
   * The index keys each stored record was filed under, so that replacing it needs no second
   * `keysOf` over the old record. Stored records are read-only (store.ts), so their keys cannot drift.
   */
  private keysCache = new WeakMap<object, { partition: string; keys: Map<string, string[]> }>();

  /** Defines (or redefines) `name` and files every stored record of its collection under it. */
  define(name: string, def: IndexDef, data: StoredRecords): void {
    this.defs.set(name, def);
    this.keysCache = new WeakMap(); // a redefined index may file records under other keys
    this.rebuild(name, data);
  }

  /** Files every stored record again (after the data was replaced). */
  rebuildAll(data: StoredRecords): void {
    for (const name of this.defs.keys()) this.rebuild(name, data);
  }

  get(name: string): IndexDef | undefined {
    return this.defs.get(name);
  }

  /** The (partition, id) of the records filed under `value` in `index`. */
  refs(index: string, value: string): Array<[string, string]> {
    return [...(this.values.get(index)?.get(value)?.values() ?? [])];
  }

  /** The keys `record` is filed under in each index of its collection. */
  keysOf(c: CollectionName, p: string, record: unknown): Map<string, string[]> {
    const keys = new Map<string, string[]>();
    for (const [name, def] of this.defs) if (def.collection === c) keys.set(name, def.keysOf(record, p));
    return keys;
  }

  /**
   * Refiles record (c, p, id) going from `previous` to `record` (undefined: absent). `newKeys`:
   * the new record's keys when already computed (keysOf).
   */
  refile(c: CollectionName, p: string, id: string, previous: unknown, record: unknown, newKeys?: Map<string, string[]>): void {
    const ref = `${p}\u0000${id}`;
    const kept = record !== null && typeof record === 'object' ? new Map<string, string[]>() : undefined;
    const cached = previous !== null && typeof previous === 'object' ? this.keysCache.get(previous) : undefined;
    const previousKeys = cached?.partition === p ? cached.keys : undefined;
    for (const [name, def] of this.defs) {
      if (def.collection !== c) continue;
      const values = this.values.get(name)!;
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
    if (kept) this.keysCache.set(record as object, { partition: p, keys: kept });
  }

  private rebuild(name: string, data: StoredRecords): void {
    const def = this.defs.get(name)!;
    const values = new Map<string, Map<string, [string, string]>>();
    for (const [p, records] of data.get(def.collection) ?? []) {
      for (const [id, record] of records) for (const v of def.keysOf(record, p)) {
        let hits = values.get(v);
        if (!hits) values.set(v, (hits = new Map()));
        hits.set(`${p}\u0000${id}`, [p, id]);
      }
    }
    this.values.set(name, values);
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
