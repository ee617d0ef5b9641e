/**
 * Bulk load of records into a PostgreSQL store schema (test/bench/scale.ts): the schema is made by
 * the store itself (PostgresStore.open: migrations, and the index definitions with their hashes,
 * built while empty), then records and their index entries are COPYed straight into its tables
 * (agent/store/postgres/migrations/001-records.sql), as the store would have written them: record
 * keys escaped by `encodeKey`, index keys from the server's own key functions (`keysFor`).
 * As PostgreSQL advises for a bulk load (https://www.postgresql.org/docs/current/populate.html):
 * the tables' indexes and primary keys are dropped first and built again after the COPYs (one sort
 * each, with a larger maintenance_work_mem, instead of millions of random B-tree inserts), from
 * their definitions as read from the catalog, so they come back exactly as the migrations made
 * them. Finally VACUUM ANALYZE, so the replica measured afterwards finds planner statistics and
 * is not slowed by autovacuum's first pass over a table loaded a moment ago.
 */
import pg from 'pg';
import { PostgresStore } from '../../../agent/store/postgres/postgres-store.ts';
import { keysFor, type IndexDef } from '../../../agent/store/postgres/indexes.ts';
import { encodeKey, ident } from '../../../agent/store/postgres/sql.ts';
import { copyIn, copyLine } from './copy-in.ts';
import type { Row } from './scale-dataset.ts';

export interface Loader {
  /** Writes a batch of records (and their index entries); batches may be sent while others load. */
  load(rows: readonly Row[]): Promise<void>;
  /** Waits for the batches in flight, then VACUUM ANALYZE; returns counts and timings. */
  finish(): Promise<{ records: number; entries: number; indexMs: number; vacuumMs: number }>;
}

/** Creates the schema through the store (so its migrations and index hashes are the product's). */
export async function createSchema(url: string, schema: string, indexes: readonly IndexDef[]): Promise<void> {
  const store = new PostgresStore({ url, schema, poolSize: 2 });
  for (const def of indexes) store.defineIndex(def.collection, def.name, def.keysOf, { uses: def.uses });
  await store.open();
  await store.close();
}

/**
 * Two connections: one COPYs records, the other index entries, so PostgreSQL uses both cores while
 * this process encodes the next batch. At most `inFlight` batches are queued.
 */
export async function openLoader(url: string, schema: string, indexes: readonly IndexDef[], inFlight = 2): Promise<Loader> {
  const records = new pg.Client({ connectionString: url, application_name: 'hubwarden-bench-load' });
  const entries = new pg.Client({ connectionString: url, application_name: 'hubwarden-bench-load' });
  await records.connect();
  await entries.connect();
  // Each COPY is its own transaction; nothing here needs to survive a crash of the bench.
  for (const c of [records, entries]) await c.query('SET synchronous_commit = off');
  const s = ident(schema);
  const rebuild = await dropIndexes(records, schema);
  const byCollection = new Map<string, IndexDef[]>();
  for (const def of indexes) byCollection.set(def.collection, [...(byCollection.get(def.collection) ?? []), def]);
  let recordCount = 0;
  let entryCount = 0;
  const pending = new Set<Promise<unknown>>();
  let failed: unknown;
  let recordChain: Promise<unknown> = Promise.resolve();
  let entryChain: Promise<unknown> = Promise.resolve();

  return {
    async load(rows) {
      if (failed) throw failed;
      while (pending.size >= inFlight) await Promise.race(pending);
      const recordLines: string[] = [];
      const entryLines: string[] = [];
      for (const [collection, partition, id, record] of rows) {
        const p = encodeKey(partition);
        const i = encodeKey(id);
        recordLines.push(copyLine([collection, p, i, JSON.stringify(record)]));
        for (const def of byCollection.get(collection) ?? []) {
          for (const key of keysFor(def, record, partition)) entryLines.push(copyLine([def.name, encodeKey(key), collection, p, i]));
        }
      }
      // Records keep their batch order (insertion order = seq); entries have no order.
      const r = (recordChain = recordChain.then(() => copyIn(records, `COPY ${s}.records (collection, partition, id, data) FROM STDIN`, recordLines)).then((n) => (recordCount += n)));
      const e = (entryChain = entryChain.then(() => (entryLines.length ? copyIn(entries, `COPY ${s}.index_entries (name, value, collection, partition, id) FROM STDIN`, entryLines) : 0)).then((n) => (entryCount += n)));
      const both: Promise<unknown> = Promise.all([r, e]).catch((err) => (failed = err)).finally(() => pending.delete(both));
      pending.add(both);
    },
    async finish() {
      await Promise.all(pending);
      if (failed) throw failed;
      const indexStarted = Date.now();
      await rebuild([records, entries]);
      const indexMs = Date.now() - indexStarted;
      const started = Date.now();
      await Promise.all([records.query(`VACUUM (ANALYZE) ${s}.records`), entries.query(`VACUUM (ANALYZE) ${s}.index_entries`)]);
      const vacuumMs = Date.now() - started;
      await records.end();
      await entries.end();
      return { records: recordCount, entries: entryCount, indexMs, vacuumMs };
    },
  };
}

/**
 * Drops the primary keys and indexes of the store's two big tables; returns what builds them again
 * (the statements are read from the catalog: pg_get_constraintdef, pg_indexes.indexdef), spread
 * over the given connections, each with maintenance_work_mem raised for the sorts.
 */
async function dropIndexes(client: pg.Client, schema: string): Promise<(clients: pg.Client[]) => Promise<void>> {
  const s = ident(schema);
  const keys = (await client.query<{ table: string; name: string; def: string }>(
    `SELECT c.relname AS table, k.conname AS name, pg_get_constraintdef(k.oid) AS def FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname IN ('records', 'index_entries') AND k.contype = 'p'`, [schema])).rows;
  const indexes = (await client.query<{ name: string; def: string }>(
    `SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = $1 AND tablename IN ('records', 'index_entries')
     AND indexname NOT IN (SELECT k.conname FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = $1)`, [schema])).rows;
  for (const k of keys) await client.query(`ALTER TABLE ${s}.${ident(k.table)} DROP CONSTRAINT ${ident(k.name)}`);
  for (const i of indexes) await client.query(`DROP INDEX ${s}.${ident(i.name)}`);
  const statements = [
    ...keys.map((k) => `ALTER TABLE ${s}.${ident(k.table)} ADD CONSTRAINT ${ident(k.name)} ${k.def}`),
    ...indexes.map((i) => i.def),
  ];
  return async (clients) => {
    let next = 0;
    await Promise.all(clients.map(async (c) => {
      await c.query(`SET maintenance_work_mem = '512MB'`);
      while (next < statements.length) await c.query(statements[next++]!);
    }));
  };
}
