import type { ListRange } from '../store.ts';
import { keysFor, type IndexDef } from './indexes.ts';
import { decodeKey, encodeKey, ident, IN_COLLECTION, IN_PARTITION, inCollection, inPartition } from './sql.ts';

/** Something that runs a query: the pool (reads outside transactions) or a transaction's client. */
export type Query = <Row extends Record<string, unknown> = Record<string, any>>(text: string, values?: unknown[]) => Promise<Row[]>;

/** Rows a `list` page holds: few enough that a page is small, many enough that a partition is few queries. */
export const PAGE = 500;

/**
 * The store's reads as SQL, each one query (or one per page). Every read names the collection and
 * partition so it is an index scan. Inside a transaction, what a read decides on is locked first
 * or by the read itself (key-locks.ts).
 */
export class Reads {
  private readonly records: string;
  private readonly entries: string;

  constructor(schema: string) {
    this.records = `${ident(schema)}.records`;
    this.entries = `${ident(schema)}.index_entries`;
  }

  /** `lock`: row-lock the record until the transaction ends (key-locks.ts). */
  async get(q: Query, collection: string, partition: string, id: string, lock = false): Promise<unknown> {
    const rows = await q<{ data: unknown }>(`SELECT data FROM ${this.records} WHERE collection = $1 AND partition = $2 AND id = $3${lock ? ' FOR UPDATE' : ''}`, [collection, encodeKey(partition), encodeKey(id)]);
    return rows[0]?.data;
  }

  /**
   * A partition's records in insertion order, page by page (keyset on seq), with their ids.
   * `range` is applied in SQL: the offset on the first page, the limit across pages.
   */
  async *list(q: () => Query, collection: string, partition: string, range?: ListRange): AsyncGenerator<{ id: string; data: unknown }> {
    let left = range?.limit ?? Infinity;
    if (left <= 0) return;
    const offset = Math.max(0, Math.floor(range?.offset ?? 0));
    const p = encodeKey(partition);
    let after: string | null = null;
    for (;;) {
      const n = Math.min(PAGE, left);
      const rows: Array<{ seq: string; id: string; data: unknown }> =
        after === null
          ? offset === 0
            ? await q()(`SELECT seq, id, data FROM ${this.records} WHERE ${IN_PARTITION} = $1 ORDER BY seq LIMIT $2`, [inPartition(collection, p), n])
            : // A deep page (SCIM startIndex=249,901): find where it starts by skipping over the
              // (collection, partition, seq) index alone, an index-only scan when the visibility
              // map is current, instead of fetching every skipped row's data (2.2-5.6 s measured
              // at 250,000 users with LIMIT/OFFSET over the rows).
              await q()(
                `SELECT seq, id, data FROM ${this.records} WHERE ${IN_PARTITION} = $1 AND seq >= (SELECT seq FROM ${this.records} WHERE ${IN_PARTITION} = $1 ORDER BY seq LIMIT 1 OFFSET $3) ORDER BY seq LIMIT $2`,
                [inPartition(collection, p), n, offset],
              )
          : await q()(`SELECT seq, id, data FROM ${this.records} WHERE ${IN_PARTITION} = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [inPartition(collection, p), after, n]);
      for (const row of rows) yield { id: decodeKey(row.id), data: row.data };
      left -= rows.length;
      if (rows.length < n || left <= 0) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  /** Newest first (seq descending), one partition or the whole collection, page by page. */
  async *newestFirst(q: () => Query, collection: string, partition?: string): AsyncGenerator<unknown> {
    let before: string | null = null;
    const p = partition === undefined ? undefined : encodeKey(partition);
    for (;;) {
      const values: unknown[] = [p === undefined ? inCollection(collection) : inPartition(collection, p)];
      let where = `${p === undefined ? IN_COLLECTION : IN_PARTITION} = $1`;
      if (before !== null) where += ` AND seq < $${values.push(before)}`;
      const rows = await q()<{ seq: string; data: unknown }>(`SELECT seq, data FROM ${this.records} WHERE ${where} ORDER BY seq DESC LIMIT ${PAGE}`, values);
      for (const row of rows) yield row.data;
      if (rows.length < PAGE) return;
      before = rows[rows.length - 1]!.seq;
    }
  }

  /**
   * The partitions of a collection, sorted: a loose index scan (one index probe per partition),
   * so a collection of a million records in three partitions costs three probes.
   */
  async partitions(q: Query, collection: string): Promise<string[]> {
    const rows = await q<{ partition: string }>(
      `WITH RECURSIVE p AS (
         (SELECT partition FROM ${this.records} WHERE collection = $1 ORDER BY partition LIMIT 1)
         UNION ALL
         SELECT (SELECT r.partition FROM ${this.records} r WHERE r.collection = $1 AND r.partition > p.partition ORDER BY r.partition LIMIT 1)
         FROM p WHERE p.partition IS NOT NULL
       ) SELECT partition FROM p WHERE partition IS NOT NULL`,
      [collection],
    );
    return rows.map((r) => decodeKey(r.partition));
  }

  async count(q: Query, collection: string, partition: string): Promise<number> {
    const rows = await q<{ n: string }>(`SELECT count(*) AS n FROM ${this.records} WHERE collection = $1 AND partition = $2`, [collection, encodeKey(partition)]);
    return Number(rows[0]?.n ?? 0);
  }

  /** Which of `ids` exist in the partition. */
  async existing(q: Query, collection: string, partition: string, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await q<{ id: string }>(`SELECT id FROM ${this.records} WHERE collection = $1 AND partition = $2 AND id = ANY($3::text[])`, [collection, encodeKey(partition), ids.map(encodeKey)]);
    return new Set(rows.map((r) => decodeKey(r.id)));
  }

  /** Records filed under `value` in index `name`, in insertion order; `lock`: row-locked (key-locks.ts). */
  async lookup(q: Query, collection: string, name: string, value: string, lock = false): Promise<Array<{ partition: string; id: string; data: unknown }>> {
    const rows = await q<{ partition: string; id: string; data: unknown }>(
      `SELECT r.partition, r.id, r.data FROM ${this.entries} e
       JOIN ${this.records} r ON r.collection = e.collection AND r.partition = e.partition AND r.id = e.id
       WHERE e.name = $1 AND e.value = $2 AND e.collection = $3
       ORDER BY r.seq${lock ? ' FOR UPDATE OF r' : ''}`,
      [name, encodeKey(value), collection],
    );
    return rows.map((r) => ({ partition: decodeKey(r.partition), id: decodeKey(r.id), data: r.data }));
  }
}

/**
 * Whether a record found through index entries is still filed under `value` by this process's
 * definition. Two transactions inserting the same new record at once can leave the loser's
 * snapshot without the winner's entries (writes.ts), so an entry may outlive its key; the record
 * itself is the truth, as on the other stores.
 */
export function filedUnder(def: IndexDef | undefined, record: unknown, partition: string, value: string): boolean {
  return def === undefined || keysFor(def, record, partition).includes(value);
}
