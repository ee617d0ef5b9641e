import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { postgresForTests, testSchema } from '../../../test/postgres.ts';
import { PostgresStore } from './postgres-store.ts';
import { readinessNow } from '../../../scim-server/ops/readiness.ts';

const db = await postgresForTests();

/**
 * A database that answers and takes no write: a standby reached after a failover, or
 * `default_transaction_read_only` set (https://www.postgresql.org/docs/current/runtime-config-client.html).
 * Every write is refused (SQLSTATE 25006), so `/readyz` ("ready for writes") and
 * `hubwarden_store_up` (both `healthy()`) must say so, not go on as ready because `SELECT 1` answers.
 * Simulated with a role of its own whose sessions are made read-only (new sessions only: its
 * open ones are ended, as a failover ends them).
 */
describe('PostgresStore on a database that takes no write', { skip: db.skip }, () => {
  const admin = new pg.Client({ connectionString: db.url });
  admin.on('error', () => {});
  const role = `hw_ro_${randomBytes(4).toString('hex')}`;
  const { schema, drop } = testSchema(db.url, 'readonly');
  let created = false;
  after(async () => {
    await drop();
    if (created) await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await admin.end().catch(() => {});
  });

  const readOnly = async (on: boolean) => {
    await admin.query(on ? `ALTER ROLE ${role} SET default_transaction_read_only = on` : `ALTER ROLE ${role} RESET default_transaction_read_only`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
  };

  test('readiness and healthy() turn false while writes are refused, and back once they are taken', async (t) => {
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
    } catch (err) {
      t.skip(`cannot create a role on the test database: ${(err as Error).message}`);
      return;
    }
    created = true;
    await admin.query(`CREATE SCHEMA "${schema}" AUTHORIZATION ${role}`);
    const url = new URL(db.url);
    url.username = role;
    url.password = '';
    const store = new PostgresStore({ url: url.toString(), schema, poolSize: 2, probeMs: 50 });
    await store.open();
    t.after(() => store.close());
    const put = (n: number) => store.transact((tx) => tx.put('hubStates', '', 'h1', { id: 'h1', hubId: 'h1', paused: n % 2 === 0 }));
    await put(1);
    assert.equal((await readinessNow({ store })).status, 'ready');

    // Asked by /readyz: the database answers, and is read-only.
    await readOnly(true);
    let ready = await readinessNow({ store });
    for (let i = 0; i < 10 && !/read-only/.test(ready.storeReason ?? ''); i++) {
      await new Promise((r) => setTimeout(r, 1_050)); // one probe a second at most
      ready = await readinessNow({ store });
    }
    assert.equal(ready.status, 'unavailable');
    assert.equal(ready.checks.store, 'failing');
    assert.match(ready.storeReason ?? '', /read-only/);
    assert.doesNotMatch(ready.storeReason ?? '', new RegExp(role));
    assert.equal(store.healthy(), false);
    await assert.rejects(put(2), /read-only/);

    // Writable again: the next /readyz finds it.
    await readOnly(false);
    for (let i = 0; i < 10 && (await readinessNow({ store })).status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 1_050));
    assert.equal(store.healthy(), true);
    await put(3);

    // Met by a commit, with no /readyz in between (`hubwarden_store_up` reads healthy()): the
    // refusal turns it false; the next commit taken turns it true.
    await readOnly(true);
    let refused: unknown;
    for (let i = 0; i < 20 && !/read-only/.test(String(refused)); i++) refused = await put(4).then(() => undefined, (err: unknown) => err);
    assert.match(String(refused), /read-only/);
    assert.equal(store.healthy(), false);
    await readOnly(false);
    let taken = false;
    for (let i = 0; i < 20 && !taken; i++) taken = await put(5).then(() => true, () => false);
    assert.equal(taken, true);
    assert.equal(store.healthy(), true);
  });
});
