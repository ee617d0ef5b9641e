import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { postgresForTests } from '../../test/postgres.ts';
import { pgProxy } from '../../test/pg-proxy.ts';
import { postgresReplicas } from '../../test/postgres-replicas.ts';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import { createApp } from '../app.ts';
import { readinessNow } from './readiness.ts';

const db = await postgresForTests();
const { freshSchema } = postgresReplicas(db);

test('/readyz asks a store that can be asked, and waits for it only so long', async () => {
  let healthy = true;
  const store = { healthy: () => healthy, reachableNow: async () => { healthy = false; return false; } };
  assert.equal((await readinessNow({ store })).status, 'unavailable', 'the answer found now, not the last one');
  const slow = { healthy: () => true, reachableNow: () => new Promise<boolean>(() => {}) };
  const started = Date.now();
  assert.equal((await readinessNow({ store: slow }, 50)).status, 'ready');
  assert.ok(Date.now() - started < 2_000);
});

describe('/readyz on PostgreSQL', { skip: db.skip }, () => {
  test('a database that went away while the pool was idle (no connection to notice it): 503, not ready', async (t) => {
    const proxy = await pgProxy(db.url);
    t.after(() => proxy.close());
    const store = new PostgresStore({ url: proxy.url, schema: freshSchema('readyz_idle'), poolSize: 2, probeMs: 100, connectTimeoutMs: 1_000, answerTimeoutMs: 1_000, idleMs: 100 });
    t.after(() => store.close());
    await store.open();
    await store.transact((tx) => tx.put('pgItems', 'hub', 'a', { id: 'a', n: 1 }));
    const server = createApp({ store, routers: [] }).listen(0, '127.0.0.1');
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise((resolve) => server.once('listening', resolve));
    const readyz = async () => fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`);
    assert.equal((await readyz()).status, 200);
    // The pool closes its idle connections, and the probe of the first /readyz (at most one a second) is past.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    assert.equal(store.stats().connections?.total, 0);
    await proxy.stop();
    const res = await readyz();
    assert.equal(res.status, 503);
    const body = await res.json() as { checks: { store: string }; storeReason?: string };
    assert.equal(body.checks.store, 'failing');
    assert.match(body.storeReason ?? '', /PostgreSQL unreachable/);
    await proxy.start();
    let back = false;
    for (let i = 0; i < 50 && !back; i++) {
      back = (await readyz()).status === 200;
      if (!back) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(back, 'ready again once the database answers');
  });
});
