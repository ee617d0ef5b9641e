import { LoopBatch } from '../loop-batch.ts';
import type { Query } from './reads.ts';

/** A record as stored: its data and row version (read-set.ts), or undefined when absent. */
export type StoredRow = { data: unknown; v: string } | undefined;
/** A lookup's row as stored (encoded keys), with its row version. */
export type LookupRow = { partition: string; id: string; data: unknown; v: string };

interface PendingGets { keys: Array<[string, string, string]>; data: boolean; resolve: (rows: StoredRow[]) => void; reject: (err: unknown) => void }
interface PendingLookup { name: string; value: string; collection: string; fields: string | null; names: readonly string[] | undefined; resolve: (rows: LookupRow[]) => void; reject: (err: unknown) => void }

/**
 * Reads by key and by index that arrive while the event loop handles one round of I/O, sent
 * together (LoopBatch): all the keys in one statement, all the lookups in another. Not a cache:
 * every read goes to the database, and a read never waits past the end of the current loop
 * iteration.
 *
 * Why: on PostgreSQL each statement is a round trip whose cost (a socket write, waking the
 * server's process and ours, parsing) dwarfs the index probe it carries: a provision run's
 * statement log showed 40,000 reads of 0.02-0.03 ms each, and the agent's CPU profile 13 s of
 * 41 s inside the socket write. A person's plan asks for a dozen reads in two or three rounds
 * (plan/person-input.ts) and the dispatcher plans a hundred people at once; SCIM requests
 * arrive sixteen at a time. Batched, those reads share their round trips. One statement is also one snapshot: what the reads return together is
 * at least as consistent as separate statements were.
 */
export class ReadBatch {
  private readonly gets = new LoopBatch<PendingGets>((batch) => void this.sendGets(batch));
  private readonly lookups = new LoopBatch<PendingLookup>((batch) => void this.sendLookups(batch));

  constructor(private readonly q: Query, private readonly records: string, private readonly entries: string) {}

  /**
   * Each key's stored record, in the order of `keys` (already encoded). `data` false: only
   * whether it exists and its row version (data undefined), its data neither detoasted nor sent.
   */
  get(keys: Array<[collection: string, partition: string, id: string]>, data = true): Promise<StoredRow[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => this.gets.add({ keys, data, resolve, reject }));
  }

  /** The records filed under `value` (encoded) in index `name`, in insertion order; `fields`: each cut to those. */
  lookup(collection: string, name: string, value: string, fields?: readonly string[]): Promise<LookupRow[]> {
    return new Promise((resolve, reject) => this.lookups.add({ name, value, collection, fields: fields ? JSON.stringify(fields) : null, names: fields, resolve, reject }));
  }

  private async sendGets(batch: PendingGets[]): Promise<void> {
    const c: string[] = [];
    const p: string[] = [];
    const i: string[] = [];
    const d: boolean[] = [];
    for (const b of batch) for (const k of b.keys) { c.push(k[0]); p.push(k[1]); i.push(k[2]); d.push(b.data); }
    let rows: Array<{ o: string; data: unknown; v: string }>;
    try {
      // One primary-key probe per key, whatever the statistics say: on a table not analyzed yet
      // the planner took a partition to hold one row, and as `id = ANY(…)` or as a join it read
      // the whole partition and filtered it (EXPLAIN ANALYZE: 9,900 rows removed to find 100,
      // 14 ms; as a join, 999,900). A LATERAL subquery with LIMIT is never flattened into a join.
      rows = await this.q(
        `SELECT k.o, CASE WHEN k.d THEN r.data END AS data, r.v FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[]) WITH ORDINALITY AS k(c, p, i, d, o)
         CROSS JOIN LATERAL (SELECT data, xmin::text AS v FROM ${this.records} WHERE collection = k.c AND partition = k.p AND id = k.i LIMIT 1) r`,
        [c, p, i, d],
      );
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    const found: StoredRow[] = new Array<StoredRow>(c.length).fill(undefined);
    for (const r of rows) found[Number(r.o) - 1] = { data: d[Number(r.o) - 1] ? r.data : undefined, v: r.v };
    let at = 0;
    for (const b of batch) {
      b.resolve(found.slice(at, at + b.keys.length));
      at += b.keys.length;
    }
  }

  private async sendLookups(batch: PendingLookup[]): Promise<void> {
    let rows: LookupAnswer[];
    // Whether the records came whole (the fallback below) and are cut here.
    let whole = false;
    try {
      try {
        rows = await this.lookupStatement(batch, batch.map((b) => b.fields));
      } catch (err) {
        if (!refusedEscape(err) || batch.every((b) => b.fields === null)) throw err;
        // A record holds a `\u0000` or a lone surrogate (`\ud800`): json stores them, but
        // json_each de-escapes every string of the value it reads and refuses those ("unsupported
        // Unicode escape sequence", "Unicode low surrogate must follow a high surrogate":
        // https://www.postgresql.org/docs/current/datatype-json.html), whichever field holds them
        // and whichever fields are asked for. One such record failed every read of the batch. The
        // batch goes again with every record whole, cut here as the database cuts them: a second
        // statement only for a batch that meets such a record, nothing more for the others.
        rows = await this.lookupStatement(batch, batch.map(() => null));
        whole = true;
      }
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    const found: LookupRow[][] = batch.map(() => []);
    // The data of each record as first sent, per fields asked for (the window's partition).
    const sent = new Map<string, unknown>();
    for (const r of rows) {
      const b = batch[Number(r.o) - 1]!;
      const key = `${b.collection}\u0000${r.partition}\u0000${r.id}\u0000${whole ? '' : b.fields ?? ''}`;
      if (r.first) sent.set(key, r.data);
      const data = r.first ? r.data : sent.get(key);
      found[Number(r.o) - 1]!.push({ partition: r.partition, id: r.id, data: whole && b.names ? cutAsStored(data, b.names) : data, v: r.v });
    }
    batch.forEach((b, n) => b.resolve(found[n]!));
  }

  /** The batch's lookups as one statement; `fields[i]`: lookup i's fields (JSON), null for whole records. */
  private lookupStatement(batch: PendingLookup[], fields: Array<string | null>): Promise<LookupAnswer[]> {
    // Each lookup's entries, then their records, in insertion order within the lookup. A lookup
    // with fields gets each record cut to them by the database (a 5,000-member group's row is
    // not sent to read its name).
    //
    // A record found by several lookups of the batch (the group every person of a 100-person
    // plan batch belongs to) has its data read, cut and sent once, on its first row; its other
    // rows carry its key and version only, and take the data of that first row here. Before,
    // each of the 100 rows detoasted and parsed the 5,000-member group's JSON to cut it: the
    // provision benchmark's statement log put 25.7 s of PostgreSQL's time in those lookups
    // (93 ms each on average, 597 ms at most). The window sorts the found rows; no hash or
    // merge join is needed (the store's sessions disable them, postgres-store.ts).
    //
    // Each entry's record is a primary-key probe on all three key columns (LATERAL … OFFSET 0
    // is never flattened into a join). As a join, the planner carried `collection = $3` over
    // from the entries (one equivalence class) and, with statistics taken while the table was
    // small and the generic plan, scanned the whole collection for each entry, filtering
    // partition and id: auto_explain showed a 1,153-task lookup remove 728,358 rows (365 ms),
    // and the fleet's poll of open tasks grew to 5.3 s as the tasks did.
    return this.q(
      `SELECT h.o, h.partition, h.id, h.v, h.first,
              CASE WHEN NOT h.first THEN NULL
                   WHEN h.f IS NULL THEN d.data
                   ELSE (SELECT json_object_agg(j.key, j.value) FROM json_each(d.data) AS j
                         WHERE j.key IN (SELECT json_array_elements_text(h.f::json))) END AS data
       FROM (
         SELECT k.o, k.f, r.collection, r.partition, r.id, r.v, r.seq,
                row_number() OVER (PARTITION BY r.collection, r.partition, r.id, k.f ORDER BY k.o) = 1 AS first
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS k(n, val, c, f, o)
         CROSS JOIN LATERAL (
           SELECT x.collection, x.partition, x.id, x.v, x.seq FROM ${this.entries} e
           CROSS JOIN LATERAL (
             SELECT y.collection, y.partition, y.id, y.xmin::text AS v, y.seq FROM ${this.records} y
             WHERE y.collection = e.collection AND y.partition = e.partition AND y.id = e.id OFFSET 0
           ) x
           WHERE e.name = k.n AND e.value = k.val AND e.collection = k.c
           OFFSET 0
         ) r
       ) h
       LEFT JOIN LATERAL (
         SELECT x.data FROM ${this.records} x WHERE h.first AND x.collection = h.collection AND x.partition = h.partition AND x.id = h.id OFFSET 0
       ) d ON true
       ORDER BY h.o, h.seq`,
      [batch.map((b) => b.name), batch.map((b) => b.value), batch.map((b) => b.collection), fields],
    );
  }
}

type LookupAnswer = { o: string; partition: string; id: string; v: string; first: boolean; data: unknown };

/**
 * PostgreSQL's refusal of a string escape when it reads a json value's text: 22P05 for `\u0000`,
 * 22P02 for a lone surrogate (https://www.postgresql.org/docs/current/errcodes-appendix.html).
 */
function refusedEscape(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '22P05' || code === '22P02';
}

/**
 * `data` cut to `names` as the lookup statement cuts it in SQL: the fields present, in the
 * record's own key order; null (read as `{}`, reads.ts) when none is. Built with fromEntries so a
 * field named `__proto__` stays a field.
 */
function cutAsStored(data: unknown, names: readonly string[]): unknown {
  if (data === null || typeof data !== 'object') return data;
  const kept = Object.entries(data).filter(([k]) => names.includes(k));
  return kept.length > 0 ? Object.fromEntries(kept) : null;
}
