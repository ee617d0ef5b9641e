import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { postgresForTests, testSchema } from '../../../test/postgres.ts';
import { indexDef } from './indexes.ts';
import { KeyLocks, VALUE_LOCKS_PER_INDEX, writerLocks } from './key-locks.ts';
import { writeStatement } from './writes.ts';
import { LOCK_TIMEOUT_MS, PostgresStore } from './postgres-store.ts';
import { inlineParams } from './sql.ts';

/**
 * Transactions at READ COMMITTED decide as if alone (key-locks.ts): each test races transactions
 * on two replicas (two stores sharing one schema) that decide a write on a read (a record's
 * absence, a lookup, a count, a partition listing) and checks that no decision was made on a
 * read another transaction changed before it committed.
 */
declare module '../collections.ts' {
  interface Collections {
    klItems: { id: string; name: string };
    klClaims: { id: string; by: number };
    klSeats: { id: string };
  }
}

const db = await postgresForTests();
const drops: Array<() => Promise<void>> = [];
after(() => Promise.all(drops.map((drop) => drop())));

/** Two stores on a fresh schema, closed when the test ends (connections are limited); the schema is dropped at the end. */
async function twoReplicas(t: TestContext, label: string): Promise<[PostgresStore, PostgresStore]> {
  const s = testSchema(db.url, label);
  drops.push(s.drop);
  const open = async () => {
    const store = new PostgresStore({ url: db.url, schema: s.schema, poolSize: 6 });
    store.defineIndex('klItems', 'kl.name', (r, p) => [`${p}\u0000${r.name}`]);
    await store.open();
    return store;
  };
  const a = await open();
  const b = await open();
  t.after(() => Promise.all([a.close(), b.close()]));
  return [a, b];
}

const race = <T>(n: number, [a, b]: [PostgresStore, PostgresStore], run: (store: PostgresStore, i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: n }, (_, i) => run(i % 2 === 0 ? a : b, i)));

describe('writer locks (no database)', () => {
  test('shared on partitions, collections and values; exclusive on an index past the value limit', () => {
    const keys = new KeyLocks('s');
    const few = writerLocks(keys, [{ collection: 'c', partition: 'p' }], new Map([['idx', new Set(['a', 'b'])]]));
    assert.deepEqual(new Map(few), new Map([
      [keys.partition('c', 'p'), 'shared'], [keys.collection('c'), 'shared'],
      [keys.value('idx', 'a'), 'shared'], [keys.value('idx', 'b'), 'shared'],
    ]));
    const many = new Set(Array.from({ length: VALUE_LOCKS_PER_INDEX + 1 }, (_, i) => `v${i}`));
    const big = writerLocks(keys, [{ collection: 'c', partition: 'p' }], new Map([['idx', many]]));
    assert.equal(big.length, 3, 'one index lock instead of one lock per value');
    assert.deepEqual(big.find(([k]) => k === keys.index('idx')), [keys.index('idx'), 'exclusive']);
    assert.notEqual(keys.partition('c', 'p'), new KeyLocks('other').partition('c', 'p'), 'keys are per schema');
  });
});

describe('values a writer locks (no database)', () => {
  test('a record read before it is rewritten: only the values it gains; a record not read: all of them', () => {
    const indexes = new Map([['kl.tags', indexDef('kl.tags', 'klItems', (r: { tags: string[] }) => r.tags)]]);
    const tags = Array.from({ length: 100 }, (_, i) => `t${i}`);
    const rewritten = writeStatement('s', [{ collection: 'klItems', partition: 'hub', id: 'g', record: { tags: [...tags, 'new'] }, before: { record: { tags } } }], indexes);
    assert.deepEqual([...rewritten.filed!.get('kl.tags')!], ['new']);
    const blind = writeStatement('s', [{ collection: 'klItems', partition: 'hub', id: 'g', record: { tags: [...tags, 'new'] } }], indexes);
    assert.equal(blind.filed!.get('kl.tags')!.size, 101);
  });
});

describe('parameters written into a statement (no database)', () => {
  test('strings quoted and escaped, numbers as they are, anything else refused', () => {
    assert.equal(inlineParams('SELECT $1, $2, $10', ["it's \\ é", 5, ...Array(7).fill(0), 'x']), "SELECT  E'it''s \\\\ é', 5, 'x'");
    assert.throws(() => inlineParams('SELECT $1', [['a']]), /cannot write parameter \$1 \(object\)/);
    assert.throws(() => inlineParams('SELECT $1', [Number.NaN]), /cannot write parameter/);
  });
});

describe('PostgresStore locks what a transaction decides on', { skip: db.skip }, () => {
  test('a lookup in a transaction (lock and read in one round trip) finds values with quotes, backslashes and NUL', async (t) => {
    const [a] = await twoReplicas(t, 'kl-inline');
    const odd = ["o'brien", 'back\\slash', 'nul\u0000byte', "e'\\x00'", 'ünïcode ✓'];
    await a.transact((tx) => odd.forEach((name, n) => tx.put('klItems', 'hub', `r${n}`, { id: `r${n}`, name })));
    const found = await a.transact(async (tx) => Promise.all(odd.map(async (name) => (await tx.lookup('klItems', 'kl.name', `hub\u0000${name}`)).map((r) => r.id))));
    assert.deepEqual(found, odd.map((_, n) => [`r${n}`]));
  });

  test('a record claimed if absent, by 40 transactions on two replicas: claimed once', async (t) => {
    const stores = await twoReplicas(t, 'kl-absent');
    const claimed = await race(40, stores, (store, i) => store.transact(async (tx) => {
      if (await tx.get('klClaims', 'hub', 'slot')) return false;
      tx.put('klClaims', 'hub', 'slot', { id: 'slot', by: i });
      return true;
    }));
    assert.equal(claimed.filter(Boolean).length, 1);
  });

  test('a name looked up and then created, by 40 transactions: one record holds it', async (t) => {
    const stores = await twoReplicas(t, 'kl-lookup');
    const created = await race(40, stores, (store) => store.transact(async (tx) => {
      if ((await tx.lookup('klItems', 'kl.name', 'hub\u0000jane')).length > 0) return false;
      const id = randomUUID();
      tx.put('klItems', 'hub', id, { id, name: 'jane' });
      return true;
    }));
    assert.equal(created.filter(Boolean).length, 1);
    assert.equal((await stores[1].lookup('klItems', 'kl.name', 'hub\u0000jane')).length, 1);
  });

  test('a seat given while fewer than 5 are counted, by 30 transactions: exactly 5', async (t) => {
    const stores = await twoReplicas(t, 'kl-count');
    await race(30, stores, (store) => store.transact(async (tx) => {
      if ((await tx.count('klSeats', 'hub')) >= 5) return;
      const id = randomUUID();
      tx.put('klSeats', 'hub', id, { id });
    }));
    assert.equal(await stores[0].count('klSeats', 'hub'), 5);
  });

  test('a transaction filing 100 names (index lock) against 20 look-then-create of the same names: each name once', async (t) => {
    const stores = await twoReplicas(t, 'kl-big');
    const names = Array.from({ length: 100 }, (_, i) => `n${i}`);
    const big = stores[0].transact(async (tx) => {
      for (const name of names) {
        if ((await tx.lookup('klItems', 'kl.name', `hub\u0000${name}`)).length > 0) continue;
        const id = randomUUID();
        tx.put('klItems', 'hub', id, { id, name });
      }
    });
    const small = race(20, stores, (store, i) => store.transact(async (tx) => {
      const name = names[i * 5]!;
      if ((await tx.lookup('klItems', 'kl.name', `hub\u0000${name}`)).length > 0) return;
      const id = randomUUID();
      tx.put('klItems', 'hub', id, { id, name });
    }));
    await Promise.all([big, small]);
    for (const name of names) assert.equal((await stores[1].lookup('klItems', 'kl.name', `hub\u0000${name}`)).length, 1, name);
  });

  test('80 blind rewrites of one record: its index entries are those of the version that won', async (t) => {
    const stores = await twoReplicas(t, 'kl-blind');
    await race(80, stores, (store, i) => store.transact((tx) => tx.put('klItems', 'hub', 'r', { id: 'r', name: `v${i % 7}` })));
    const final = (await stores[0].get('klItems', 'hub', 'r'))!;
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = (await client.query<{ value: string }>(`SELECT value FROM ${stores[0].schema}.index_entries WHERE name = 'kl.name' AND id = 'r'`)).rows;
      assert.ok(rows.some((r) => r.value.endsWith(final.name)), `the winning version's entry (${final.name}) is there`);
    } finally {
      await client.end();
    }
    assert.deepEqual((await stores[1].lookup('klItems', 'kl.name', `hub\u0000${final.name}`)).map((r) => r.id), ['r']);
    for (let v = 0; v < 7; v++) {
      if (`v${v}` !== final.name) assert.deepEqual(await stores[1].lookup('klItems', 'kl.name', `hub\u0000v${v}`), [], `v${v}`);
    }
  });

  test(`a lock held longer than lock_timeout (${LOCK_TIMEOUT_MS} ms): the waiter gives up, runs again, and commits after the holder`, async (t) => {
    const [a, b] = await twoReplicas(t, 'kl-timeout');
    await a.transact((tx) => tx.put('klClaims', 'hub', 'r', { id: 'r', by: 0 }));
    let held!: () => void;
    const isHeld = new Promise<void>((resolve) => (held = resolve));
    const holder = a.transact(async (tx) => {
      const r = await tx.get('klClaims', 'hub', 'r'); // row lock
      held();
      await new Promise((resolve) => setTimeout(resolve, LOCK_TIMEOUT_MS + 1_500));
      tx.put('klClaims', 'hub', 'r', { id: 'r', by: r!.by + 1 });
    });
    await isHeld;
    const waiter = b.transact(async (tx) => {
      const r = await tx.get('klClaims', 'hub', 'r');
      tx.put('klClaims', 'hub', 'r', { id: 'r', by: r!.by + 10 });
    });
    await Promise.all([holder, waiter]);
    assert.ok(b.retries >= 1, 'the waiter timed out and ran again');
    assert.equal((await a.get('klClaims', 'hub', 'r'))!.by, 11, 'both updates kept');
  });

  test('a deadlock (a lister writing a record a writer of the list holds) runs the loser again; both commit', async (t) => {
    const [a, b] = await twoReplicas(t, 'kl-deadlock');
    await a.transact((tx) => tx.put('klClaims', 'hub', 'r', { id: 'r', by: 0 }));
    let heldRow!: () => void;
    const rowHeld = new Promise<void>((resolve) => (heldRow = resolve));
    let listed!: () => void;
    const wasListed = new Promise<void>((resolve) => (listed = resolve));
    const writer = b.transact(async (tx) => {
      await tx.get('klClaims', 'hub', 'r'); // row lock on r
      heldRow();
      await wasListed;
      tx.put('klSeats', 'hub', 'w', { id: 'w' }); // commit waits for the lister's partition lock
    });
    const lister = a.transact(async (tx) => {
      await rowHeld;
      const seats = await tx.count('klSeats', 'hub'); // partition lock, exclusive
      listed();
      tx.put('klClaims', 'hub', 'r', { id: 'r', by: seats + 1 }); // waits for the writer's row lock
    });
    await Promise.all([writer, lister]);
    assert.ok(a.retries + b.retries >= 1, 'PostgreSQL broke the deadlock and the loser ran again');
    assert.equal(await a.count('klSeats', 'hub'), 1);
    assert.ok((await a.get('klClaims', 'hub', 'r'))!.by >= 1);
  });
});
