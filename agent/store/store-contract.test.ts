import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresForTests, testSchema } from '../../test/postgres.ts';
import { ARCHIVED_COLLECTIONS } from './archives.ts';
import { LowdbStore } from './lowdb-store.ts';
import { MemoryStore } from './memory-store.ts';
import { PostgresStore } from './postgres/postgres-store.ts';
import { collect, type Change, type Store } from './store.ts';

/**
 * The Store contract (store.ts), one suite run on every store kind: memory, lowdb (a temp folder)
 * and PostgreSQL (one fresh schema for this file, dropped at the end). Tests on one kind share
 * nothing but that schema: each works in partitions of its own (`P`), and index keys name the
 * partition, so lookups stay apart too.
 */
declare module './collections.ts' {
  interface Collections {
    contractItems: { id: string; n: number; tags?: string[]; nested?: unknown };
    contractLists: { id: string; items: string[] };
    contractStrict: { id: string; n: number };
    contractLog: { id: string; seq: number };
  }
}

const db = await postgresForTests();
const pgSchema = db.skip ? undefined : testSchema(db.url, 'contract');
if (pgSchema) after(() => pgSchema.drop());

interface Kind {
  name: string;
  skip: string | false;
  /** A new store, not yet open; `cleanup` closes it and removes what it wrote. */
  make(): Promise<{ store: Store; cleanup: () => Promise<void> }>;
}

const kinds: Kind[] = [
  { name: 'memory', skip: false, make: async () => ({ store: new MemoryStore(), cleanup: async () => {} }) },
  {
    name: 'lowdb',
    skip: false,
    make: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hubwarden-contract-'));
      // contractLog is archived like the audit log: read only through newestFirst.
      const store = new LowdbStore(join(dir, 'store.json'), { archived: [...ARCHIVED_COLLECTIONS, 'contractLog'] });
      return { store, cleanup: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
    },
  },
  {
    name: 'postgres',
    skip: db.skip,
    make: async () => {
      const store = new PostgresStore({ url: db.url, schema: pgSchema!.schema, poolSize: 4 });
      return { store, cleanup: () => store.close() };
    },
  },
];

let partitionCounter = 0;
const tagIndex = (r: { tags?: string[] }, p: string) => (r.tags ?? []).map((t) => `${p}\u0000${t}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ids = (records: ReadonlyArray<{ id: string }>) => records.map((r) => r.id);

for (const kind of kinds) {
  describe(`Store contract: ${kind.name}`, { skip: kind.skip }, () => {
    /** An open store with the tag index, and a partition prefix no other test uses. */
    async function setup(t: TestContext, options: { index?: boolean } = {}): Promise<{ store: Store; P: string }> {
      const { store, cleanup } = await kind.make();
      if (options.index !== false) store.defineIndex('contractItems', 'contract.tags', tagIndex);
      await store.open();
      t.after(cleanup);
      return { store, P: `p${process.pid}-${++partitionCounter}-${kind.name}` };
    }

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
      assert.deepEqual(await store.lookup('contractItems', 'contract.undefined-index', tag('red')), []);
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
