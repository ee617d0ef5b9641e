import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { postgresForTests } from '../../../test/postgres.ts';
import { pgProxy } from '../../../test/pg-proxy.ts';
import { postgresReplicas, tagIndex, until } from '../../../test/postgres-replicas.ts';
import { isStoreUnavailable } from '../store-unavailable.ts';
import { collect, type Change } from '../store.ts';
import { migrationFiles } from './migrate.ts';
import { PostgresStore } from './postgres-store.ts';
import { KeyLocks } from './key-locks.ts';
import type { Connections } from './connections.ts';

/**
 * What only the PostgreSQL store does: several replicas (PostgresStore instances) on one schema,
 * migrations under the advisory lock, change notifications between replicas, an unreachable
 * database. The change feed's faults: change-feed.test.ts. Replicas writing the same records:
 * replica-conflicts.test.ts. The Store contract
 * itself is store-contract*.test.ts (run on every kind).
 */
const db = await postgresForTests();
const { freshSchema, replica, sql } = postgresReplicas(db);

describe('PostgresStore', { skip: db.skip }, () => {
  test('two replicas on one schema: read-your-writes, lookups and remote change notifications', async (t) => {
    const schema = freshSchema('replicas');
    const a = await replica(schema);
    const b = await replica(schema);
    t.after(() => Promise.all([a.close(), b.close()]));
    const atB: Change[] = [];
    const atA: Change[] = [];
    b.subscribe((changes) => atB.push(...changes));
    a.subscribe((changes) => atA.push(...changes));

    await a.transact((tx) => tx.put('pgItems', 'hub', 'jane', { id: 'jane', n: 1, tags: ['admins'] }));
    // read-your-writes: acknowledged on A, read on B at once
    assert.deepEqual(await b.get('pgItems', 'hub', 'jane'), { id: 'jane', n: 1, tags: ['admins'] });
    assert.deepEqual((await b.lookup('pgItems', 'pg.tags', 'hub\u0000admins')).map((r) => r.id), ['jane']);
    await b.transact(async (tx) => {
      const jane = await tx.get('pgItems', 'hub', 'jane');
      tx.put('pgItems', 'hub', 'jane', { ...jane!, n: 2 });
      tx.delete('pgItems', 'hub', 'nobody');
    });
    assert.equal((await a.get('pgItems', 'hub', 'jane'))?.n, 2);

    await until('B hears of A\'s commit', () => atB.some((c) => c.remote));
    assert.deepEqual(atB.filter((c) => c.remote), [{ collection: 'pgItems', partition: 'hub', id: 'jane', record: undefined, remote: true }]);
    await until('A hears of B\'s commit', () => atA.some((c) => c.remote));
    // A's own commit came locally, with its record, and was not echoed back as remote
    assert.deepEqual(atA[0], { collection: 'pgItems', partition: 'hub', id: 'jane', record: { id: 'jane', n: 1, tags: ['admins'] } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(atA.filter((c) => c.remote).length, 1);
    assert.equal(atB.filter((c) => c.remote).length, 1);
    // a rolled-back transaction announces nothing
    await assert.rejects(a.transact((tx) => {
      tx.put('pgItems', 'hub', 'ghost', { id: 'ghost', n: 0 });
      throw new Error('no');
    }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(atB.filter((c) => c.remote).length, 1);
  });

  test('a big transaction is announced in several notifications, every change once', async (t) => {
    const schema = freshSchema('bignotify');
    const a = await replica(schema);
    const b = await replica(schema);
    t.after(() => Promise.all([a.close(), b.close()]));
    const heard = new Set<string>();
    let notifications = 0;
    b.subscribe((changes) => {
      notifications++;
      for (const c of changes) heard.add(c.id);
    });
    const ids = Array.from({ length: 1_500 }, (_, i) => `person-${i}-${'n'.repeat(30)}`);
    await a.transact((tx) => {
      for (const id of ids) tx.put('pgItems', 'hub', id, { id, n: 0 });
    });
    await until('B hears of every change', () => heard.size === ids.length);
    assert.ok(notifications > 1, `${notifications} notifications`);
  });

  test('five replicas opening at once migrate once and build each index once', async (t) => {
    const schema = freshSchema('migrate');
    const stores = Array.from({ length: 5 }, () => new PostgresStore({ url: db.url, schema, poolSize: 2 }));
    for (const s of stores) s.defineIndex('pgItems', 'pg.tags', tagIndex);
    t.after(() => Promise.all(stores.map((s) => s.close())));
    await Promise.all(stores.map((s) => s.open()));
    const applied = await sql<{ version: string }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    assert.deepEqual(applied.map((r) => r.version), migrationFiles().map((m) => m.version));
    const built = await sql<{ name: string }>(`SELECT name FROM "${schema}".index_definitions`);
    assert.deepEqual(built.map((r) => r.name), ['pg.tags']);
    // every one of them works on the one schema
    await Promise.all(stores.map((s, i) => s.transact((tx) => tx.put('pgItems', 'hub', `r${i}`, { id: `r${i}`, n: i, tags: ['all'] }))));
    assert.equal((await stores[0]!.lookup('pgItems', 'pg.tags', 'hub\u0000all')).length, 5);
  });

  test('an index whose definition changed is rebuilt at open', async (t) => {
    const schema = freshSchema('reindex');
    const v1 = new PostgresStore({ url: db.url, schema, poolSize: 2 });
    v1.defineIndex('pgItems', 'pg.n', (r, p) => [`${p}\u0000${r.n}`]);
    await v1.open();
    await v1.transact((tx) => {
      tx.put('pgItems', 'hub', 'a', { id: 'a', n: 1 });
      tx.put('pgItems', 'hub', 'b', { id: 'b', n: 2 });
    });
    await v1.close();
    const v2 = new PostgresStore({ url: db.url, schema, poolSize: 2 });
    t.after(() => v2.close());
    v2.defineIndex('pgItems', 'pg.n', (r, p) => [`${p}\u0000n=${r.n}`]);
    await v2.open();
    assert.deepEqual((await v2.lookup('pgItems', 'pg.n', 'hub\u0000n=2')).map((r) => r.id), ['b']);
    assert.deepEqual(await v2.lookup('pgItems', 'pg.n', 'hub\u00002'), []);
  });

  test('keys with NUL and backslashes round-trip', async (t) => {
    const schema = freshSchema('keys');
    const store = await replica(schema);
    t.after(() => store.close());
    // Keys hold NUL (index values always do); a record may hold a backslash, the text "\u0000", and NUL.
    const p = 'hub\u0000one\\two';
    const id = 'id\\0\u0000x';
    const record = { id: 'x', n: 1, tags: ['a\\0b'], text: 'back\\slash \\u0000 as text, and \u0000 itself' };
    await store.transact((tx) => tx.put('pgItems', p, id, record));
    assert.deepEqual(await store.get('pgItems', p, id), record);
    assert.deepEqual(await store.partitions('pgItems'), [p]);
    assert.deepEqual(await collect(store.list('pgItems', p)), [record]);
    assert.deepEqual(await store.lookup('pgItems', 'pg.tags', `${p}\u0000a\\0b`), [record]);
    assert.deepEqual(await store.lookup('pgItems', 'pg.tags', `${p}\u0000a\u0000b`), []);
    const seen: Change[] = [];
    store.subscribe((c) => seen.push(...c));
    await store.transact((tx) => tx.delete('pgItems', p, id));
    assert.deepEqual(seen, [{ collection: 'pgItems', partition: p, id, record: undefined }]);
    assert.deepEqual(await store.partitions('pgItems'), []);
  });

  test('a record that is not JSON is refused whole, nothing written', async (t) => {
    const schema = freshSchema('notjson');
    const store = await replica(schema);
    t.after(() => store.close());
    await assert.rejects(
      store.transact((tx) => {
        tx.put('pgItems', 'hub', 'ok', { id: 'ok', n: 1 });
        tx.put('pgItems', 'hub', 'big', { id: 'big', n: 10n as unknown as number });
      }),
      /BigInt/,
    );
    assert.equal(await store.count('pgItems', 'hub'), 0);
  });

  test('retention drops records written before the cutoff, with their index entries', async (t) => {
    const schema = freshSchema('retention');
    const store = await replica(schema);
    t.after(() => store.close());
    await store.transact((tx) => {
      for (const id of ['old1', 'old2']) tx.put('pgItems', 'hub', id, { id, n: 0, tags: ['x'] });
    });
    await store.transact((tx) => tx.put('pgItems', 'hub', 'new', { id: 'new', n: 0, tags: ['x'] }));
    await store.transact((tx) => tx.put('pgLog', 'hub', 'other', { id: 'other' }));
    await sql(`UPDATE "${schema}".records SET written_at = now() - interval '2 days' WHERE id IN ('old1', 'old2', 'other')`);
    assert.equal(await store.dropArchivedBefore('pgItems', Date.now() - 86_400_000, 1), 2); // batches of one
    assert.deepEqual((await collect(store.list('pgItems', 'hub'))).map((r) => r.id), ['new']);
    assert.deepEqual((await store.lookup('pgItems', 'pg.tags', 'hub\u0000x')).map((r) => r.id), ['new']);
    assert.equal((await sql<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".index_entries`))[0]!.n, '1');
    assert.equal(await store.count('pgLog', 'hub'), 1); // another collection is untouched
    assert.equal(await store.dropArchivedBefore('pgItems', Date.now() - 86_400_000), 0);
  });

  test('a busy pool is load, not an outage: a read waits for a connection and the store stays healthy', async (t) => {
    const store = await replica(freshSchema('busy'), { poolSize: 1, connectTimeoutMs: 150 });
    t.after(() => store.close());
    await store.transact((tx) => tx.put('pgItems', 'h', 'a', { id: 'a', n: 1 }));
    // the one connection is held by a transaction for 4 × connectTimeoutMs
    const holding = store.transact(async (tx) => {
      await tx.get('pgItems', 'h', 'a');
      await new Promise((resolve) => setTimeout(resolve, 600));
      tx.put('pgItems', 'h', 'a', { id: 'a', n: 2 });
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const read = await store.get('pgItems', 'h', 'a');
    await holding;
    assert.ok(read?.n === 1 || read?.n === 2, 'the read was answered once a connection was free');
    assert.equal(store.healthy(), true, 'waiting for a pooled connection did not mark PostgreSQL unreachable');
    assert.equal(store.unavailableReason(), undefined);
  });

  test('a pool busy past busyWaitMs: StoreUnavailable (a 503 with Retry-After), nothing changed, and the store stays healthy', async (t) => {
    // connectTimeoutMs is also how long each wait for a pooled connection lasts (pg-pool): 1 s, not
    // 100 ms, so the store's own connection at open is not timed out on a loaded machine (it was,
    // once, in a clone-alone run beside a CI run).
    const store = await replica(freshSchema('exhausted'), { poolSize: 1, connectTimeoutMs: 1_000, busyWaitMs: 1_500 });
    // The pool's one connection held by slow work (a long statement, a stalled session).
    const db = (store as unknown as { db: Connections }).db;
    let free!: () => void;
    const holding = db.withClient(() => new Promise<void>((resolve) => (free = resolve)));
    t.after(() => {
      free(); // before close, which waits for the pool's connections
      return store.close();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await store.transact((tx) => tx.put('pgItems', 'h', 'a', { id: 'a', n: 1 })).then(() => undefined, (err: unknown) => err);
    assert.ok(isStoreUnavailable(refused), `expected StoreUnavailable, got ${String(refused)}`);
    assert.equal(refused.outcomeUnknown, false);
    assert.ok(refused.retryAfterSeconds >= 1);
    assert.match(refused.message, /all 1 PostgreSQL connections stayed busy for 1\.5 s; raise store\.poolSize.*nothing was changed/);
    await assert.rejects(store.get('pgItems', 'h', 'a'), (err) => isStoreUnavailable(err));
    assert.equal(store.healthy(), true, 'load, not an outage: /readyz stays ready');
    free();
    await holding;
    assert.equal(await store.get('pgItems', 'h', 'a'), undefined, 'the refused write changed nothing');
    await store.transact((tx) => tx.put('pgItems', 'h', 'a', { id: 'a', n: 2 }));
    assert.equal((await store.get('pgItems', 'h', 'a'))?.n, 2);
  });

  test('a server that answers but refuses writes (a standby after a failover): StoreUnavailable, nothing changed, not a plain error', async (t) => {
    const store = await replica(freshSchema('read_only'), { poolSize: 1 });
    t.after(() => store.close());
    await store.transact((tx) => tx.put('pgItems', 'h', 'a', { id: 'a', n: 1 }));
    // The pool's one session made read-only, as every session on a hot standby is.
    const db = (store as unknown as { db: Connections }).db;
    await db.withClient((client) => client.query('SET default_transaction_read_only = on'));
    let runs = 0;
    const refused = await store.transact((tx) => {
      runs++;
      tx.put('pgItems', 'h', 'a', { id: 'a', n: 2 });
    }).then(() => undefined, (err: unknown) => err);
    assert.ok(isStoreUnavailable(refused), `expected StoreUnavailable, got ${String(refused)}`);
    assert.equal(refused.outcomeUnknown, false);
    assert.match(refused.message, /PostgreSQL refused it: the server is read-only \(a standby\) \(SQLSTATE 25006\).*nothing was changed/);
    assert.equal(runs, 1);
    await db.withClient((client) => client.query('SET default_transaction_read_only = off'));
    assert.equal((await store.get('pgItems', 'h', 'a'))?.n, 1);
  });

  test('a new pooled connection lost while its session settings run: the read is refused (StoreUnavailable), the process does not crash', async (t) => {
    const proxy = await pgProxy(db.url);
    t.after(() => proxy.close());
    const url = new URL(proxy.url);
    const store = new PostgresStore({ url: url.toString(), schema: freshSchema('setup_lost'), poolSize: 1, probeMs: 100, connectTimeoutMs: 1_000 });
    t.after(() => store.close());
    await store.open();
    // The pooled connection goes (a restart); the next one is cut as it sends its settings.
    await proxy.stop();
    await until('the pool dropped it', () => store.stats().connections?.total === 0);
    await proxy.start();
    proxy.cutWhen('SET enable_seqscan');
    await assert.rejects(store.get('pgItems', 'h', 'a'), (err) => isStoreUnavailable(err));
    proxy.cutWhen('\u0000never\u0000');
    await until('the store answers again', async () => (await store.get('pgItems', 'h', 'a').then(() => true, () => false)));
  });

  test('an unreachable database: StoreUnavailable, unhealthy with a reason (no password), healthy again once it answers', async (t) => {
    const schema = freshSchema('outage');
    const proxy = await pgProxy(db.url);
    t.after(() => proxy.close());
    const url = new URL(proxy.url);
    url.password = 'hunter2-not-logged';
    const store = new PostgresStore({ url: url.toString(), schema, poolSize: 2, probeMs: 100, connectTimeoutMs: 1_000 });
    t.after(() => store.close());
    await store.open();
    await store.transact((tx) => tx.put('pgItems', 'hub', 'a', { id: 'a', n: 1 }));
    assert.equal(store.healthy(), true);
    assert.equal(store.unavailableReason(), undefined);

    await proxy.stop();
    const failed = await store.transact((tx) => tx.put('pgItems', 'hub', 'b', { id: 'b', n: 2 })).then(() => undefined, (err) => err);
    assert.ok(isStoreUnavailable(failed), `expected StoreUnavailable, got ${failed}`);
    assert.ok(failed.retryAfterSeconds >= 1);
    await assert.rejects(store.get('pgItems', 'hub', 'a'), (err) => isStoreUnavailable(err));
    assert.equal(store.healthy(), false);
    const reason = store.unavailableReason()!;
    assert.match(reason, /PostgreSQL unreachable since/);
    assert.ok(!reason.includes('hunter2') && !failed.message.includes('hunter2') && !store.where.includes('hunter2'), reason);

    await proxy.start();
    await until('the store is healthy again', () => store.healthy());
    await store.transact((tx) => tx.put('pgItems', 'hub', 'b', { id: 'b', n: 2 }));
    assert.deepEqual((await collect(store.list('pgItems', 'hub'))).map((r) => r.id), ['a', 'b']);
  });

  test('a connection lost during the commit call: StoreUnavailable saying the outcome is unknown, not run again; the store goes on', async (t) => {
    const schema = freshSchema('commit-lost');
    const store = await replica(schema, { probeMs: 100 });
    t.after(() => store.close());
    // Another session holds the record's commit lock, so the commit call waits inside PostgreSQL
    // (key-locks.ts); that backend is then terminated, as a failover or a network cut would.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    t.after(() => holder.end());
    await holder.query(`BEGIN; SELECT pg_advisory_xact_lock(${new KeyLocks(schema).record('pgItems', 'hub', 'r')}::bigint)`);
    let runs = 0;
    const committing = store.transact((tx) => {
      runs++;
      tx.put('pgItems', 'hub', 'r', { id: 'r', n: 1 });
    }).then(() => undefined, (err) => err);
    // This schema's commit only: other suites commit on the same database at the same time.
    const waiting = `FROM pg_stat_activity WHERE query LIKE '%"${schema}".commit_writes%' AND wait_event_type = 'Lock'`;
    await until('the commit call waits for its lock', async () => (await sql(`SELECT 1 ${waiting}`)).length > 0);
    await sql(`SELECT pg_terminate_backend(pid) ${waiting}`);
    const failed = await committing;
    assert.ok(isStoreUnavailable(failed), `expected StoreUnavailable, got ${failed}`);
    assert.match(failed.message, /whether it was applied is unknown/);
    assert.doesNotMatch(failed.message, /nothing was changed/);
    assert.equal(runs, 1, 'a commit of unknown outcome is not run again');
    await holder.query('COMMIT');
    await until('the store is healthy again', () => store.healthy());
    await store.transact((tx) => tx.put('pgItems', 'hub', 'r', { id: 'r', n: 2 }));
    assert.equal((await store.get('pgItems', 'hub', 'r'))?.n, 2);
  });

  test('opening an unreachable database fails with one clear line and no password', async () => {
    const store = new PostgresStore({ url: 'postgres://postgres:hunter2-not-logged@127.0.0.1:1/test', schema: 'hw_unreachable', connectTimeoutMs: 1_000 });
    await assert.rejects(store.open(), (err: Error) => {
      assert.match(err.message, /cannot open PostgreSQL store postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test \(schema hw_unreachable\): cannot reach the database: ECONNREFUSED/);
      assert.ok(!err.message.includes('hunter2'));
      return true;
    });
    assert.equal(store.healthy(), false);
  });

  test('a schema name that is not a plain identifier is refused', () => {
    assert.throws(() => new PostgresStore({ url: db.url, schema: 'Robert"; DROP' }), /lower-case identifier/);
  });
});
