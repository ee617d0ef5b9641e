import { createHash } from 'node:crypto';
import type { ListRange } from '../store.ts';
import { keysFor, type IndexDef } from './indexes.ts';
import { ReadBatch } from './read-batch.ts';
import { EMPTY_PRINT } from './read-set.ts';
import { decodeKey, encodeKey, ident, IN_COLLECTION, IN_PARTITION, inCollection, inPartition } from './sql.ts';

/** Something that runs a query: the pool (reads outside transactions) or a transaction's client. */
export interface Query {
  <Row extends Record<string, unknown> = Record<string, any>>(text: string, values?: unknown[]): Promise<Row[]>;
  /** The query this one wraps (a transaction's counting wrapper): reads by key and lookups join its batch. */
  wraps?: Query;
  /** Called for each read sent in a batch (a transaction counts its read statements, read-set.ts). */
  counted?: () => void;
}

/** Rows a `list` page holds: few enough that a page is small, many enough that a partition is few queries. */
export const PAGE = 500;

/**
 * The store's reads as SQL, each one query (or one per page). Every read names the collection and
 * partition so it is an index scan. Inside a transaction, the `…Printed` reads (and `list` with
 * `onPrint`) also return what read-set.ts checks at COMMIT, from the same statement.
 */
export class Reads {
  private readonly records: string;
  private readonly entries: string;
  /** The schema, quoted: its print functions (migrations/003-read-prints.sql). */
  private readonly s: string;
  /** Reads by key and lookups, sent together per loop iteration (read-batch.ts), one batch per query function. */
  private readonly batches = new WeakMap<Query, ReadBatch>();

  constructor(schema: string) {
    this.s = ident(schema);
    this.records = `${this.s}.records`;
    this.entries = `${this.s}.index_entries`;
  }

  async get(q: Query, collection: string, partition: string, id: string): Promise<unknown> {
    return (await this.getPrinted(q, collection, partition, id)).data;
  }

  /** Records of one partition by id, in the order of `ids`; `printed`: with each one's print (null when absent). */
  async getMany(q: Query, collection: string, partition: string, ids: readonly string[], printed = false): Promise<Array<{ data: unknown; print: string | null }>> {
    const rows = await this.batch(q).get(storedKeys(collection, partition, ids));
    return rows.map((r) => (r ? { data: r.data, print: printed ? r.v : null } : { data: undefined, print: null }));
  }

  /** Each record's print (its row version, read-set.ts), null where absent: whether it exists, without its data. */
  async hasMany(q: Query, collection: string, partition: string, ids: readonly string[]): Promise<Array<string | null>> {
    const rows = await this.batch(q).get(storedKeys(collection, partition, ids), false);
    return rows.map((r) => r?.v ?? null);
  }

  /** The record and its print (its row version, read-set.ts), or undefined and null when absent. */
  async getPrinted(q: Query, collection: string, partition: string, id: string): Promise<{ data: unknown; print: string | null }> {
    const [row] = await this.batch(q).get(storedKeys(collection, partition, [id]));
    return row ? { data: row.data, print: row.v } : { data: undefined, print: null };
  }

  /**
   * A partition's records in insertion order, page by page (keyset on seq), with their ids.
   * `range` is applied in SQL: the offset on the first page, the limit across pages.
   */
  async *list(q: () => Query, collection: string, partition: string, range?: ListRange, onPrint?: (print: string) => void): AsyncGenerator<{ id: string; data: unknown }> {
    let left = range?.limit ?? Infinity;
    const p = encodeKey(partition);
    const offset = Math.max(0, Math.floor(range?.offset ?? 0));
    if (onPrint && left <= 0) {
      onPrint((await q()<{ print: string }>(`SELECT ${this.s}.partition_print($1, $2) AS print`, [collection, p]))[0]!.print);
      return;
    }
    if (left <= 0) return;
    let after: string | null = null;
    for (;;) {
      const n = Math.min(PAGE, left);
      let rows: Array<{ seq: string | null; id: string; data: unknown; print?: string }>;
      if (after === null) {
        // A deep page (SCIM startIndex=249,901): find where it starts by skipping over the
        // (collection, partition, seq) index alone, an index-only scan when the visibility map is
        // current, instead of fetching every skipped row's data (2.2-5.6 s measured at 250,000
        // users with LIMIT/OFFSET over the rows).
        const from = offset === 0 ? '' : ` AND seq >= (SELECT seq FROM ${this.records} WHERE ${IN_PARTITION} = $1 ORDER BY seq LIMIT 1 OFFSET $3)`;
        const page = `SELECT seq, id, data FROM ${this.records} WHERE ${IN_PARTITION} = $1${from} ORDER BY seq LIMIT $2`;
        const values: unknown[] = offset === 0 ? [inPartition(collection, p), n] : [inPartition(collection, p), n, offset];
        if (onPrint) {
          // The first page and the whole partition's print (read-set.ts) in one statement: one
          // snapshot. At least one row comes back, the print's, even when the page is empty.
          const k = values.length;
          // OFFSET 0 keeps the print a subquery computed once: flattened, it was computed again for
          // every row of the page (500 times 10 ms: 2-3 s per page of a 10,000-record partition).
          rows = await q()(`SELECT x.seq, x.id, x.data, pr.print FROM (SELECT ${this.s}.partition_print($${k + 1}, $${k + 2}) AS print OFFSET 0) pr LEFT JOIN LATERAL (${page}) x ON true ORDER BY x.seq`, [...values, collection, p]);
          onPrint(rows[0]!.print!);
          rows = rows.filter((r) => r.seq !== null);
        } else rows = await q()(page, values);
      } else rows = await q()(`SELECT seq, id, data FROM ${this.records} WHERE ${IN_PARTITION} = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [inPartition(collection, p), after, n]);
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
  async partitions(q: Query, collection: string, onPrint?: (print: string) => void): Promise<string[]> {
    const rows = await q<{ partition: string; print?: string }>(
      `WITH RECURSIVE p AS (
         (SELECT partition FROM ${this.records} WHERE collection = $1 ORDER BY partition LIMIT 1)
         UNION ALL
         SELECT (SELECT r.partition FROM ${this.records} r WHERE r.collection = $1 AND r.partition > p.partition ORDER BY r.partition LIMIT 1)
         FROM p WHERE p.partition IS NOT NULL
       ) SELECT partition${onPrint ? `, (SELECT ${this.s}.collection_print($1)) AS print` : ''} FROM p WHERE partition IS NOT NULL`,
      [collection],
    );
    onPrint?.(rows[0]?.print ?? EMPTY_PRINT);
    return rows.map((r) => decodeKey(r.partition));
  }

  async count(q: Query, collection: string, partition: string): Promise<number> {
    const rows = await q<{ n: string }>(`SELECT count(*) AS n FROM ${this.records} WHERE collection = $1 AND partition = $2`, [collection, encodeKey(partition)]);
    return Number(rows[0]?.n ?? 0);
  }

  /** The count and the partition's print (read-set.ts; the print begins with the count). */
  async countPrinted(q: Query, collection: string, partition: string): Promise<{ n: number; print: string }> {
    const rows = await q<{ print: string }>(`SELECT ${this.s}.partition_print($1, $2) AS print`, [collection, encodeKey(partition)]);
    const print = rows[0]!.print;
    return { n: Number(print.slice(0, print.indexOf('/'))), print };
  }

  /** A record of the partition whose id is not one of `ids`, with its print, or undefined. */
  async anyOtherThan(q: Query, collection: string, partition: string, ids: readonly string[]): Promise<{ id: string; print: string } | undefined> {
    const rows = await q<{ id: string; v: string }>(
      `SELECT id, xmin::text AS v FROM ${this.records} WHERE collection = $1 AND partition = $2 AND id <> ALL($3::text[]) LIMIT 1`,
      [collection, encodeKey(partition), ids.map(encodeKey)],
    );
    return rows[0] ? { id: decodeKey(rows[0].id), print: rows[0].v } : undefined;
  }

  /** Records filed under `value` in index `name`, in insertion order. */
  async lookup(q: Query, collection: string, name: string, value: string): Promise<Array<{ partition: string; id: string; data: unknown }>> {
    return (await this.lookupRows(q, collection, name, value)).map(decoded);
  }

  /**
   * The same, with each record's print and the print of the whole set (read-set.ts), from one
   * statement. `fields`: each record cut to those in SQL, with the same prints (a 5,000-member
   * group's row is not sent to read its name).
   */
  async lookupPrinted(q: Query, collection: string, name: string, value: string, fields?: readonly string[]): Promise<{ found: Array<{ partition: string; id: string; data: unknown; print: string }>; print: string }> {
    const rows = await this.lookupRows(q, collection, name, value, fields);
    return { found: rows.map((r) => ({ ...decoded(r), data: fields ? r.data ?? {} : r.data, print: r.v })), print: lookupPrint(rows) };
  }

  /** A lookup's rows as stored (encoded keys) with their row versions; `fields`: only those of each record. */
  private lookupRows(q: Query, collection: string, name: string, value: string, fields?: readonly string[]) {
    return this.batch(q).lookup(collection, name, encodeKey(value), fields);
  }

  /** The batch a read through `q` joins: the one of the query `q` wraps, so transactions share the pool's. */
  private batch(q: Query): ReadBatch {
    q.counted?.();
    const root = q.wraps ?? q;
    let batch = this.batches.get(root);
    if (!batch) this.batches.set(root, (batch = new ReadBatch(root, this.records, this.entries)));
    return batch;
  }
}

/** Records' keys as stored (partition and id encoded, sql.ts), for ReadBatch.get. */
function storedKeys(collection: string, partition: string, ids: readonly string[]): Array<[string, string, string]> {
  const p = encodeKey(partition);
  return ids.map((id) => [collection, p, encodeKey(id)]);
}

const decoded = (r: { partition: string; id: string; data: unknown }) => ({ partition: decodeKey(r.partition), id: decodeKey(r.id), data: r.data });

/**
 * The print of a lookup's rows, as read (stored partition and id, row version, in insertion
 * order): what `commit_writes` computes again at commit (migrations/006-known-absent-inserts.sql).
 * md5 over the UTF-8 text, as PostgreSQL's md5() of a UTF8 database's text.
 */
export function lookupPrint(rows: ReadonlyArray<{ partition: string; id: string; v: string }>): string {
  if (rows.length === 0) return EMPTY_PRINT;
  const text = rows.map((r) => `${r.partition}\u001f${r.id}\u001f${r.v}`).join('\u001e');
  return `${rows.length}/${createHash('md5').update(text, 'utf8').digest('hex')}`;
}

/**
 * Whether a record found through index entries is still filed under `value` by this process's
 * definition: during a rolling upgrade another replica may file records by an older or newer
 * `keysOf` until the index is rebuilt (indexes.ts), so the record itself is the truth, as on the
 * other stores.
 */
export function filedUnder(def: IndexDef | undefined, record: unknown, partition: string, value: string): boolean {
  return def === undefined || keysFor(def, record, partition).includes(value);
}
