import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { freshSchemas } from '../../../test/fresh-schemas.ts';
import { postgresForTests, withPgClient } from '../../../test/postgres.ts';
import { collect } from '../store.ts';
import { migrate, migrationFiles } from './migrate.ts';
import { PostgresStore } from './postgres-store.ts';
import { encodeKey, ident } from './sql.ts';

/** migrations/005-c-collation.sql: the store's keys compare byte by byte, and a schema made before it upgrades with nothing lost. */
declare module '../collections.ts' {
  interface Collections {
    collationItems: { id: string; tags: string[] };
  }
}

const db = await postgresForTests();
const freshSchema = freshSchemas(db);

const withClient = <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => withPgClient(db.url, fn);

async function open(schema: string): Promise<PostgresStore> {
  const store = new PostgresStore({ url: db.url, schema, poolSize: 2 });
  store.defineIndex('collationItems', 'collation.tags', (r, p) => r.tags.map((t) => `${p}\u0000${t}`));
  await store.open();
  return store;
}

/** Key columns whose collation is not "C". */
const notC = (schema: string) => withClient(async (client) => (await client.query<{ column: string }>(
  `SELECT table_name || '.' || column_name AS column FROM information_schema.columns
   WHERE table_schema = $1 AND table_name IN ('records', 'index_entries') AND data_type = 'text' AND collation_name IS DISTINCT FROM 'C'
   ORDER BY 1`, [schema])).rows.map((r) => r.column));

// Orders that differ between locales (en_US puts "_x" and "a" before "B") but not between stores.
const keys = ['b', 'B', 'a', 'A', '_x', 'Z', 'é', 'z'];

describe('PostgresStore keys: the C collation', { skip: db.skip }, () => {
  test('every key column of a new schema compares byte by byte, and partitions come back in code point order', async (t) => {
    const schema = freshSchema('collation');
    const store = await open(schema);
    t.after(() => store.close());
    assert.deepEqual(await notC(schema), []);
    await store.transact((tx) => {
      for (const k of keys) tx.put('collationItems', k, 'one', { id: 'one', tags: [k] });
    });
    assert.deepEqual(await store.partitions('collationItems'), [...keys].sort());
  });

  test('a schema migrated before 005 upgrades with its records, lookups and order intact', async (t) => {
    const schema = freshSchema('collation-upgrade');
    const s = ident(schema);
    // The schema as the previous release left it: migrations 001-004 and records written by it.
    await withClient(async (client) => {
      await migrate(client, schema, migrationFiles().filter((m) => Number(m.version) <= 4));
      for (const [n, k] of keys.entries()) {
        await client.query(`INSERT INTO ${s}.records (collection, partition, id, data) VALUES ('collationItems', $1, $2, $3)`, [encodeKey('hub'), encodeKey(`id-${k}`), JSON.stringify({ id: `id-${k}`, tags: [k, `n${n}`] })]);
      }
    });
    assert.ok((await notC(schema)).length > 0, 'before 005 the key columns take the database collation');

    const store = await open(schema);
    t.after(() => store.close());
    assert.deepEqual(await notC(schema), []);
    assert.deepEqual((await collect(store.list('collationItems', 'hub'))).map((r) => r.id), keys.map((k) => `id-${k}`), 'insertion order kept');
    for (const k of keys) {
      assert.deepEqual((await store.lookup('collationItems', 'collation.tags', `hub\u0000${k}`)).map((r) => r.id), [`id-${k}`], `lookup of ${k}`);
    }
    assert.deepEqual(await store.get('collationItems', 'hub', 'id-é'), { id: 'id-é', tags: ['é', 'n6'] });
    // and writes after the upgrade land next to the old records
    await store.transact((tx) => tx.put('collationItems', 'hub', 'id-new', { id: 'id-new', tags: ['B'] }));
    assert.deepEqual((await store.lookup('collationItems', 'collation.tags', 'hub\u0000B')).map((r) => r.id), ['id-B', 'id-new']);
  });

  test('a migration 005 that fails part way (disk full, connection cut) changes nothing; the next start applies it', async (t) => {
    const schema = freshSchema('collation-fails');
    const s = ident(schema);
    const files = migrationFiles();
    await withClient(async (client) => {
      await migrate(client, schema, files.filter((m) => Number(m.version) <= 4));
      await client.query(`INSERT INTO ${s}.records (collection, partition, id, data) VALUES ('collationItems', 'hub', 'kept', '{"id":"kept","tags":["a"]}')`);
      // 005 as shipped, then an error after its first ALTER TABLE has run (the server giving up mid-way).
      const broken = files.filter((m) => m.version === '005').map((m) => ({ ...m, sql: `${m.sql}\nSELECT 1 / 0;` }));
      await assert.rejects(migrate(client, schema, [...files.filter((m) => Number(m.version) <= 4), ...broken]), /migration 005-c-collation\.sql failed: division by zero/);
      const versions = (await client.query<{ version: string }>(`SELECT version FROM ${s}.schema_migrations ORDER BY version`)).rows.map((r) => r.version);
      assert.deepEqual(versions, ['001', '002', '003', '004'], '005 not recorded');
    });
    assert.ok((await notC(schema)).includes('records.collection'), 'its first ALTER TABLE was rolled back with it');
    const store = await open(schema);
    t.after(() => store.close());
    assert.deepEqual(await notC(schema), []);
    assert.deepEqual(await store.get('collationItems', 'hub', 'kept'), { id: 'kept', tags: ['a'] });
  });
});
