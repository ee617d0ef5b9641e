import type { CollectionName } from '../collections.ts';
import { keysFor, type IndexDef } from './indexes.ts';
import { TAKE_LOCKS, type LockBatch } from './key-locks.ts';
import { encodeKey, ident } from './sql.ts';

export const TOMBSTONE: unique symbol = Symbol('deleted');

export interface StagedEntry {
  collection: CollectionName;
  partition: string;
  id: string;
  /** The record to store, or TOMBSTONE to delete it. */
  record: unknown;
  /**
   * The stored record as this transaction read it, when it did: its keys are filed already and
   * stay so until COMMIT, so only the new record's other keys need the writer's value locks (a
   * PATCH adding one member to a 5,000-member group locks one value). `unlocked`: found by a
   * lookup, which does not row-lock what it finds (overlay.ts); the write checks it is unchanged.
   */
  before?: { record: unknown; unlocked?: boolean };
}

export interface WriteStatement {
  text: string;
  values: unknown[];
  /** Per index, the values the records put are newly filed under (for the writer's locks, key-locks.ts). */
  filed?: Map<string, Set<string>>;
  /**
   * The same writes as two statements, records then index entries, for when a record written was
   * not stored (so not row-locked) when the writer locked its rows: another transaction may store
   * it, and change its index entries, while this one's single statement runs on a snapshot taken
   * before. After the first statement this transaction holds every written row; the second's
   * snapshot then has their latest entries.
   */
  split?: [WriteStatement, WriteStatement];
}

/**
 * A transaction's staged writes as ONE statement (data-modifying CTEs, multi-row through
 * `unnest` of array parameters), so committing costs one round trip whatever the size:
 *  - `del`: deletes the staged deletions, returning those that existed (only they are changes);
 *  - `ups`: inserts or replaces the staged records in staging order (a new record gets the next
 *    `seq`, a replaced one keeps its own: insertion order);
 *  - `keys` … `added`: index upkeep. The changed records' entries under this process's indexes
 *    (all of a deleted record's, whatever index) are compared with their new keys as sets
 *    (EXCEPT, hashed or sorted: a NOT EXISTS anti-join was planned as a nested loop, 7 s for one
 *    5,000-key record); entries no longer held are deleted and new ones inserted, the rest left
 *    alone (adding one member to a 5,000-member group writes one entry, not 5,001);
 * The caller announces the changes to other replicas after COMMIT (notifications.ts), deletions
 * only of records `del` says existed.
 * The parts touch disjoint rows (a key is staged once), so one snapshot serves them all; the
 * caller row-locks the stored records first (rowLockStatement), so at READ COMMITTED that
 * snapshot already holds the latest version of each record and of its index entries.
 *
 * Throws before any SQL when a record is not JSON or an index key function throws: the
 * transaction is then rolled back with nothing written.
 */
export function writeStatement(schema: string, entries: Iterable<StagedEntry>, indexes: ReadonlyMap<string, IndexDef>): WriteStatement {
  const records = `${ident(schema)}.records`;
  const indexEntries = `${ident(schema)}.index_entries`;
  const del = { c: [] as string[], p: [] as string[], i: [] as string[] };
  const ups = { c: [] as string[], p: [] as string[], i: [] as string[], j: [] as string[] };
  const touched = { c: [] as string[], p: [] as string[], i: [] as string[], whole: [] as boolean[] };
  const added = { n: [] as string[], v: [] as string[], c: [] as string[], p: [] as string[], i: [] as string[] };
  const filed = new Map<string, Set<string>>();
  const byCollection = new Map<string, IndexDef[]>();
  for (const def of indexes.values()) byCollection.set(def.collection, [...(byCollection.get(def.collection) ?? []), def]);

  for (const e of entries) {
    const p = encodeKey(e.partition);
    const i = encodeKey(e.id);
    touched.c.push(e.collection);
    touched.p.push(p);
    touched.i.push(i);
    if (e.record === TOMBSTONE || e.record === undefined) {
      del.c.push(e.collection);
      del.p.push(p);
      del.i.push(i);
      touched.whole.push(true);
      continue;
    }
    touched.whole.push(false);
    const json = JSON.stringify(e.record);
    if (typeof json !== 'string') throw new Error(`store: ${e.collection} record ${e.id} is not a JSON value`);
    ups.c.push(e.collection);
    ups.p.push(p);
    ups.i.push(i);
    ups.j.push(json);
    for (const def of byCollection.get(e.collection) ?? []) {
      let values = filed.get(def.name);
      if (!values) filed.set(def.name, (values = new Set()));
      const had = e.before?.record === undefined ? undefined : new Set(keysFor(def, e.before.record, e.partition));
      for (const key of keysFor(def, e.record, e.partition)) {
        if (!had?.has(key)) values.add(key);
        added.n.push(def.name);
        added.v.push(encodeKey(key));
        added.c.push(e.collection);
        added.p.push(p);
        added.i.push(i);
      }
    }
  }

  const recordsPart = `del AS (
  DELETE FROM ${records} r USING unnest($1::text[], $2::text[], $3::text[]) AS d(c, p, i)
  WHERE r.collection = d.c AND r.partition = d.p AND r.id = d.i
  RETURNING r.collection, r.partition, r.id),
ups AS (
  INSERT INTO ${records} (collection, partition, id, data)
  SELECT c, p, i, j::json FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS u(c, p, i, j, o) ORDER BY o
  ON CONFLICT (collection, partition, id) DO UPDATE SET data = EXCLUDED.data
  RETURNING 1)`;
  const indexPart = (n: number) => `keys AS MATERIALIZED (SELECT * FROM unnest($${n + 5}::text[], $${n + 6}::text[], $${n + 7}::text[], $${n + 8}::text[], $${n + 9}::text[]) AS k(name, value, collection, partition, id)),
existing AS MATERIALIZED (
  SELECT e.name, e.value, e.collection, e.partition, e.id
  FROM ${indexEntries} e JOIN unnest($${n}::text[], $${n + 1}::text[], $${n + 2}::text[], $${n + 3}::boolean[]) AS t(c, p, i, whole)
    ON e.collection = t.c AND e.partition = t.p AND e.id = t.i
  WHERE t.whole OR e.name = ANY($${n + 4}::text[])),
stale AS (SELECT * FROM existing EXCEPT SELECT * FROM keys),
fresh AS (SELECT * FROM keys EXCEPT SELECT * FROM existing),
gone AS (
  DELETE FROM ${indexEntries} e USING stale s
  WHERE e.name = s.name AND e.value = s.value AND e.collection = s.collection AND e.partition = s.partition AND e.id = s.id
  RETURNING 1),
added AS (
  INSERT INTO ${indexEntries} (name, value, collection, partition, id)
  SELECT name, value, collection, partition, id FROM fresh
  ON CONFLICT DO NOTHING
  RETURNING 1)`;
  const recordValues = [del.c, del.p, del.i, ups.c, ups.p, ups.i, ups.j];
  const indexValues = [touched.c, touched.p, touched.i, touched.whole, [...indexes.keys()], added.n, added.v, added.c, added.p, added.i];
  return {
    text: `WITH\n${recordsPart},\n${indexPart(8)}\nSELECT 'deleted' AS kind, collection, partition, id FROM del`,
    values: [...recordValues, ...indexValues],
    filed,
    split: [
      { text: `WITH\n${recordsPart}\nSELECT 'deleted' AS kind, collection, partition, id FROM del`, values: recordValues },
      { text: `WITH\n${indexPart(1)}\nSELECT 1`, values: indexValues },
    ],
  };
}

/**
 * Takes the writer's advisory locks (`locks`, first: an InitPlan, evaluated before the scan), then
 * row-locks the stored records among `entries` in key order (two writers of the same records
 * queue instead of deadlocking); a record not stored yet is not locked (its insert waits on the
 * primary key instead). One round trip. Returns a row per record locked, with, for each entry read
 * unlocked (`before.unlocked`), its stored JSON text as of now: the caller compares it with what
 * was read.
 */
export function rowLockStatement(schema: string, entries: Iterable<StagedEntry>, locks: LockBatch): WriteStatement {
  const t = { c: [] as string[], p: [] as string[], i: [] as string[], v: [] as boolean[] };
  for (const e of entries) {
    t.c.push(e.collection);
    t.p.push(encodeKey(e.partition));
    t.i.push(encodeKey(e.id));
    t.v.push(e.before?.unlocked === true);
  }
  const text = `SELECT c, p, i, data FROM (
    SELECT r.collection AS c, r.partition AS p, r.id AS i, CASE WHEN t.v THEN r.data::text END AS data, t.v
    FROM ${ident(schema)}.records r JOIN unnest($3::text[], $4::text[], $5::text[], $6::boolean[]) AS t(c, p, i, v)
      ON r.collection = t.c AND r.partition = t.p AND r.id = t.i
    WHERE (SELECT count(*) FROM (${TAKE_LOCKS}) AS taken) >= 0
    ORDER BY r.collection, r.partition, r.id FOR UPDATE OF r) AS locked`;
  return { text, values: [locks.keys, locks.exclusive, t.c, t.p, t.i, t.v] };
}

/**
 * Entries read unlocked whose stored record changed (or went) since: the transaction decided on
 * a stale read, and must run again.
 */
export function changedSinceRead(entries: Iterable<StagedEntry>, locked: ReadonlyArray<{ c: string; p: string; i: string; data: string | null }>): string[] {
  const now = new Map(locked.map((r) => [`${r.c}\u0000${r.p}\u0000${r.i}`, r.data]));
  const changed: string[] = [];
  for (const e of entries) {
    if (!e.before?.unlocked) continue;
    const stored = now.get(`${e.collection}\u0000${encodeKey(e.partition)}\u0000${encodeKey(e.id)}`);
    if (stored !== JSON.stringify(e.before.record)) changed.push(`${e.collection} ${e.id}`);
  }
  return changed;
}
