import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { freshSchemas } from '../../../test/fresh-schemas.ts';
import { postgresForTests, withPgClient } from '../../../test/postgres.ts';
import { PostgresStore } from './postgres-store.ts';
import { encodeKey, ident } from './sql.ts';

/** migrations/008-records-lz4.sql: large records are compressed with LZ4 where the server has it. */
declare module '../collections.ts' {
  interface Collections {
    compressionItems: { id: string; members: Array<{ value: string; display: string }> };
  }
}

const db = await postgresForTests();
const freshSchema = freshSchemas(db);

const withClient = <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => withPgClient(db.url, fn);

/** Whether this server can compress with LZ4 (PostgreSQL 14+ built with it). */
const lz4 = db.skip ? false : await withClient(async (client) => {
  try {
    await client.query('SET default_toast_compression = lz4');
    return true;
  } catch {
    return false;
  }
});

/** A group-sized record: 1,000 members, ~90 kB of JSON, stored out of line and compressed. */
const bigRecord = (id: string) => ({
  id,
  members: Array.from({ length: 1000 }, (_, i) => ({ value: `${id}-member-${i}-${'x'.repeat(20)}`, display: `person${i}@example.com` })),
});

describe('PostgresStore records: LZ4 compression', { skip: db.skip || (!lz4 && 'this PostgreSQL has no LZ4 (before 14, or built without it): records keep pglz') }, () => {
  test('a large record is stored with LZ4 and reads back whole, and so is its next version', async (t) => {
    const schema = freshSchema('compression');
    const store = new PostgresStore({ url: db.url, schema, poolSize: 2 });
    await store.open();
    t.after(() => store.close());
    const first = bigRecord('g1');
    await store.transact((tx) => tx.put('compressionItems', 'hub', 'g1', first));
    const methodOf = () => withClient(async (client) => (await client.query<{ method: string | null }>(
      `SELECT pg_column_compression(data) AS method FROM ${ident(schema)}.records WHERE collection = $1 AND id = $2`,
      ['compressionItems', encodeKey('g1')])).rows[0]?.method);
    assert.equal(await methodOf(), 'lz4');
    assert.deepEqual(await store.get('compressionItems', 'hub', 'g1'), first);

    const second = { ...first, members: [...first.members, { value: 'late', display: 'late@example.com' }] };
    await store.transact((tx) => tx.put('compressionItems', 'hub', 'g1', second));
    assert.equal(await methodOf(), 'lz4');
    assert.deepEqual(await store.get('compressionItems', 'hub', 'g1'), second);
  });
});
