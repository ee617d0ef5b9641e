import type { CollectionName } from '../collections.ts';
import { assertIndexOf, pickFields, type ListRange, type Transaction } from '../store.ts';
import { keysFor, type IndexDef } from './indexes.ts';
import type { ReadSet } from './read-set.ts';
import { filedUnder } from './reads.ts';
import type { Query, Reads } from './reads.ts';
import { stagedKey, TOMBSTONE, type StagedEntry } from './writes.ts';

export interface OverlayOptions {
  reads: Reads;
  /** This process's index definitions (staged records are matched against them in `lookup`). */
  indexes: ReadonlyMap<string, IndexDef>;
  /** Runs a read (on any pooled connection: a transaction holds none until it commits). */
  query: Query;
  /** The staged writes, keyed `collection\0partition\0id`, in staging order (written at the end). */
  staged: Map<string, StagedEntry>;
  /** Whether the transaction function has returned (a put or delete after that is refused). */
  ended: () => boolean;
  /** What the function read, checked unchanged at COMMIT (read-set.ts). */
  readSet: ReadSet;
}

/**
 * A transaction's `tx`: reads go to the database through the transaction's connection, overlaid
 * with what the function staged, as MemoryStore.runStaged does: a staged put is read back, a
 * staged delete hides the record, `count`, `partitions` and `lookup` count both. In `list`, a
 * replaced record keeps its place and a new one comes after the stored ones, in staging order
 * (as it will after COMMIT). Every read from the database is noted in the read set with its
 * print, to be checked at COMMIT. Staged entries are also kept by collection and by partition, so
 * each read looks only at its own: a transaction staging thousands of records and reading as it
 * goes stays linear.
 */
export function overlayTransaction(o: OverlayOptions): Transaction {
  const { reads, indexes, staged, readSet } = o;
  /** Each read statement is counted: a transaction that read once needs no check if it writes nothing. */
  const q: Query = Object.assign(<Row extends Record<string, unknown>>(text: string, values?: unknown[]) => {
    readSet.statements++;
    return o.query<Row>(text, values);
  }, { wraps: o.query, counted: () => { readSet.statements++; } });
  const key = stagedKey;
  const byPartition = new Map<string, Map<string, StagedEntry>>(); // `c\0p` → id → entry
  const byCollection = new Map<string, Map<string, StagedEntry>>(); // c → key → entry
  const stagedIn = (c: string, p: string) => byPartition.get(`${c}\u0000${p}`);
  const visible = (e: StagedEntry) => (e.record === TOMBSTONE || e.record === undefined ? undefined : e.record);

  /** Records as read from the database, by key: StagedEntry.before. */
  const read = new Map<string, { record: unknown }>();
  /** Whether records exist, as `hasMany` found them (their data not read), by key. */
  const exists = new Map<string, boolean>();
  const remember = (c: string, p: string, id: string, record: unknown, print: string | null) => {
    readSet.note({ kind: 'record', collection: c, partition: p, id, print });
    const k = key(c, p, id);
    if (!read.has(k) && !staged.has(k)) read.set(k, { record });
  };

  /**
   * Partitions (`c\0p`) the function listed whole and found empty, stored records and staged
   * ones alike: a record put there is known absent (its `before` is no record), as if read so. The
   * partition's print, noted by the list, is checked at COMMIT like any read.
   */
  const listedEmpty = new Set<string>();
  const ABSENT = { record: undefined };

  const stage = (entry: StagedEntry) => {
    if (o.ended()) throw new Error('store: a transaction was written to after it ended (a put or delete outside its function)');
    const k = key(entry.collection, entry.partition, entry.id);
    const pk = `${entry.collection}\u0000${entry.partition}`;
    const before = staged.get(k)?.before ?? read.get(k) ?? (listedEmpty.has(pk) ? ABSENT : undefined);
    if (before) entry = { ...entry, before };
    staged.set(k, entry);
    let ids = byPartition.get(pk);
    if (!ids) byPartition.set(pk, (ids = new Map()));
    ids.set(entry.id, entry);
    let inCollection = byCollection.get(entry.collection);
    if (!inCollection) byCollection.set(entry.collection, (inCollection = new Map()));
    inCollection.set(k, entry);
  };

  const count = async (c: string, p: string): Promise<number> => {
    const counted = await reads.countPrinted(q, c, p);
    readSet.note({ kind: 'partition', collection: c, partition: p, print: counted.print });
    let n = counted.n;
    const here = stagedIn(c, p);
    if (!here || here.size === 0) return n;
    const ids = [...here.keys()];
    const stored = await reads.getMany(q, c, p, ids);
    for (const [k, id] of ids.entries()) {
      const e = here.get(id)!;
      const exists = stored[k]!.data !== undefined;
      if (visible(e) === undefined && exists) n--;
      else if (visible(e) !== undefined && !exists) n++;
    }
    return n;
  };

  /**
   * Whether a partition the function deleted records of still holds one: a staged put, or a
   * stored record it did not delete. The stored one found is noted as read (its print), not the
   * whole partition: a partition of thousands of tasks is "not empty" as long as that one record
   * stays, whatever else changes in it.
   */
  const keepsRecords = async (c: string, p: string, here: Map<string, StagedEntry>): Promise<boolean> => {
    for (const e of here.values()) if (visible(e) !== undefined) return true;
    const other = await reads.anyOtherThan(q, c, p, [...here.keys()]);
    if (other) {
      readSet.note({ kind: 'record', collection: c, partition: p, id: other.id, print: other.print });
      return true;
    }
    return (await count(c, p)) > 0; // none left: the partition's print holds that until commit
  };

  async function* list(c: string, p: string, range?: ListRange): AsyncGenerator<unknown> {
    const printed = (print: string) => readSet.note({ kind: 'partition', collection: c, partition: p, print });
    const here = stagedIn(c, p);
    if (!here || here.size === 0) {
      let rows = 0;
      for await (const row of reads.list(() => q, c, p, range, printed)) {
        rows++;
        yield row.data;
      }
      if (rows === 0 && range === undefined) listedEmpty.add(`${c}\u0000${p}`);
      return;
    }
    let skip = range?.offset ?? 0;
    let left = range?.limit ?? Infinity;
    if (left <= 0) return;
    const seen = new Set<string>();
    async function* merged(): AsyncGenerator<unknown> {
      for await (const row of reads.list(() => q, c, p, undefined, printed)) {
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

  /**
   * `lookup`, and `lookupFields` (`fields`: each record cut to those). A whole record read is kept
   * as its `before` and filed again by this process's definition (reads.ts `filedUnder`); a cut
   * one is only noted (checked at commit like any record read).
   */
  const lookup = async (c: CollectionName, index: string, value: string, fields?: readonly string[]): Promise<unknown[]> => {
    const def = assertIndexOf(indexes.get(index), c, index);
    const out: unknown[] = [];
    const looked = await reads.lookupPrinted(q, c, index, value, fields);
    readSet.note({ kind: 'lookup', collection: c, index, value, print: looked.print });
    for (const r of looked.found) {
      if (staged.has(key(c, r.partition, r.id))) continue;
      if (fields) {
        readSet.note({ kind: 'record', collection: c, partition: r.partition, id: r.id, print: r.print });
        out.push(r.data);
        continue;
      }
      remember(c, r.partition, r.id, r.data, r.print);
      if (filedUnder(def, r.data, r.partition, value)) out.push(r.data);
    }
    for (const e of byCollection.get(c)?.values() ?? []) {
      const record = visible(e);
      if (record !== undefined && keysFor(def, record, e.partition).includes(value)) out.push(fields ? pickFields(record as Record<string, unknown>, fields) : record);
    }
    return out;
  };

  return {
    get: (async (c: CollectionName, p: string, id: string) => {
      const s = staged.get(key(c, p, id));
      if (s) return visible(s);
      // Read before in this transaction: the same version (the commit checks it is still the one stored).
      const before = read.get(key(c, p, id));
      if (before) return before.record;
      const found = await reads.getPrinted(q, c, p, id);
      remember(c, p, id, found.data, found.print);
      return found.data;
    }) as Transaction['get'],
    getMany: (async (c: CollectionName, p: string, ids: readonly string[]) => {
      const unstaged = ids.filter((id) => !staged.has(key(c, p, id)) && !read.has(key(c, p, id)));
      const found = new Map<string, unknown>();
      const rows = await reads.getMany(q, c, p, unstaged, true);
      unstaged.forEach((id, n) => {
        remember(c, p, id, rows[n]!.data, rows[n]!.print);
        found.set(id, rows[n]!.data);
      });
      return ids.map((id) => {
        const s = staged.get(key(c, p, id));
        if (s) return visible(s);
        return found.has(id) ? found.get(id) : read.get(key(c, p, id))?.record;
      });
    }) as Transaction['getMany'],
    hasMany: async (c, p, ids) => {
      // Noted (checked at commit like any record read) and kept as an answer, not as a `before`:
      // no data was read. Asked again in this transaction, the answer is the first one.
      // Each key built once: a group PATCH turn asks about hundreds of users, and building the
      // key again for each map was most of this function's time in a CPU profile.
      const keys = ids.map((id) => key(c, p, id));
      const unknown: number[] = [];
      keys.forEach((k, n) => { if (!staged.has(k) && !read.has(k) && !exists.has(k)) unknown.push(n); });
      const prints = await reads.hasMany(q, c, p, unknown.map((n) => ids[n]!));
      unknown.forEach((at, n) => {
        readSet.note({ kind: 'record', collection: c, partition: p, id: ids[at]!, print: prints[n]! });
        exists.set(keys[at]!, prints[n] !== null);
      });
      return keys.map((k) => {
        const s = staged.get(k);
        if (s) return visible(s) !== undefined;
        return exists.get(k) ?? read.get(k)?.record !== undefined;
      });
    },
    list: list as Transaction['list'],
    partitions: async (c) => {
      const out = new Set<string>();
      const stored = await reads.partitions(q, c, (print) => readSet.note({ kind: 'collection', collection: c, print }));
      for (const p of stored) {
        // A partition whose stored records the function deleted is gone (if nothing was added).
        const here = stagedIn(c, p);
        if (here && [...here.values()].some((e) => visible(e) === undefined) && !(await keepsRecords(c, p, here))) continue;
        out.add(p);
      }
      for (const e of byCollection.get(c)?.values() ?? []) if (visible(e) !== undefined) out.add(e.partition);
      return [...out];
    },
    count,
    lookup: ((c: CollectionName, index: string, value: string) => lookup(c, index, value)) as Transaction['lookup'],
    lookupFields: ((c: CollectionName, index: string, value: string, fields: readonly string[]) => lookup(c, index, value, fields)) as Transaction['lookupFields'],
    put(c, p, id, record) {
      stage({ collection: c, partition: p, id, record });
    },
    delete(c, p, id) {
      stage({ collection: c, partition: p, id, record: TOMBSTONE });
    },
  };
}
