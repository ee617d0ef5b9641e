/** The Store contract (store.ts) on every store kind, transactions: results, rollbacks, stats, nesting, change notifications, newestFirst, concurrency, late indexes (store-contract-fixtures.ts). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests } from '../../test/postgres.ts';
import { collect, type Change } from './store.ts';
import { ids, sleep, storeKinds } from './store-contract-fixtures.ts';

const db = await postgresForTests();

for (const kind of storeKinds(db, 'contract_tx')) {
  describe(`Store contract (transactions): ${kind.name}`, { skip: kind.skip }, () => {
    const { setup } = kind;

    test('a transaction returns its result; one with no writes commits cleanly', async (t) => {
      const { store, P } = await setup(t);
      assert.equal(await store.transact(() => 42), 42);
      assert.equal(await store.transact(async (tx) => (await tx.get('contractItems', P, 'none')) ?? 'nothing'), 'nothing');
      await store.transact((tx) => tx.put('contractItems', P, 'x', { id: 'x', n: 1 }));
      assert.equal((await store.get('contractItems', P, 'x'))?.n, 1);
    });

    test('a transaction that throws, or rejects after awaiting, changes nothing', async (t) => {
      const { store, P } = await setup(t);
      await store.transact((tx) => tx.put('contractItems', P, 'keep', { id: 'keep', n: 1, tags: ['t'] }));
      await assert.rejects(
        store.transact((tx) => {
          tx.put('contractItems', P, 'keep', { id: 'keep', n: 2 });
          tx.put('contractItems', P, 'new', { id: 'new', n: 3 });
          throw new Error('refused');
        }),
        /refused/,
      );
      await assert.rejects(
        store.transact(async (tx) => {
          tx.delete('contractItems', P, 'keep');
          await tx.get('contractItems', P, 'keep');
          await sleep(5);
          tx.put('contractItems', P, 'new', { id: 'new', n: 3 });
          throw new Error('refused later');
        }),
        /refused later/,
      );
      assert.deepEqual(await store.get('contractItems', P, 'keep'), { id: 'keep', n: 1, tags: ['t'] });
      assert.equal(await store.get('contractItems', P, 'new'), undefined);
      assert.deepEqual(ids(await collect(store.list('contractItems', P))), ['keep']);
      assert.deepEqual(ids(await store.lookup('contractItems', 'contract.tags', `${P}\u0000t`)), ['keep']);
    });

    test('stats: committed transactions are counted, one that wrote nothing too, one that throws not', async (t) => {
      const { store, P } = await setup(t);
      const before = store.stats();
      await store.transact((tx) => tx.put('contractItems', P, 'x', { id: 'x', n: 1 }));
      await store.transact(async (tx) => (await tx.get('contractItems', P, 'x'))?.n);
      await assert.rejects(store.transact(() => { throw new Error('refused'); }), /refused/);
      await assert.rejects(store.transact(async (tx) => { await tx.get('contractItems', P, 'x'); throw new Error('refused later'); }), /refused later/);
      const after = store.stats();
      assert.deepEqual(
        { committed: after.committed - before.committed, reRuns: after.reRuns - before.reRuns, contended: after.contended - before.contended },
        { committed: 2, reRuns: 0, contended: 0 },
      );
      assert.equal(store.healthy(), true);
    });

    test('an index key function that throws rejects the whole transaction', async (t) => {
      const { store, P } = await setup(t);
      store.defineIndex('contractStrict', 'contract.strict', (r, p) => {
        if (r.n < 0) throw new Error('negative n');
        return [`${p}\u0000${r.n}`];
      });
      await assert.rejects(
        store.transact((tx) => {
          tx.put('contractStrict', P, 'ok', { id: 'ok', n: 1 });
          tx.put('contractStrict', P, 'bad', { id: 'bad', n: -1 });
        }),
        /negative n/,
      );
      assert.equal(await store.get('contractStrict', P, 'ok'), undefined);
      assert.equal(await store.count('contractStrict', P), 0);
    });

    test('a nested transact is refused (it would wait for itself)', async (t) => {
      const { store, P } = await setup(t);
      await assert.rejects(
        store.transact(async (tx) => {
          tx.put('contractItems', P, 'outer', { id: 'outer', n: 1 });
          await store.transact((inner) => inner.put('contractItems', P, 'inner', { id: 'inner', n: 2 }));
        }),
        /inside a transaction/,
      );
      assert.equal(await store.get('contractItems', P, 'outer'), undefined);
      assert.equal(await store.get('contractItems', P, 'inner'), undefined);
      // and the store goes on working
      await store.transact((tx) => tx.put('contractItems', P, 'after', { id: 'after', n: 3 }));
      assert.equal((await store.get('contractItems', P, 'after'))?.n, 3);
    });

    test('change notifications: committed changes with their records, nothing for a rollback or a no-op', async (t) => {
      const { store, P } = await setup(t);
      const seen: Change[][] = [];
      const durable: Change[][] = [];
      const mine = (changes: readonly Change[]) => changes.filter((c) => c.partition === P);
      const stop = store.subscribe((c) => mine(c).length > 0 && seen.push(mine(c)));
      store.subscribeDurable((c) => mine(c).length > 0 && durable.push(mine(c)));
      await store.transact((tx) => {
        tx.put('contractItems', P, 'a', { id: 'a', n: 1 });
        tx.put('contractItems', P, 'b', { id: 'b', n: 2 });
      });
      await store.transact((tx) => {
        tx.delete('contractItems', P, 'a');
        tx.delete('contractItems', P, 'never-existed');
      });
      await store.transact((tx) => tx.delete('contractItems', P, 'never-existed'));
      await assert.rejects(store.transact((tx) => {
        tx.put('contractItems', P, 'c', { id: 'c', n: 3 });
        throw new Error('no');
      }));
      const expected = [
        [
          { collection: 'contractItems', partition: P, id: 'a', record: { id: 'a', n: 1 } },
          { collection: 'contractItems', partition: P, id: 'b', record: { id: 'b', n: 2 } },
        ],
        [{ collection: 'contractItems', partition: P, id: 'a', record: undefined }],
      ];
      assert.deepEqual(seen, expected);
      assert.deepEqual(durable, expected);
      stop();
      await store.transact((tx) => tx.put('contractItems', P, 'd', { id: 'd', n: 4 }));
      assert.equal(seen.length, 2);
      assert.equal(durable.length, 3);
    });

    test('newestFirst: one partition, and all of them, newest first', async (t) => {
      const { store, P } = await setup(t);
      let seq = 0;
      for (const [p, n] of [['a', 1], ['b', 2], ['a', 3], ['a', 4], ['b', 5]] as const) {
        await store.transact((tx) => tx.put('contractLog', `${P}/${p}`, `${P}-${n}`, { id: `${P}-${n}`, seq: ++seq }));
      }
      const newer = (x: { seq: number }, y: { seq: number }) => y.seq - x.seq;
      const read = async (partition?: string) => {
        const out: number[] = [];
        for await (const r of store.newestFirst('contractLog', partition, newer)) if (r.id.startsWith(`${P}-`)) out.push(Number(r.id.slice(P.length + 1)));
        return out;
      };
      assert.deepEqual(await read(`${P}/a`), [4, 3, 1]);
      assert.deepEqual(await read(`${P}/b`), [5, 2]);
      assert.deepEqual(await read(), [5, 4, 3, 2, 1]);
      assert.deepEqual(await read(`${P}/none`), []);
    });

    test('two concurrent read-modify-write transactions of one record both land', async (t) => {
      const { store, P } = await setup(t);
      await store.transact((tx) => tx.put('contractLists', P, 'list', { id: 'list', items: [] }));
      const append = (item: string) =>
        store.transact(async (tx) => {
          const list = await tx.get('contractLists', P, 'list');
          await sleep(20); // both have read before either writes (on a store that runs them at once)
          tx.put('contractLists', P, 'list', { id: 'list', items: [...(list?.items ?? []), item] });
          return item;
        });
      assert.deepEqual(await Promise.all([append('a'), append('b')]), ['a', 'b']);
      assert.deepEqual([...(await store.get('contractLists', P, 'list'))!.items].sort(), ['a', 'b']);
    });

    test('an index defined after open is built from the records already there', async (t) => {
      const { store, P } = await setup(t, { index: false });
      await store.transact((tx) => {
        tx.put('contractItems', P, 'a', { id: 'a', n: 7 });
        tx.put('contractItems', P, 'b', { id: 'b', n: 8 });
        tx.put('contractItems', P, 'c', { id: 'c', n: 7 });
      });
      store.defineIndex('contractItems', 'contract.late-n', (r, p) => [`${p}\u0000${r.n}`]);
      assert.deepEqual(ids(await store.lookup('contractItems', 'contract.late-n', `${P}\u00007`)).sort(), ['a', 'c']);
      await store.transact((tx) => tx.put('contractItems', P, 'b', { id: 'b', n: 7 }));
      assert.deepEqual(ids(await store.lookup('contractItems', 'contract.late-n', `${P}\u00007`)).sort(), ['a', 'b', 'c']);
      assert.deepEqual(await store.lookup('contractItems', 'contract.late-n', `${P}\u00008`), []);
    });
  });
}
