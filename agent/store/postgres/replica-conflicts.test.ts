import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { postgresForTests } from '../../../test/postgres.ts';
import { postgresReplicas, until } from '../../../test/postgres-replicas.ts';
import type { PostgresStore } from './postgres-store.ts';
import { KeyLocks } from './key-locks.ts';
import { Connections } from './connections.ts';
import { FleetTurns } from './fleet-turn.ts';

/**
 * Replicas writing the same records at once: nothing lost, each commit counted once, a run that
 * keeps losing takes its records' locks (fleet-turn.ts), and those locks end with its replica.
 */
const db = await postgresForTests();
const { freshSchema, replica, sql } = postgresReplicas(db);

describe('PostgreSQL replicas writing the same records', { skip: db.skip }, () => {
  test('100 concurrent read-modify-write transactions on two replicas lose nothing', async (t) => {
    const schema = freshSchema('rmw');
    const a = await replica(schema, { poolSize: 10 });
    const b = await replica(schema, { poolSize: 10 });
    t.after(() => Promise.all([a.close(), b.close()]));
    await a.transact((tx) => tx.put('pgLists', 'hub', 'list', { id: 'list', items: [] }));
    let runs = 0;
    const append = (n: number) =>
      (n % 2 === 0 ? a : b).transact(async (tx) => {
        runs++;
        const list = await tx.get('pgLists', 'hub', 'list');
        tx.put('pgLists', 'hub', 'list', { id: 'list', items: [...list!.items, n] });
        return n;
      });
    const done = await Promise.all(Array.from({ length: 100 }, (_, n) => append(n)));
    assert.equal(done.length, 100);
    const items = (await b.get('pgLists', 'hub', 'list'))!.items;
    assert.deepEqual([...items].sort((x, y) => x - y), Array.from({ length: 100 }, (_, n) => n));
    // each committed once; those whose read the others changed first ran again (read-set.ts)
    assert.ok(runs >= 100, `${runs} runs`);
    const [sa, sb] = [a.stats(), b.stats()];
    assert.equal(sa.committed + sb.committed, 101, 'the 100 and the list\'s creation, each counted once');
    assert.equal(sa.reRuns + sb.reRuns, runs - 100, 'every run past a transaction\'s first is counted as a re-run');
    assert.equal(sa.contended + sb.contended, 0);
  });

  test('stats: a run lost to another replica is a re-run, or contention on its last allowed run; the pool\'s connections', async (t) => {
    const schema = freshSchema('stats');
    const once = await replica(schema, { poolSize: 2, maxAttempts: 1 });
    const again = await replica(schema, { poolSize: 2 });
    const other = await replica(schema, { poolSize: 2 });
    t.after(() => Promise.all([once.close(), again.close(), other.close()]));
    await other.transact((tx) => tx.put('pgItems', 'h', 'x', { id: 'x', n: 0 }));
    // `store` reads x, `other` changes it, then `store` writes: its first run's commit conflicts.
    const loseOnce = (store: PostgresStore) => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const losing = store.transact(async (tx) => {
        const x = await tx.get('pgItems', 'h', 'x');
        await gate;
        tx.put('pgItems', 'h', 'x', { id: 'x', n: x!.n + 1 });
      });
      return { losing, release };
    };
    const first = loseOnce(once);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await other.transact(async (tx) => tx.put('pgItems', 'h', 'x', { id: 'x', n: (await tx.get('pgItems', 'h', 'x'))!.n + 10 }));
    first.release();
    await assert.rejects(first.losing, (err: Error) => err.name === 'StoreContention');
    assert.deepEqual({ ...once.stats(), connections: undefined }, { committed: 0, reRuns: 0, contended: 1, connections: undefined });

    const second = loseOnce(again);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await other.transact(async (tx) => tx.put('pgItems', 'h', 'x', { id: 'x', n: (await tx.get('pgItems', 'h', 'x'))!.n + 10 }));
    second.release();
    await second.losing;
    assert.equal((await other.get('pgItems', 'h', 'x'))!.n, 21, 'the re-run read the other replica\'s write');
    assert.deepEqual({ ...again.stats(), connections: undefined }, { committed: 1, reRuns: 1, contended: 0, connections: undefined });

    // The commit's NOTIFY goes after it, batched over 10 ms (notifications.ts): wait for it, then
    // nothing may still hold a connection.
    await until('the batched NOTIFY sent', () => again.stats().connections!.idle === again.stats().connections!.total, 2_000).catch(() => {});
    const pool = again.stats().connections!;
    assert.ok(pool.total >= 1 && pool.total <= 2, `open connections within poolSize: ${pool.total}`);
    assert.equal(pool.idle, pool.total, 'nothing running: every open connection idle');
    assert.equal(pool.waiting, 0);
  });

  test('a transaction that keeps losing to another replica takes its record\'s locks and commits (fleet-turn.ts)', async (t) => {
    // Four runs at most: without the turn, two replicas updating one record 100 times each leave
    // some transaction on the losing side past four lost runs (StoreContention).
    const schema = freshSchema('turns');
    const a = await replica(schema, { poolSize: 4, maxAttempts: 4 });
    const b = await replica(schema, { poolSize: 4, maxAttempts: 4 });
    t.after(() => Promise.all([a.close(), b.close()]));
    await a.transact((tx) => tx.put('pgLists', 'hub', 'list', { id: 'list', items: [] }));
    const append = (n: number) =>
      (n % 2 === 0 ? a : b).transact(async (tx) => {
        const list = await tx.get('pgLists', 'hub', 'list');
        // Slow enough between read and commit that the other replica commits meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 5));
        tx.put('pgLists', 'hub', 'list', { id: 'list', items: [...list!.items, n] });
      }, { writes: [['pgLists', 'hub', 'list']] });
    await Promise.all(Array.from({ length: 200 }, (_, n) => append(n)));
    const items = (await a.get('pgLists', 'hub', 'list'))!.items;
    assert.deepEqual([...items].sort((x, y) => x - y), Array.from({ length: 200 }, (_, n) => n));
    // The turns' locks are given back: nobody holds the record's, its partition's or its collection's.
    const keys = new KeyLocks(schema);
    const free = await sql<{ free: boolean }>(
      'SELECT bool_and(pg_try_advisory_lock(k)) AS free FROM unnest($1::bigint[]) AS k',
      [[keys.record('pgLists', 'hub', 'list'), keys.partition('pgLists', 'hub'), keys.collection('pgLists')]],
    );
    assert.equal(free[0]!.free, true);
  });

  test('a turn holds other replicas\' writes of its records until its replica dies (fleet-turn.ts)', async (t) => {
    const schema = freshSchema('turn-dies');
    const b = await replica(schema);
    t.after(() => b.close());
    await b.transact((tx) => tx.put('pgLists', 'hub', 'list', { id: 'list', items: [] }));
    // Replica A's turn, on a pool of its own.
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    t.after(() => pool.end());
    const conns = new Connections({ url: db.url, schema, poolSize: 2, probeMs: 60_000, assertOpen: () => {}, isOpen: () => true });
    conns.pool = pool;
    const turn = await new FleetTurns(conns, new KeyLocks(schema)).take([{ collection: 'pgLists', partition: 'hub', id: 'list' }]);
    let written = false;
    const write = b.transact((tx) => tx.put('pgLists', 'hub', 'list', { id: 'list', items: [1] })).then(() => (written = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(written, false, 'B waits for the turn');
    // A dies (kill -9 of its process ends its sessions): its locks go with the session.
    await sql('SELECT pg_terminate_backend($1)', [(turn.client as unknown as { processID: number }).processID]);
    await write;
    assert.deepEqual((await b.get('pgLists', 'hub', 'list'))?.items, [1]);
    await turn.end(); // the lost connection is discarded, not thrown
  });
});
