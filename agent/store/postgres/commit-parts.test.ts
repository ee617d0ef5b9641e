import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { freshSchemas } from '../../../test/fresh-schemas.ts';
import { postgresForTests } from '../../../test/postgres.ts';
import { pgProxy } from '../../../test/pg-proxy.ts';
import { isStoreUnavailable } from '../store-unavailable.ts';
import { collect } from '../store.ts';
import { PART_RECORDS } from './commit-parts.ts';
import { PostgresStore } from './postgres-store.ts';
import { encodeKey, ident } from './sql.ts';
import { until } from '../../../test/agent-e2e/harness.ts';

/**
 * commit-parts.ts: a commit of more than PART_RECORDS records goes as several calls in one
 * transaction. What must hold is what holds for a one-call commit: staging order, index entries,
 * the check of what was read (in the first part), all or nothing.
 */
declare module '../collections.ts' {
  interface Collections {
    partItems: { id: string; tags: string[]; n?: unknown };
  }
}

const db = await postgresForTests();
const freshSchema = freshSchemas(db);
const MANY = PART_RECORDS * 2 + 1_001; // four parts: a smaller first one, two full ones, a last one of one record

async function open(schema: string): Promise<PostgresStore> {
  const store = new PostgresStore({ url: db.url, schema, poolSize: 2 });
  store.defineIndex('partItems', 'part.tags', (r, p) => r.tags.map((t) => `${p}\u0000${t}`));
  await store.open();
  return store;
}
const idOf = (n: number) => `r${String(n).padStart(6, '0')}`;
const tagged = async (store: PostgresStore, p: string, tag: string) => (await store.lookup('partItems', 'part.tags', `${p}\u0000${tag}`)).map((r) => r.id).sort();

describe('PostgresStore: a commit in parts', { skip: db.skip }, () => {
  test('staging order, index entries, a replaced and a deleted record in one big commit', async (t) => {
    const store = await open(freshSchema('parts-order'));
    t.after(() => store.close());
    await store.transact((tx) => {
      tx.put('partItems', 'hub', 'keep', { id: 'keep', tags: ['old'] });
      tx.put('partItems', 'hub', 'gone', { id: 'gone', tags: ['old'] });
    });
    const changes = await store.transact(async (tx) => {
      assert.deepEqual(await collect(tx.list('partItems', 'big')), []);
      // Staged in reverse id order: the list must come back in staging order, not key order.
      for (let n = MANY; n > 0; n--) tx.put('partItems', 'big', idOf(n), { id: idOf(n), tags: [n % 2 ? 'odd' : 'even', ...(n === 7 || n === MANY - 3 ? ['marked'] : [])] });
      const keep = (await tx.get('partItems', 'hub', 'keep'))!;
      tx.put('partItems', 'hub', 'keep', { ...keep, tags: ['new'] });
      tx.delete('partItems', 'hub', 'gone');
      return 'done';
    });
    assert.equal(changes, 'done');
    const listed = (await collect(store.list('partItems', 'big'))).map((r) => r.id);
    assert.equal(listed.length, MANY);
    assert.deepEqual(listed.slice(0, 3), [idOf(MANY), idOf(MANY - 1), idOf(MANY - 2)]);
    assert.deepEqual(listed.slice(-2), [idOf(2), idOf(1)]);
    assert.deepEqual(await tagged(store, 'big', 'marked'), [idOf(7), idOf(MANY - 3)]);
    assert.equal((await tagged(store, 'big', 'odd')).length, Math.ceil(MANY / 2));
    assert.deepEqual(await tagged(store, 'hub', 'new'), ['keep']);
    assert.deepEqual(await tagged(store, 'hub', 'old'), []);
    assert.equal(await store.get('partItems', 'hub', 'gone'), undefined);
  });

  test('what the first part checks changed meanwhile: the transaction runs again, nothing doubles', async (t) => {
    const schema = freshSchema('parts-race');
    const a = await open(schema);
    const b = await open(schema);
    t.after(() => Promise.all([a.close(), b.close()]));
    let runs = 0;
    let listed1!: () => void;
    const bWrote = new Promise<void>((resolve) => (listed1 = resolve)).then(() => b.transact((tx) => tx.put('partItems', 'big', idOf(1), { id: idOf(1), tags: ['from-b'] })));
    await a.transact(async (tx) => {
      runs++;
      const listed = await collect(tx.list('partItems', 'big'));
      if (runs === 1) {
        listed1();
        await bWrote;
      }
      for (let n = 1; n <= MANY; n++) tx.put('partItems', 'big', idOf(n), { id: idOf(n), tags: [`after-${listed.length}`] });
    });
    assert.equal(runs, 2);
    assert.equal((await collect(a.list('partItems', 'big'))).length, MANY);
    assert.deepEqual(await tagged(a, 'big', 'from-b'), []);
    assert.equal((await tagged(a, 'big', 'after-1')).length, MANY);
  });

  test('a record that fails in a later part: nothing of the earlier parts is stored, and the connection is clean', async (t) => {
    const store = await open(freshSchema('parts-fail'));
    t.after(() => store.close());
    await assert.rejects(store.transact((tx) => {
      for (let n = 1; n <= MANY; n++) tx.put('partItems', 'big', idOf(n), { id: idOf(n), tags: ['x'], ...(n === MANY - 10 ? { n: 10n } : {}) });
    }), /BigInt|JSON/);
    assert.deepEqual(await collect(store.list('partItems', 'big')), []);
    assert.deepEqual(await tagged(store, 'big', 'x'), []);
    // Both pooled connections take more work (none was left inside the failed transaction).
    for (let n = 0; n < 4; n++) await store.transact((tx) => tx.put('partItems', 'small', `s${n}`, { id: `s${n}`, tags: ['y'] }));
    assert.equal((await tagged(store, 'small', 'y')).length, 4);
  });

  test('the connection lost while a later part is sent: StoreUnavailable saying nothing was changed, nothing stored', async (t) => {
    const proxy = await pgProxy(db.url);
    t.after(() => proxy.close());
    const store = new PostgresStore({ url: proxy.url, schema: freshSchema('parts-cut'), poolSize: 2, probeMs: 100 });
    store.defineIndex('partItems', 'part.tags', (r, p) => r.tags.map((tag) => `${p}\u0000${tag}`));
    await store.open();
    t.after(() => store.close());
    // The third part (records 6,001 to 11,000) is cut as it is sent: the first two were written.
    proxy.cutWhen(idOf(PART_RECORDS + 1_500));
    const failed = await store.transact((tx) => {
      for (let n = 1; n <= MANY; n++) tx.put('partItems', 'big', idOf(n), { id: idOf(n), tags: ['x'] });
    }).then(() => undefined, (err: unknown) => err);
    assert.ok(isStoreUnavailable(failed), `expected StoreUnavailable, got ${failed}`);
    assert.equal(failed.outcomeUnknown, false, 'COMMIT was never sent');
    proxy.cutWhen('\u0000never\u0000');
    await until('the store answers again', async () => (await store.get('partItems', 'big', idOf(1)).then(() => true, () => false)));
    assert.deepEqual(await collect(store.list('partItems', 'big')), []);
  });

  test('an entry stored after all in a later part: the commit is made again comparing stored rows', async (t) => {
    const schema = freshSchema('parts-stored');
    const store = await open(schema);
    t.after(() => store.close());
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    t.after(() => client.end());
    const last = idOf(MANY);
    // What another release's definition filed for a record the big commit puts last (read absent).
    await client.query(`INSERT INTO ${ident(schema)}.index_entries (name, value, collection, partition, id) VALUES ('part.tags', $1, 'partItems', $2, $3)`, [encodeKey('big\u0000x'), encodeKey('big'), encodeKey(last)]);
    let runs = 0;
    await store.transact(async (tx) => {
      runs++;
      assert.deepEqual(await collect(tx.list('partItems', 'big')), []);
      for (let n = 1; n <= MANY; n++) tx.put('partItems', 'big', idOf(n), { id: idOf(n), tags: ['x'] });
    });
    assert.equal(runs, 1, 'the call is made again, not the function');
    assert.equal((await collect(store.list('partItems', 'big'))).length, MANY);
    const count = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${ident(schema)}.index_entries WHERE name = 'part.tags'`);
    assert.equal(count.rows[0]!.n, String(MANY), 'each entry once');
  });
});
