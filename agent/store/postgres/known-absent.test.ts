import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { freshSchemas } from '../../../test/fresh-schemas.ts';
import { postgresForTests } from '../../../test/postgres.ts';
import { collect } from '../store.ts';
import { indexDef } from './indexes.ts';
import { migrate, migrationFiles } from './migrate.ts';
import { PostgresStore } from './postgres-store.ts';
import { encodeKey, ident } from './sql.ts';
import { stagedWrites, type StagedEntry } from './writes.ts';

/**
 * migrations/006-known-absent-inserts.sql: records a transaction read absent, or put into a
 * partition it listed empty, are inserted plainly (no ON CONFLICT, no look at stored index
 * entries); the others as before. What must hold: staging order, the check of what was read,
 * and the previous release's function during a rolling upgrade.
 */
declare module '../collections.ts' {
  interface Collections {
    absentItems: { id: string; tags: string[] };
  }
}

const db = await postgresForTests();
const freshSchema = freshSchemas(db);

const byTag = (r: { tags: string[] }, p: string) => r.tags.map((t) => `${p}\u0000${t}`);

async function open(schema: string): Promise<PostgresStore> {
  const store = new PostgresStore({ url: db.url, schema, poolSize: 3 });
  store.defineIndex('absentItems', 'absent.tags', byTag);
  await store.open();
  return store;
}

const item = (id: string, ...tags: string[]) => ({ id, tags });
const ids = async (store: PostgresStore, p: string) => (await collect(store.list('absentItems', p))).map((r) => r.id);
const tagged = async (store: PostgresStore, p: string, tag: string) => (await store.lookup('absentItems', 'absent.tags', `${p}\u0000${tag}`)).map((r) => r.id).sort();

describe('stagedWrites: which records and entries are known absent', () => {
  test('a record read absent goes with its entries as new; a record read present goes with the entries it gains as new; a blind one with none', () => {
    const index = new Map([['absent.tags', indexDef('absent.tags', 'absentItems', byTag as never)]]);
    const entry = (id: string, before?: { record: unknown }): StagedEntry => ({ collection: 'absentItems', partition: 'p', id, record: item(id, 'x'), ...(before ? { before } : {}) });
    const w = stagedWrites([entry('read-absent', { record: undefined }), entry('read-present', { record: item('read-present', 'y') }), entry('blind')], index);
    // del_c, del_p, del_i, ups_c, ups_p, ups_i (5), ups_j, ups_new (7), t_c … names, k_n … k_i (17), k_new (18).
    const [upsIds, upsNew, entryIds, entryNew] = [5, 7, 17, 18].map((n) => w.values[n]);
    assert.deepEqual(upsIds, ['read-absent', 'read-present', 'blind'].map(encodeKey));
    assert.deepEqual(upsNew, [true, false, false]);
    assert.deepEqual(entryIds, ['read-absent', 'read-present', 'blind'].map(encodeKey));
    assert.deepEqual(entryNew, [true, true, false]);
    // Asked for with every row compared (commit.ts, after a unique violation): none is new.
    const compared = stagedWrites([entry('read-absent', { record: undefined }), entry('read-present', { record: item('read-present', 'y') })], index, false);
    assert.deepEqual([compared.values[7], compared.values[18]], [[false, false], [false, false]]);
  });
});

describe('PostgresStore: records known absent are inserted plainly', { skip: db.skip }, () => {
  test('staging order holds when new and blind records are put into one partition', async (t) => {
    const store = await open(freshSchema('absent-order'));
    t.after(() => store.close());
    await store.transact(async (tx) => {
      assert.equal(await tx.get('absentItems', 'hub', 'b'), undefined); // read absent: inserted plainly
      tx.put('absentItems', 'hub', 'a', item('a', 'one')); // blind: inserted with ON CONFLICT
      tx.put('absentItems', 'hub', 'b', item('b', 'one'));
      tx.put('absentItems', 'hub', 'c', item('c', 'two'));
    });
    assert.deepEqual(await ids(store, 'hub'), ['a', 'b', 'c']);
    assert.deepEqual(await tagged(store, 'hub', 'one'), ['a', 'b']);

    // A partition listed empty: every record put into it is new, and a later change finds them.
    await store.transact(async (tx) => {
      assert.deepEqual(await collect(tx.list('absentItems', 'other')), []);
      for (const id of ['z', 'y', 'x']) tx.put('absentItems', 'other', id, item(id, 'one', id));
    });
    assert.deepEqual(await ids(store, 'other'), ['z', 'y', 'x']);
    await store.transact(async (tx) => {
      tx.put('absentItems', 'other', 'y', item('y', 'two'));
      tx.put('absentItems', 'other', 'w', item('w', 'one'));
    });
    assert.deepEqual(await ids(store, 'other'), ['z', 'y', 'x', 'w'], 'a replaced record keeps its place');
    assert.deepEqual(await tagged(store, 'other', 'one'), ['w', 'x', 'z']);
    assert.deepEqual(await tagged(store, 'other', 'two'), ['y']);
  });

  test('a partition listed empty that another replica writes to meanwhile: the transaction runs again, nothing fails or doubles', async (t) => {
    const schema = freshSchema('absent-race');
    const a = await open(schema);
    const b = await open(schema);
    t.after(() => Promise.all([a.close(), b.close()]));
    let runs = 0;
    // The other replica's write, started from outside a's transaction once its first run listed.
    let listed1!: () => void;
    const bWrote = new Promise<void>((resolve) => (listed1 = resolve)).then(() => b.transact((other) => other.put('absentItems', 'hub', 'same', item('same', 'from-b'))));
    await a.transact(async (tx) => {
      runs++;
      const listed = await collect(tx.list('absentItems', 'hub'));
      // The first run saw the partition empty; the other replica then puts the same record.
      if (runs === 1) {
        listed1();
        await bWrote;
      }
      tx.put('absentItems', 'hub', 'same', item('same', `from-a-after-${listed.length}`));
    });
    assert.equal(runs, 2, 'the first run read the partition empty and was run again');
    assert.deepEqual(await collect(a.list('absentItems', 'hub')), [item('same', 'from-a-after-1')]);
    assert.deepEqual(await tagged(b, 'hub', 'from-b'), [], 'the replaced record left its old index entry');
    assert.deepEqual(await tagged(b, 'hub', 'from-a-after-1'), ['same']);
  });

  test('an entry stored after all (a key function changed under one name): the commit is made again comparing stored rows, nothing doubles', async (t) => {
    const schema = freshSchema('absent-stored');
    const store = await open(schema);
    t.after(() => store.close());
    await store.transact((tx) => tx.put('absentItems', 'hub', 'r', item('r', 'a')));
    // What another release's definition filed for the record: an entry its `before` does not give.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    t.after(() => client.end());
    await client.query(`INSERT INTO ${ident(schema)}.index_entries (name, value, collection, partition, id) VALUES ('absent.tags', $1, 'absentItems', $2, $3)`, [encodeKey('hub\u0000b'), encodeKey('hub'), encodeKey('r')]);
    let runs = 0;
    await store.transact(async (tx) => {
      runs++;
      const r = (await tx.get('absentItems', 'hub', 'r'))!;
      tx.put('absentItems', 'hub', 'r', { ...r, tags: ['a', 'b', 'c'] }); // b is stored already: a plain insert meets it
    });
    assert.equal(runs, 1, 'the call is made again, not the function');
    assert.deepEqual(await tagged(store, 'hub', 'b'), ['r']);
    assert.deepEqual(await tagged(store, 'hub', 'c'), ['r']);
    const count = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${ident(schema)}.index_entries WHERE name = 'absent.tags'`);
    assert.equal(count.rows[0]!.n, '3', 'a, b and c, each once');
  });

  test('after 006, the previous release\'s commit_writes still writes (a rolling upgrade)', async (t) => {
    const schema = freshSchema('absent-upgrade');
    const s = ident(schema);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    t.after(() => client.end());
    await migrate(client, schema, migrationFiles().filter((m) => Number(m.version) <= 5));
    const store = await open(schema); // applies 006
    t.after(() => store.close());
    const functions = await client.query<{ n: number }>(`SELECT pronargs AS n FROM pg_proc WHERE proname = 'commit_writes' AND pronamespace = $1::regnamespace ORDER BY 1`, [schema]);
    assert.deepEqual(functions.rows.map((r) => r.n), [29, 31]);

    // The 29 arguments of 004: a blind write of one record and its index entry.
    const none = "'{}'::text[]";
    await client.query(`SELECT * FROM ${s}.commit_writes('{}'::bigint[], '{}'::boolean[], ${Array(5).fill(none).join(', ')}, ${Array(3).fill(none).join(', ')},
      ARRAY['absentItems'], ARRAY[$1], ARRAY[$2], ARRAY[$3], ARRAY['absentItems'], ARRAY[$1], ARRAY[$2], ARRAY[false], ARRAY['absent.tags'],
      ARRAY['absent.tags'], ARRAY[$4], ARRAY['absentItems'], ARRAY[$1], ARRAY[$2], ${Array(5).fill(none).join(', ')})`,
    [encodeKey('hub'), encodeKey('old'), JSON.stringify(item('old', 'v')), encodeKey('hub\u0000v')]);
    assert.deepEqual(await collect(store.list('absentItems', 'hub')), [item('old', 'v')]);
    assert.deepEqual(await tagged(store, 'hub', 'v'), ['old']);
  });
});
