import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { postgresForTests, testSchema } from '../../../test/postgres.ts';
import { PostgresStore } from './postgres-store.ts';

const db = await postgresForTests();

/**
 * A database role given only its own schema (created by an administrator, `CREATE SCHEMA …
 * AUTHORIZATION`), without CREATE on the database: the least a replica needs. PostgreSQL checks
 * the database's CREATE privilege for `CREATE SCHEMA IF NOT EXISTS` even when the schema exists
 * (https://www.postgresql.org/docs/current/sql-createschema.html: "a user must have the CREATE
 * privilege for the current database"), so the store must not ask for one it does not need.
 */
describe('PostgresStore with a role that owns its schema and cannot create others', { skip: db.skip }, () => {
  const admin = new pg.Client({ connectionString: db.url });
  admin.on('error', () => {});
  const role = `hw_lp_${randomBytes(4).toString('hex')}`;
  const { schema, drop } = testSchema(db.url, 'leastpriv');
  let created = false;
  after(async () => {
    await drop();
    if (created) await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await admin.end().catch(() => {});
  });

  test('opens, migrates and writes in a schema an administrator created for it', async (t) => {
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
    } catch (err) {
      t.skip(`cannot create a role on the test database: ${(err as Error).message}`);
      return;
    }
    created = true;
    await admin.query(`CREATE SCHEMA "${schema}" AUTHORIZATION ${role}`);
    const { rows } = await admin.query<{ may: boolean }>(`SELECT has_database_privilege($1, current_database(), 'CREATE') AS may`, [role]);
    if (rows[0]!.may) {
      t.skip('the test database grants CREATE to every role');
      return;
    }
    const url = new URL(db.url);
    url.username = role;
    url.password = '';
    const store = new PostgresStore({ url: url.toString(), schema, poolSize: 2 });
    await store.open();
    try {
      await store.transact((tx) => tx.put('hubStates', '', 'h1', { id: 'h1', hubId: 'h1', paused: false }));
      assert.equal((await store.get('hubStates', '', 'h1'))?.paused, false);
    } finally {
      await store.close();
    }
  });
});
