import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests } from '../../../test/postgres.ts';
import { pgProxy } from '../../../test/pg-proxy.ts';
import { postgresReplicas, until } from '../../../test/postgres-replicas.ts';
import { isStoreUnavailable } from '../store-unavailable.ts';
import { PostgresStore } from './postgres-store.ts';

/**
 * A pooled connection whose path went silent (no error, no close: a failover that moved the
 * server's address, a proxy that dropped the flow): the read or commit waiting on it gives up
 * after `answerTimeoutMs` (connections.ts ANSWER_TIMEOUT_MS) instead of waiting for good.
 */
const db = await postgresForTests();
const { freshSchema } = postgresReplicas(db);

/** `p`, or a rejection once `ms` passed (a hang fails the test with a message, not the runner's timeout). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe('PostgresStore on a connection that went silent', { skip: db.skip }, () => {
  async function silentStore(t: { after: (fn: () => unknown) => void }, label: string) {
    const proxy = await pgProxy(db.url);
    t.after(() => proxy.close());
    const store = new PostgresStore({ url: proxy.url, schema: freshSchema(label), poolSize: 1, probeMs: 100, connectTimeoutMs: 1_000, answerTimeoutMs: 300 });
    t.after(() => store.close());
    await store.open();
    await store.transact((tx) => tx.put('pgItems', 'hub', 'a', { id: 'a', n: 1 }));
    // The open connection now carries nothing either way; new ones are carried.
    proxy.freeze();
    return store;
  }

  test('a read: StoreUnavailable after the answer timeout, the connection is dropped, the next read answers', async (t) => {
    const store = await silentStore(t, 'silent_read');
    const failed = await within(store.get('pgItems', 'hub', 'a').then(() => undefined, (err) => err), 5_000, 'the read');
    assert.ok(isStoreUnavailable(failed), `expected StoreUnavailable, got ${failed}`);
    await until('a new connection answers', async () => (await store.get('pgItems', 'hub', 'a').then((r) => r?.n === 1, () => false)));
    assert.equal(store.healthy(), true);
  });

  test('a commit: StoreUnavailable saying the outcome is unknown, run once, and the store goes on', async (t) => {
    const store = await silentStore(t, 'silent_commit');
    let runs = 0;
    const failed = await within(
      store.transact((tx) => {
        runs++;
        tx.put('pgItems', 'hub', 'b', { id: 'b', n: 2 });
      }).then(() => undefined, (err) => err),
      5_000,
      'the commit',
    );
    assert.ok(isStoreUnavailable(failed), `expected StoreUnavailable, got ${failed}`);
    assert.match(failed.message, /unknown/);
    assert.equal(runs, 1, 'a commit of unknown outcome is not run again');
    await until('the store commits again', async () => (await store.transact((tx) => tx.put('pgItems', 'hub', 'c', { id: 'c', n: 3 })).then(() => true, () => false)));
    assert.equal((await store.get('pgItems', 'hub', 'c'))?.n, 3);
  });
});
