import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { postgresForTests } from '../../../test/postgres.ts';
import { postgresReplicas, until } from '../../../test/postgres-replicas.ts';
import { isStoreContention } from '../store-contention.ts';
import { isStoreUnavailable } from '../store-unavailable.ts';
import { LOCK_TIMEOUT_MS } from './postgres-store.ts';

/**
 * PostgreSQL answers but a lock the store needs is held by another session (an operator's open
 * transaction after `LOCK TABLE`, or an `UPDATE` left uncommitted): a read or a write is refused
 * (503 + Retry-After: StoreUnavailable or StoreContention) within a bound of a few lock timeouts,
 * not after the answer timeout (60 s) or twenty lock timeouts, and leaves no session of the store
 * queued behind the lock. Once the lock is released, everything committed before is there and the
 * store takes writes again.
 */
const db = await postgresForTests();
const { freshSchema, replica, sql } = postgresReplicas(db);

/** The bound asserted: two lock timeouts and some slack (the answer timeout is 60 s). */
const BOUND_MS = 2 * LOCK_TIMEOUT_MS + 3_000;

async function outcome(p: Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer after ${3 * BOUND_MS} ms`)), 3 * BOUND_MS)));
  const err = await Promise.race([p.then(() => undefined, (e: unknown) => e), late]).finally(() => clearTimeout(timer));
  return { err, ms: Date.now() - started };
}

function refusedInTime(o: { err: unknown; ms: number }, what: string): void {
  assert.ok(isStoreUnavailable(o.err) || isStoreContention(o.err), `${what}: expected a refusal to retry (503), got ${String(o.err)}`);
  assert.ok(o.ms < BOUND_MS, `${what}: answered after ${o.ms} ms (bound ${BOUND_MS} ms)`);
}

async function holder(t: { after: (fn: () => unknown) => void }, statements: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  t.after(() => client.end().catch(() => {}));
  await client.query(`BEGIN; ${statements}`);
  return client;
}

/** The store's sessions on `schema` queued behind a lock. */
async function waiting(schema: string): Promise<number> {
  const rows = await sql<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'hubwarden' AND wait_event_type = 'Lock' AND position($1 in query) > 0", [schema]);
  return Number(rows[0]!.n);
}

// The two cases side by side: each spends its time waiting out lock timeouts on a schema, a
// store and a holding session of its own, so neither's waits or bounds depend on the other.
describe('PostgresStore while another session holds a lock it needs', { skip: db.skip, concurrency: true }, () => {
  test('LOCK TABLE records: reads and writes are refused in bounded time, none stays queued, and all works once released', async (t) => {
    const schema = freshSchema('held_table');
    const store = await replica(schema, { poolSize: 2, probeMs: 200 });
    t.after(() => store.close());
    await store.transact((tx) => tx.put('pgItems', 'hub', 'a', { id: 'a', n: 1 }));
    const lock = await holder(t, `LOCK TABLE "${schema}".records IN ACCESS EXCLUSIVE MODE`);
    // More requests than the pool has connections, from two hubs: each is answered in bounded time.
    const results = await Promise.all([
      outcome(store.get('pgItems', 'hub', 'a')),
      outcome(store.transact(async (tx) => tx.put('pgItems', 'hub', 'b', { id: 'b', n: ((await tx.get('pgItems', 'hub', 'a'))?.n ?? 0) + 1 }))),
      outcome(store.transact((tx) => tx.put('pgItems', 'other', 'c', { id: 'c', n: 3 }))),
      outcome(store.get('pgItems', 'other', 'c')),
    ]);
    results.forEach((r, k) => refusedInTime({ ...r, ms: r.ms / 2 }, `request ${k}`)); // two at a time on a pool of two
    await until('no session of the store left queued behind the lock', async () => (await waiting(schema)) === 0, 3_000);
    await lock.query('ROLLBACK');
    await store.transact((tx) => tx.put('pgItems', 'hub', 'd', { id: 'd', n: 4 }));
    assert.equal((await store.get('pgItems', 'hub', 'a'))?.n, 1);
    assert.equal((await store.get('pgItems', 'hub', 'd'))?.n, 4);
    assert.equal(await store.get('pgItems', 'hub', 'b'), undefined, 'a refused write left nothing');
    assert.equal(await store.get('pgItems', 'other', 'c'), undefined, 'a refused write left nothing');
    assert.equal(store.healthy(), true);
  });

  test("a record's row locked by an open UPDATE: its write is refused in bounded time, other records are written meanwhile", async (t) => {
    const schema = freshSchema('held_row');
    const store = await replica(schema, { poolSize: 2, probeMs: 200 });
    t.after(() => store.close());
    await store.transact((tx) => tx.put('pgItems', 'hub', 'a', { id: 'a', n: 1 }));
    const lock = await holder(t, `UPDATE "${schema}".records SET data = data WHERE collection = 'pgItems' AND partition = 'hub' AND id = 'a'`);
    const stuck = outcome(store.transact((tx) => tx.put('pgItems', 'hub', 'a', { id: 'a', n: 2 })));
    await store.transact((tx) => tx.put('pgItems', 'other', 'e', { id: 'e', n: 5 }));
    refusedInTime(await stuck, 'the write of the locked record');
    await lock.query('ROLLBACK');
    await store.transact((tx) => tx.put('pgItems', 'hub', 'a', { id: 'a', n: 3 }));
    assert.equal((await store.get('pgItems', 'hub', 'a'))?.n, 3);
    assert.equal((await store.get('pgItems', 'other', 'e'))?.n, 5);
  });
});
