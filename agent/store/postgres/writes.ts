import type { CollectionName } from '../collections.ts';
import { keysFor, type IndexDef } from './indexes.ts';
import { checkPart } from './read-set.ts';
import { encodeKey, ident } from './sql.ts';

export const TOMBSTONE: unique symbol = Symbol('deleted');

export interface StagedEntry {
  collection: CollectionName;
  partition: string;
  id: string;
  /** The record to store, or TOMBSTONE to delete it. */
  record: unknown;
  /**
   * The stored record as this transaction read it, when it did: its keys are filed already, and
   * the read is checked unchanged at COMMIT, so only the new record's other keys need the
   * writer's value locks (a PATCH adding one member to a 5,000-member group locks one value).
   */
  before?: { record: unknown };
}

export interface WriteStatement {
  text: string;
  values: unknown[];
  /** Per index, the values the records put are newly filed under (for the writer's locks, key-locks.ts). */
  filed?: Map<string, Set<string>>;
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
 *  - `checked`: what the transaction read, printed again (read-set.ts checkPart, parameters
 *    $18-$22); a difference raises, and the statement, so the transaction, writes nothing.
 * The parts touch disjoint rows (a key is staged once), so one snapshot serves them all; the
 * caller holds the locks of every record written (key-locks.ts) before this statement starts,
 * so at READ COMMITTED its snapshot holds the latest version of each record and of its index
 * entries, and no other transaction writes them until COMMIT.
 *
 * Throws before any SQL when a record is not JSON or an index key function throws: the
 * transaction is then rolled back with nothing written.
 */
export function writeStatement(schema: string, entries: Iterable<StagedEntry>, indexes: ReadonlyMap<string, IndexDef>, checks: unknown[] = [[], [], [], [], []]): WriteStatement {
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
    // `checked` raises if a read changed (read-set.ts), and then nothing is written; it is named
    // in the final SELECT so that it runs.
    text: `WITH\n${checkPart(schema, 18)},\n${recordsPart},\n${indexPart(8)}\nSELECT 'deleted' AS kind, collection, partition, id FROM del UNION ALL SELECT 'checked', NULL, NULL, NULL FROM checked`,
    values: [...recordValues, ...indexValues, ...checks],
    filed,
  };
}
