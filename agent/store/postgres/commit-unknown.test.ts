import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests } from '../../../test/postgres.ts';
import { pgProxy } from '../../../test/pg-proxy.ts';
import { postgresReplicas, tagIndex, until } from '../../../test/postgres-replicas.ts';
import { isStoreUnavailable } from '../store-unavailable.ts';
import type { Change } from '../store.ts';
import { PostgresStore } from './postgres-store.ts';

/**
 * A commit that PostgreSQL applied but whose answer was lost (the connection went after the
 * commit call was sent): the caller is told the outcome is unknown. What listeners keep from
 * changes (a members view, a runner's index) must not go on as if nothing changed: the records
 * may have changed, here and for the other replicas.
 */
const db = await postgresForTests();
const { freshSchema, replica } = postgresReplicas(db);

describe('a commit whose answer was lost', { skip: db.skip }, () => {
  test('committed after all: this replica\'s and the other replicas\' listeners hear the records may have changed, durable listeners do not', async (t) => {
    const schema = freshSchema('commit_unknown');
    const proxy = await pgProxy(db.url);
    t.after(() => proxy.close());
    const a = new PostgresStore({ url: proxy.url, schema, poolSize: 2, probeMs: 100, connectTimeoutMs: 1_000 });
    a.defineIndex('pgItems', 'pg.tags', tagIndex);
    await a.open();
    t.after(() => a.close());
    const b = await replica(schema);
    t.after(() => b.close());
    const atA: Change[] = [];
    const durableAtA: Change[] = [];
    const atB: Change[] = [];
    a.subscribe((changes) => atA.push(...changes));
    a.subscribeDurable((changes) => durableAtA.push(...changes));
    b.subscribe((changes) => atB.push(...changes));

    proxy.loseReplyWhen('answer-lost-marker');
    let runs = 0;
    const failed = await a.transact((tx) => {
      runs++;
      tx.put('pgItems', 'hub', 'r', { id: 'r', n: 1, text: 'answer-lost-marker' });
    }).then(() => undefined, (err: unknown) => err);
    proxy.loseReplyWhen(undefined);
    assert.ok(isStoreUnavailable(failed) && failed.outcomeUnknown, `expected a StoreUnavailable of unknown outcome, got ${String(failed)}`);
    assert.equal(runs, 1, 'not run again');
    assert.equal((await b.get('pgItems', 'hub', 'r'))?.n, 1, 'it committed');

    assert.deepEqual(atA, [{ collection: 'pgItems', partition: 'hub', id: 'r', record: undefined, remote: true }], 'this replica\'s listeners: re-read it');
    assert.deepEqual(durableAtA, [], 'not reported durable');
    await until('the other replica hears of it', () => atB.some((c) => c.id === 'r'));
    assert.deepEqual(atB, [{ collection: 'pgItems', partition: 'hub', id: 'r', record: undefined, remote: true }]);
  });
});
