import type { CollectionName } from '../collections.ts';
import { keysFor, type IndexDef } from './indexes.ts';
import { LOCKS_PER_PARENT } from './key-locks.ts';
import { encodeKey } from './sql.ts';

export const TOMBSTONE: unique symbol = Symbol('deleted');

/**
 * A staged write's key: `collection\0partition\0id`. The staged map is keyed by it, and
 * this process's transactions queue on it (local-queue.ts: re-runs on what they wrote, first runs
 * on what they name in TransactOptions.writes), so both must build it here.
 */
export const stagedKey = (collection: string, partition: string, id: string): string => `${collection}\u0000${partition}\u0000${id}`;

export interface StagedEntry {
  collection: CollectionName;
  partition: string;
  id: string;
  /** The record to store, or TOMBSTONE to delete it. */
  record: unknown;
  /**
   * The stored record as this transaction read it, when it did (`record` undefined: read absent,
   * or in a partition it listed empty): its keys are filed already, and
   * the read is checked unchanged at COMMIT, so only the new record's other keys need the
   * writer's value locks (a PATCH adding one member to a 5,000-member group locks one value).
   */
  before?: { record: unknown };
}

export interface StagedWrites {
  /** The writes' arguments of `commit_writes` (migrations/006-known-absent-inserts.sql), del_c … x_i. */
  values: unknown[];
  /** Per index, the values the records put are newly filed under (for the writer's locks, key-locks.ts). */
  filed: Map<string, Set<string>>;
}

/**
 * A transaction's staged writes as the arrays `commit_writes` takes (one call whatever the size):
 * the deletions, the records to insert or replace in staging order, and index upkeep under this
 * process's index definitions: for a record the transaction read, the entries it gains and loses;
 * for one written blind, every entry it now has (the call compares them with the stored ones).
 * The caller announces the changes to other replicas after the commit (notifications.ts),
 * deletions only of records the call says existed.
 *
 * Records and entries known not to be stored are marked to be inserted plainly, without
 * ON CONFLICT (migrations/006-known-absent-inserts.sql): a record read absent and its entries,
 * and the entries a record read present gains. `plain` false marks none (commit.ts: the call
 * made again after a unique violation).
 *
 * Throws before any SQL when a record is not JSON or an index key function throws: nothing is
 * then written.
 */
export function stagedWrites(entries: Iterable<StagedEntry>, indexes: ReadonlyMap<string, IndexDef>, plain = true): StagedWrites {
  const del = { c: [] as string[], p: [] as string[], i: [] as string[] };
  const ups = { c: [] as string[], p: [] as string[], i: [] as string[], j: [] as string[], new: [] as boolean[] };
  const touched = { c: [] as string[], p: [] as string[], i: [] as string[], whole: [] as boolean[] };
  const added = { n: [] as string[], v: [] as string[], c: [] as string[], p: [] as string[], i: [] as string[], new: [] as boolean[] };
  const filed = new Map<string, Set<string>>();
  const byCollection = indexesByCollection(indexes);

  const removed = { n: [] as string[], v: [] as string[], c: [] as string[], p: [] as string[], i: [] as string[] };
  const entry = (to: typeof removed, n: string, v: string, c: string, p: string, i: string) => {
    to.n.push(n), to.v.push(encodeKey(v)), to.c.push(c), to.p.push(p), to.i.push(i);
  };

  for (const e of entries) {
    const p = encodeKey(e.partition);
    const i = encodeKey(e.id);
    if (e.record === TOMBSTONE || e.record === undefined) {
      del.c.push(e.collection), del.p.push(p), del.i.push(i);
      touched.c.push(e.collection), touched.p.push(p), touched.i.push(i), touched.whole.push(true);
      continue;
    }
    const json = JSON.stringify(e.record);
    if (typeof json !== 'string') throw new Error(`store: ${e.collection} record ${e.id} is not a JSON value`);
    // Read in this transaction (and checked unchanged at commit): its stored entries are those of
    // `before`, so only the difference is sent (a PATCH adding 100 members to a 1,000-member
    // group sends 100 entries, not 1,100). Written blind: the call compares its stored entries.
    // Read absent: it and its entries are inserted plainly (a first check for updates inserts
    // 35,000 records into partitions it listed empty). Read present: the entries it gains are
    // not stored either (its stored ones are those of `before`), so they too go in plainly.
    const known = e.before !== undefined;
    const absent = known && e.before!.record === undefined;
    ups.c.push(e.collection), ups.p.push(p), ups.i.push(i), ups.j.push(json), ups.new.push(plain && absent);
    if (!known) touched.c.push(e.collection), touched.p.push(p), touched.i.push(i), touched.whole.push(false);
    for (const def of byCollection.get(e.collection) ?? []) {
      let values = filed.get(def.name);
      if (!values) filed.set(def.name, (values = new Set()));
      const { had, has } = indexKeys(def, e);
      for (const key of has) {
        if (!had?.has(key)) values.add(key);
        if (!known || !had?.has(key)) {
          entry(added, def.name, key, e.collection, p, i);
          added.new.push(plain && known);
        }
      }
      if (had) for (const key of had) if (!has.has(key)) entry(removed, def.name, key, e.collection, p, i);
    }
  }

  return {
    values: [
      del.c, del.p, del.i, ups.c, ups.p, ups.i, ups.j, ups.new,
      touched.c, touched.p, touched.i, touched.whole, [...indexes.keys()],
      added.n, added.v, added.c, added.p, added.i, added.new, removed.n, removed.v, removed.c, removed.p, removed.i,
    ],
    filed,
  };
}

function indexesByCollection(indexes: ReadonlyMap<string, IndexDef>): Map<string, IndexDef[]> {
  const byCollection = new Map<string, IndexDef[]>();
  for (const def of indexes.values()) byCollection.set(def.collection, [...(byCollection.get(def.collection) ?? []), def]);
  return byCollection;
}

/** A put record's keys under `def`: those it was read with (`had`, when it was read present) and those it has now. */
function indexKeys(def: IndexDef, e: StagedEntry): { had: Set<string> | undefined; has: Set<string> } {
  const had = e.before?.record === undefined ? undefined : new Set(keysFor(def, e.before.record, e.partition));
  return { had, has: new Set(keysFor(def, e.record, e.partition)) };
}

/**
 * StagedWrites.filed of `entries` without the arrays: a commit in parts (commit-parts.ts) takes
 * every lock in its first call, before the later parts' arrays are built. Every index of a
 * collection a record is put into is named, with no value when the record files none anew (the
 * index's intent lock, key-locks.ts), as stagedWrites names it.
 */
export function filedValues(entries: Iterable<StagedEntry>, indexes: ReadonlyMap<string, IndexDef>): Map<string, Set<string>> {
  const filed = new Map<string, Set<string>>();
  const byCollection = indexesByCollection(indexes);
  for (const e of entries) {
    if (e.record === TOMBSTONE || e.record === undefined) continue;
    for (const def of byCollection.get(e.collection) ?? []) {
      let values = filed.get(def.name);
      if (!values) filed.set(def.name, (values = new Set()));
      // Past LOCKS_PER_PARENT values the whole index is locked (key-locks.ts): the rest need not be known.
      if (values.size > LOCKS_PER_PARENT) continue;
      const { had, has } = indexKeys(def, e);
      for (const key of has) if (!had?.has(key)) values.add(key);
    }
  }
  return filed;
}
