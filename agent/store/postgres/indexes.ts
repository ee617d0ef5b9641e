import { createHash } from 'node:crypto';
import type pg from 'pg';
import { childLogger } from '../../log/logger.ts';
import type { CollectionName } from '../collections.ts';
import type { IndexOptions } from '../store.ts';
import { decodeKey, encodeKey, ident, IN_COLLECTION, inCollection } from './sql.ts';

const log = childLogger('store');

/**
 * Secondary indexes on PostgreSQL. `keysOf` is JavaScript, so PostgreSQL cannot compute an index
 * itself: the store writes one `index_entries` row (name, value, collection, partition, id) per
 * key as records are put and deleted (in the same statement as the records), and `lookup` is one
 * indexed join. An index is rebuilt from the records when the definition found in
 * `index_definitions` differs from the one this process defines (a hash of its collection and
 * `keysOf.toString()`): a new index, or one whose key function changed in a new release.
 *
 * The hash sees `keysOf`'s own source and that of the helpers it declares it uses (`uses`,
 * store.ts `defineIndex`: emailKey for every email index), so a helper whose behaviour changes
 * (emailKey folding Unicode NFC, December 2026) rebuilds every index built through it. A helper not
 * declared is not seen: declare it, or change the index's name or its source.
 *
 * Replicas running different releases during a rolling upgrade may define one index differently;
 * each start then rebuilds it for its own definition, and records written by the other release
 * are filed under that release's keys until the upgrade completes. Give a changed key function a
 * new index name when the two releases must coexist for long.
 */
export interface IndexDef {
  name: string;
  collection: CollectionName;
  keysOf: (record: any, partition: string) => string[];
  /** The helpers `keysOf` declares it uses (part of the hash). */
  uses?: NonNullable<IndexOptions['uses']>;
  hash: string;
}

/** An index definition; its hash is unchanged for one that declares no helpers, as before `uses`. */
export function indexDef(name: string, collection: CollectionName, keysOf: IndexDef['keysOf'], uses: IndexDef['uses'] = []): IndexDef {
  const source = [keysOf, ...uses].map((f) => f.toString()).join('\n');
  const hash = createHash('sha256').update(`${collection}\n${source}`).digest('hex').slice(0, 32);
  return { name, collection, keysOf, ...(uses.length > 0 ? { uses } : {}), hash };
}

/** The distinct keys of a record for one index (a key listed twice is filed once). */
export function keysFor(def: IndexDef, record: unknown, partition: string): string[] {
  const keys = def.keysOf(record, partition);
  if (!Array.isArray(keys)) throw new Error(`store: index ${def.name} returned ${typeof keys}, not an array of keys`);
  return keys.length <= 1 ? keys.map(String) : [...new Set(keys.map(String))];
}

const PAGE = 1_000;

/**
 * Rebuilds, in one transaction, the indexes among `defs` whose stored definition differs, and
 * returns their names. Runs under the schema's advisory lock (transaction-level; reentrant when
 * the caller's session already holds it at open) so replicas starting together build an index
 * once, and with `records` locked in SHARE mode so no record changes while it is read (writers
 * wait; their transactions then file their records under the new definition too).
 */
export async function rebuildIndexes(client: pg.ClientBase, schema: string, lockKey: string, defs: readonly IndexDef[]): Promise<string[]> {
  if (defs.length === 0) return [];
  const s = ident(schema);
  await client.query('BEGIN');
  try {
    // A build waits for the schema's lock and the table as long as it takes (the pool's sessions
    // give up a lock wait after lock_timeout, pool.ts); SET LOCAL ends with the transaction.
    await client.query('SET LOCAL lock_timeout = 0');
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey]);
    const stored = new Map((await client.query<{ name: string; definition_hash: string }>(`SELECT name, definition_hash FROM ${s}.index_definitions WHERE name = ANY($1::text[])`, [defs.map((d) => d.name)])).rows.map((r) => [r.name, r.definition_hash]));
    const stale = defs.filter((d) => stored.get(d.name) !== d.hash);
    if (stale.length === 0) {
      await client.query('COMMIT');
      return [];
    }
    await client.query(`LOCK TABLE ${s}.records IN SHARE MODE`);
    for (const def of stale) {
      const started = Date.now();
      await client.query(`DELETE FROM ${s}.index_entries WHERE name = $1`, [def.name]);
      let after = '-9223372036854775808';
      let records = 0;
      let entries = 0;
      for (;;) {
        const page = await client.query<{ seq: string; partition: string; id: string; data: unknown }>(
          `SELECT seq, partition, id, data FROM ${s}.records WHERE ${IN_COLLECTION} = $1 AND seq > $2 ORDER BY seq LIMIT ${PAGE}`,
          [inCollection(def.collection), after],
        );
        const names: string[] = [];
        const values: string[] = [];
        const partitions: string[] = [];
        const ids: string[] = [];
        for (const row of page.rows) {
          for (const key of keysFor(def, row.data, decodeKey(row.partition))) {
            names.push(def.name);
            values.push(encodeKey(key));
            partitions.push(row.partition);
            ids.push(row.id);
          }
        }
        if (names.length > 0) {
          await client.query(
            `INSERT INTO ${s}.index_entries (name, value, collection, partition, id)
             SELECT n, v, $5, p, i FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS e(n, v, p, i)
             ON CONFLICT DO NOTHING`,
            [names, values, partitions, ids, def.collection],
          );
        }
        records += page.rows.length;
        entries += names.length;
        if (page.rows.length < PAGE) break;
        after = page.rows[page.rows.length - 1]!.seq;
      }
      await client.query(
        `INSERT INTO ${s}.index_definitions (name, collection, definition_hash) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET collection = EXCLUDED.collection, definition_hash = EXCLUDED.definition_hash, built_at = now()`,
        [def.name, def.collection, def.hash],
      );
      log.info('store: PostgreSQL index built', { schema, index: def.name, records, entries, ms: Date.now() - started });
    }
    await client.query('COMMIT');
    return stale.map((d) => d.name);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
