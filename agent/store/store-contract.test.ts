/** The Store contract (store.ts) on every store kind, reads: get, list, lookup, count, getMany, hasMany, staged writes (store-contract-fixtures.ts). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests } from '../../test/postgres.ts';
import { collect, type Transaction } from './store.ts';
import { ids, storeKinds } from './store-contract-fixtures.ts';

const db = await postgresForTests();

for (const kind of storeKinds(db, 'contract')) {
  describe(`Store contract: ${kind.name}`, { skip: kind.skip }, () => {
    const { setup } = kind;

    test('get, put and delete; a record reads back equal, object key order included', async (t) => {
      const { store, P } = await setup(t);
      const nested = { zebra: 1, a: [1, 'two', null, true, false, { b: {}, a: 'NUL \u0000 here, a lone \ud800' }], 'ü ✓ 🙂': 'é\u0301', empty: '', n: -1.5, big: 2 ** 53 - 1, small: 0.1, exp: 1e21, arr: [] };
      await store.transact((tx) => {
        tx.put('contractItems', P, 'x', { id: 'x', n: 1, nested });
        tx.put('contractItems', P, 'y', { id: 'y', n: 2 });
      });
      const x = await store.get('contractItems', P, 'x');
      assert.deepEqual(x, { id: 'x', n: 1, nested });
      // Callers compare JSON text of stored values with fresh ones (an offer's assets, a SCIM
      // group's attributes): the stored key order must come back (PostgreSQL stores json, not jsonb).
      assert.equal(JSON.stringify(x), JSON.stringify({ id: 'x', n: 1, nested }));
      assert.deepEqual(await store.get('contractItems', P, 'y'), { id: 'y', n: 2 });
      assert.equal(await store.get('contractItems', P, 'nope'), undefined);
      assert.equal(await store.get('contractItems', `${P}-other`, 'x'), undefined);
      await store.transact((tx) => tx.put('contractItems', P, 'x', { id: 'x', n: 10 }));
      assert.deepEqual(await store.get('contractItems', P, 'x'), { id: 'x', n: 10 });
      await store.transact((tx) => tx.delete('contractItems', P, 'x'));
      assert.equal(await store.get('contractItems', P, 'x'), undefined);
      assert.deepEqual(ids(await collect(store.list('contractItems', P))), ['y']);
    });

    test('insertion order, numeric-looking ids included; a replaced record keeps its place, a re-created one goes last', async (t) => {
      const { store, P } = await setup(t);
      for (const id of ['z', '20', '3', 'a']) await store.transact((tx) => tx.put('contractItems', P, id, { id, n: 0 }));
      await store.transact((tx) => {
        for (const id of ['10', 'b', '1']) tx.put('contractItems', P, id, { id, n: 0 });
      });
      assert.deepEqual(ids(await collect(store.list('contractItems', P))), ['z', '20', '3', 'a', '10', 'b', '1']);
      await store.transact((tx) => tx.put('contractItems', P, '20', { id: '20', n: 5 }));
      await store.transact((tx) => tx.delete('contractItems', P, '3'));
      await store.transact((tx) => tx.put('contractItems', P, '3', { id: '3', n: 6 }));
      assert.deepEqual(ids(await collect(store.list('contractItems', P))), ['z', '20', 'a', '10', 'b', '1', '3']);
      assert.equal((await store.get('contractItems', P, '20'))?.n, 5);
    });

    test('list ranges: offset and limit, across pages of a large partition', async (t) => {
      const { store, P } = await setup(t);
      const all = Array.from({ length: 1_203 }, (_, i) => String(1_203 - i)); // numeric-looking, descending
      await store.transact((tx) => {
        for (const id of all) tx.put('contractItems', P, id, { id, n: Number(id) });
      });
      assert.deepEqual(ids(await collect(store.list('contractItems', P))), all);
      assert.deepEqual(ids(await collect(store.list('contractItems', P, { limit: 3 }))), all.slice(0, 3));
      assert.deepEqual(ids(await collect(store.list('contractItems', P, { offset: 495, limit: 10 }))), all.slice(495, 505));
      assert.deepEqual(ids(await collect(store.list('contractItems', P, { offset: 499, limit: 502 }))), all.slice(499, 1_001));
      assert.deepEqual(ids(await collect(store.list('contractItems', P, { offset: 1_200 }))), all.slice(1_200));
      assert.deepEqual(await collect(store.list('contractItems', P, { offset: 5_000 })), []);
      assert.deepEqual(await collect(store.list('contractItems', P, { limit: 0 })), []);
      assert.deepEqual(await collect(store.list('contractItems', `${P}-empty`)), []);
      // Stopping early is fine (a SCIM page reads what it needs).
      const firstTwo: string[] = [];
      for await (const r of store.list('contractItems', P)) {
        firstTwo.push(r.id);
        if (firstTwo.length === 2) break;
      }
      assert.deepEqual(firstTwo, all.slice(0, 2));
      // Inside a transaction the range applies to the overlay: staged deletes and new records count.
      const seen = await store.transact(async (tx) => {
        tx.delete('contractItems', P, all[0]!);
        tx.put('contractItems', P, 'new', { id: 'new', n: 0 });
        return {
          head: ids(await collect(tx.list('contractItems', P, { limit: 2 }))),
          tail: ids(await collect(tx.list('contractItems', P, { offset: 1_200 }))),
          count: await tx.count('contractItems', P),
        };
      });
      assert.deepEqual(seen, { head: all.slice(1, 3), tail: [all[1_201]!, all[1_202]!, 'new'], count: 1_203 });
    });

    test('partitions and count', async (t) => {
      const { store, P } = await setup(t);
      const mine = async () => (await store.partitions('contractItems')).filter((p) => p.startsWith(`${P}/`)).sort();
      assert.deepEqual(await mine(), []);
      await store.transact((tx) => {
        tx.put('contractItems', `${P}/b`, '1', { id: '1', n: 1 });
        tx.put('contractItems', `${P}/a`, '1', { id: '1', n: 1 });
        tx.put('contractItems', `${P}/a`, '2', { id: '2', n: 2 });
      });
      assert.deepEqual(await mine(), [`${P}/a`, `${P}/b`]);
      assert.equal(await store.count('contractItems', `${P}/a`), 2);
      assert.equal(await store.count('contractItems', `${P}/b`), 1);
      assert.equal(await store.count('contractItems', `${P}/c`), 0);
      const inTx = await store.transact(async (tx) => {
        tx.delete('contractItems', `${P}/b`, '1');
        tx.put('contractItems', `${P}/c`, '1', { id: '1', n: 1 });
        tx.put('contractItems', `${P}/a`, '2', { id: '2', n: 20 }); // replaced: still 2
        return {
          partitions: (await tx.partitions('contractItems')).filter((p) => p.startsWith(`${P}/`)).sort(),
          a: await tx.count('contractItems', `${P}/a`),
          b: await tx.count('contractItems', `${P}/b`),
          c: await tx.count('contractItems', `${P}/c`),
        };
      });
      assert.deepEqual(inTx.a, 2);
      assert.deepEqual(inTx.b, 0);
      assert.deepEqual(inTx.c, 1);
      assert.ok(inTx.partitions.includes(`${P}/a`) && inTx.partitions.includes(`${P}/c`), `partitions in the transaction: ${inTx.partitions.join(', ')}`);
      assert.deepEqual(await mine(), [`${P}/a`, `${P}/c`]); // a partition emptied is gone
    });

    test('lookup, staged writes included', async (t) => {
      const { store, P } = await setup(t);
      const tag = (v: string) => `${P}\u0000${v}`;
      await store.transact((tx) => {
        tx.put('contractItems', P, 'a', { id: 'a', n: 1, tags: ['red', 'blue'] });
        tx.put('contractItems', P, 'b', { id: 'b', n: 2, tags: ['blue', 'blue'] });
        tx.put('contractItems', P, 'c', { id: 'c', n: 3, tags: ['green'] });
      });
      assert.deepEqual(ids(await store.lookup('contractItems', 'contract.tags', tag('blue'))).sort(), ['a', 'b']);
      assert.deepEqual(ids(await store.lookup('contractItems', 'contract.tags', tag('red'))), ['a']);
      assert.deepEqual(await store.lookup('contractItems', 'contract.tags', tag('none')), []);
      const staged = await store.transact(async (tx) => {
        tx.put('contractItems', P, 'd', { id: 'd', n: 4, tags: ['blue'] }); // new
        tx.delete('contractItems', P, 'b'); // gone
        tx.put('contractItems', P, 'a', { id: 'a', n: 1, tags: ['red', 'yellow'] }); // no longer blue
        return {
          blue: ids(await tx.lookup('contractItems', 'contract.tags', tag('blue'))).sort(),
          yellow: ids(await tx.lookup('contractItems', 'contract.tags', tag('yellow'))),
          red: ids(await tx.lookup('contractItems', 'contract.tags', tag('red'))),
        };
      });
      assert.deepEqual(staged, { blue: ['d'], yellow: ['a'], red: ['a'] });
      assert.deepEqual(ids(await store.lookup('contractItems', 'contract.tags', tag('blue'))), ['d']);
      assert.deepEqual(ids(await store.lookup('contractItems', 'contract.tags', tag('yellow'))), ['a']);
      assert.deepEqual(ids(await store.lookup('contractItems', 'contract.tags', tag('green'))), ['c']);
      await store.transact((tx) => tx.put('contractItems', P, 'c', { id: 'c', n: 3 }));
      assert.deepEqual(await store.lookup('contractItems', 'contract.tags', tag('green')), []);
    });

    test('a lookup through an index not defined on this store (for that collection) rejects, naming both; never an empty answer', async (t) => {
      const { store, P } = await setup(t);
      const tag = (v: string) => `${P}\u0000${v}`;
      await store.transact((tx) => tx.put('contractItems', P, 'a', { id: 'a', n: 1, tags: ['red'] }));
      const undefinedIn = (index: string, collection: string) => new RegExp(`store: index "${index}" on collection "${collection}" is not defined \\(defineIndex before use\\)$`);
      const never = undefinedIn('contract.undefined-index', 'contractItems');
      // Another collection's index is not one of this collection's either.
      const elsewhere = undefinedIn('contract.tags', 'contractLists');
      await assert.rejects(store.lookup('contractItems', 'contract.undefined-index', tag('red')), never);
      await assert.rejects(store.lookupFields('contractItems', 'contract.undefined-index', tag('red'), ['id']), never);
      await assert.rejects(store.lookup('contractLists', 'contract.tags', tag('red')), elsewhere);
      await assert.rejects(store.lookupFields('contractLists', 'contract.tags', tag('red'), ['id']), elsewhere);
      for (const read of [
        (tx: Transaction) => tx.lookup('contractItems', 'contract.undefined-index', tag('red')),
        (tx: Transaction) => tx.lookupFields('contractItems', 'contract.undefined-index', tag('red'), ['id']),
        (tx: Transaction) => tx.lookup('contractLists', 'contract.tags', tag('red')),
        (tx: Transaction) => tx.lookupFields('contractLists', 'contract.tags', tag('red'), ['id']),
      ]) {
        await assert.rejects(store.transact(async (tx) => {
          tx.put('contractItems', P, 'b', { id: 'b', n: 2, tags: ['red'] });
          return read(tx);
        }), /is not defined \(defineIndex before use\)$/);
      }
      assert.equal(await store.get('contractItems', P, 'b'), undefined, 'the transaction that looked up changed nothing');
      assert.deepEqual(ids(await store.lookup('contractItems', 'contract.tags', tag('red'))), ['a']);
    });

    test('lookupFields: only the named fields of what lookup finds, staged writes included', async (t) => {
      const { store, P } = await setup(t);
      const tag = (v: string) => `${P}\u0000${v}`;
      await store.transact((tx) => {
        tx.put('contractItems', P, 'a', { id: 'a', n: 1, tags: ['red', 'blue'], nested: { big: [1, 2, 3] } });
        tx.put('contractItems', P, 'b', { id: 'b', n: 2, tags: ['blue'] });
      });
      const blue = await store.lookupFields('contractItems', 'contract.tags', tag('blue'), ['id', 'nested']);
      assert.deepEqual([...blue].sort((x, y) => x.id.localeCompare(y.id)), [{ id: 'a', nested: { big: [1, 2, 3] } }, { id: 'b' }], 'named fields only; an absent one is left out');
      assert.deepEqual(await store.lookupFields('contractItems', 'contract.tags', tag('none'), ['id']), []);
      const inTx = await store.transact(async (tx) => {
        tx.put('contractItems', P, 'c', { id: 'c', n: 3, tags: ['blue'] });
        tx.delete('contractItems', P, 'b');
        return tx.lookupFields('contractItems', 'contract.tags', tag('blue'), ['n']);
      });
      assert.deepEqual(inTx.map((r) => r.n).sort(), [1, 3]);
    });

    test('lookupFields: a record holding a NUL or a lone surrogate, in a field asked for or not, is found like any other', async (t) => {
      // json stores both (the first test); PostgreSQL's json functions refuse them when they read
      // the text (https://www.postgresql.org/docs/current/datatype-json.html), and one such record
      // must not fail the lookup, nor the other reads sent with it.
      const { store, P } = await setup(t);
      const tag = (v: string) => `${P}\u0000${v}`;
      await store.transact((tx) => {
        tx.put('contractItems', P, 'nul', { id: 'nul', n: 1, tags: ['odd'], nested: { name: 'NUL \u0000 here' } });
        tx.put('contractItems', P, 'lone', { id: 'lone', n: 2, tags: ['odd'], nested: ['a lone \ud800', '\udc00 too'] });
        tx.put('contractItems', P, 'plain', { id: 'plain', n: 3, tags: ['odd', 'plain'], nested: 'plain' });
      });
      const byId = <T extends { id: string }>(rows: readonly T[]) => [...rows].sort((x, y) => x.id.localeCompare(y.id));
      const [notAsked, asked, plain, whole] = await Promise.all([
        store.lookupFields('contractItems', 'contract.tags', tag('odd'), ['id', 'n']),
        store.lookupFields('contractItems', 'contract.tags', tag('odd'), ['id', 'nested']),
        store.lookupFields('contractItems', 'contract.tags', tag('plain'), ['id']),
        store.lookup('contractItems', 'contract.tags', tag('odd')),
      ]);
      assert.deepEqual(byId(notAsked), [{ id: 'lone', n: 2 }, { id: 'nul', n: 1 }, { id: 'plain', n: 3 }]);
      assert.deepEqual(byId(asked), [{ id: 'lone', nested: ['a lone \ud800', '\udc00 too'] }, { id: 'nul', nested: { name: 'NUL \u0000 here' } }, { id: 'plain', nested: 'plain' }]);
      assert.deepEqual(plain, [{ id: 'plain' }], 'a lookup sent with them gets its answer');
      assert.deepEqual(ids(whole).sort(), ['lone', 'nul', 'plain']);
      const inTx = await store.transact(async (tx) => {
        tx.put('contractItems', P, 'staged', { id: 'staged', n: 4, tags: ['odd'], nested: '\u0000' });
        return tx.lookupFields('contractItems', 'contract.tags', tag('odd'), ['n']);
      });
      assert.deepEqual(inTx.map((r) => r.n).sort(), [1, 2, 3, 4]);
    });

    test('a transaction reads its own staged writes; the store outside it does not', async (t) => {
      const { store, P } = await setup(t);
      await store.transact((tx) => tx.put('contractItems', P, 'old', { id: 'old', n: 1 }));
      const seen = await store.transact(async (tx) => {
        tx.put('contractItems', P, 'new', { id: 'new', n: 2 });
        tx.delete('contractItems', P, 'old');
        return {
          txNew: await tx.get('contractItems', P, 'new'),
          txOld: await tx.get('contractItems', P, 'old'),
          txList: ids(await collect(tx.list('contractItems', P))),
          storeNew: await store.get('contractItems', P, 'new'),
          storeOld: (await store.get('contractItems', P, 'old'))?.id,
        };
      });
      assert.deepEqual(seen, { txNew: { id: 'new', n: 2 }, txOld: undefined, txList: ['new'], storeNew: undefined, storeOld: 'old' });
    });

    test('getMany: records in the order asked, undefined where absent, staged writes included', async (t) => {
      const { store, P } = await setup(t);
      await store.transact((tx) => {
        tx.put('contractItems', P, 'a', { id: 'a', n: 1 });
        tx.put('contractItems', P, 'b', { id: 'b', n: 2 });
      });
      assert.deepEqual(await store.getMany('contractItems', P, ['b', 'none', 'a', 'b']), [{ id: 'b', n: 2 }, undefined, { id: 'a', n: 1 }, { id: 'b', n: 2 }]);
      assert.deepEqual(await store.getMany('contractItems', P, []), []);
      const inTx = await store.transact(async (tx) => {
        tx.put('contractItems', P, 'c', { id: 'c', n: 3 });
        tx.delete('contractItems', P, 'a');
        return tx.getMany('contractItems', P, ['a', 'b', 'c']);
      });
      assert.deepEqual(inTx, [undefined, { id: 'b', n: 2 }, { id: 'c', n: 3 }]);
      assert.deepEqual(await store.getMany('contractItems', 'other', ['b']), [undefined], 'partitions are apart');
    });

    test('hasMany: whether each record exists, in the order asked, staged writes included', async (t) => {
      const { store, P } = await setup(t);
      await store.transact((tx) => {
        tx.put('contractItems', P, 'a', { id: 'a', n: 1 });
        tx.put('contractItems', P, 'b', { id: 'b', n: 2 });
      });
      assert.deepEqual(await store.hasMany('contractItems', P, ['b', 'none', 'a', 'b']), [true, false, true, true]);
      assert.deepEqual(await store.hasMany('contractItems', P, []), []);
      assert.deepEqual(await store.hasMany('contractItems', 'other', ['a']), [false], 'partitions are apart');
      const inTx = await store.transact(async (tx) => {
        tx.put('contractItems', P, 'c', { id: 'c', n: 3 });
        tx.delete('contractItems', P, 'a');
        await tx.get('contractItems', P, 'b');
        return tx.hasMany('contractItems', P, ['a', 'b', 'c', 'd']);
      });
      assert.deepEqual(inTx, [false, true, true, false]);
      assert.deepEqual(await store.hasMany('contractItems', P, ['a', 'c']), [false, true]);
    });
  });
}
