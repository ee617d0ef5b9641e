import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { postgresForTests, testSchema } from '../../../test/postgres.ts';
import { indexDef } from './indexes.ts';
import { commitLocks, KeyLocks, LOCKS_PER_PARENT } from './key-locks.ts';
import { ReadSet, type ReadItem } from './read-set.ts';
import { filedValues, stagedWrites } from './writes.ts';
import { LOCK_TIMEOUT_MS, PostgresStore } from './postgres-store.ts';

/**
 * Transactions decide as if alone (read-set.ts, key-locks.ts): each test races transactions on
 * two replicas (two stores sharing one schema) that decide a write on a read (a record, a
 * record's absence, a lookup, a count, a partition listing) and checks that no decision was made
 * on a read another transaction changed before it committed.
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

describe('commit locks (no database)', () => {
  const keys = new KeyLocks('s');
  const reads = (...items: ReadItem[]) => {
    const r = new ReadSet();
    for (const it of items) r.note(it);
    return r;
  };
  const asMap = (b: { keys: string[]; exclusive: boolean[] }) => new Map(b.keys.map((k, n) => [k, b.exclusive[n] ? 'exclusive' : 'shared']));

  test('a record read: shared on it, its partition and collection; written: exclusive on it; a lookup: exclusive on the value', () => {
    const batch = commitLocks(keys, reads({ kind: 'record', collection: 'c', partition: 'p', id: 'a', print: '1' }, { kind: 'lookup', collection: 'c', index: 'idx', value: 'v', print: '0/' }), [{ collection: 'c', partition: 'p', id: 'b' }], new Map([['idx', new Set(['w'])]]));
    assert.deepEqual(asMap(batch), new Map([
      [keys.collection('c'), 'shared'], [keys.partition('c', 'p'), 'shared'],
      [keys.record('c', 'p', 'a'), 'shared'], [keys.record('c', 'p', 'b'), 'exclusive'],
      [keys.index('idx'), 'shared'], [keys.value('idx', 'v'), 'exclusive'], [keys.value('idx', 'w'), 'shared'],
    ]));
    assert.deepEqual(batch.keys, [...batch.keys].sort(), 'taken in one global order');
    assert.notEqual(keys.partition('c', 'p'), new KeyLocks('other').partition('c', 'p'), 'keys are per schema');
  });

  test('a partition listed is locked whole; past the limit, records give way to their partition and values to their index', () => {
    const listed = commitLocks(keys, reads({ kind: 'partition', collection: 'c', partition: 'p', print: '0/' }), [{ collection: 'c', partition: 'p', id: 'b' }], new Map());
    assert.deepEqual(asMap(listed), new Map([[keys.collection('c'), 'shared'], [keys.partition('c', 'p'), 'exclusive']]));
    const many = Array.from({ length: LOCKS_PER_PARENT + 1 }, (_, i) => ({ collection: 'c', partition: 'p', id: `r${i}` }));
    const values = new Set(many.map((r) => r.id));
    const big = commitLocks(keys, new ReadSet(), many, new Map([['idx', values]]));
    assert.deepEqual(asMap(big), new Map([[keys.collection('c'), 'shared'], [keys.partition('c', 'p'), 'exclusive'], [keys.index('idx'), 'exclusive']]));
    const partitions = Array.from({ length: LOCKS_PER_PARENT + 1 }, (_, i) => ({ collection: 'c', partition: `p${i}`, id: 'r' }));
    assert.deepEqual(asMap(commitLocks(keys, new ReadSet(), partitions, new Map())), new Map([[keys.collection('c'), 'exclusive']]));
  });

  test('a thing read twice with different prints marks the transaction changed', () => {
    const r = reads({ kind: 'record', collection: 'c', partition: 'p', id: 'a', print: '1' });
    r.note({ kind: 'record', collection: 'c', partition: 'p', id: 'a', print: '1' });
    assert.equal(r.changed, undefined);
    r.note({ kind: 'record', collection: 'c', partition: 'p', id: 'a', print: '2' });
    assert.match(r.changed ?? '', /c record a/);
  });
});

describe('values a writer locks (no database)', () => {
  test('a record read before it is rewritten: only the values it gains; a record not read: all of them', () => {
    const indexes = new Map([['kl.tags', indexDef('kl.tags', 'klItems', (r: { tags: string[] }) => r.tags)]]);
    const tags = Array.from({ length: 100 }, (_, i) => `t${i}`);
    const rewritten = stagedWrites([{ collection: 'klItems', partition: 'hub', id: 'g', record: { tags: [...tags, 'new'] }, before: { record: { tags } } }], indexes);
    assert.deepEqual([...rewritten.filed!.get('kl.tags')!], ['new']);
    const blind = stagedWrites([{ collection: 'klItems', partition: 'hub', id: 'g', record: { tags: [...tags, 'new'] } }], indexes);
    assert.equal(blind.filed!.get('kl.tags')!.size, 101);
  });

  test('a commit in parts locks what a one-call commit locks (filedValues)', () => {
    const keys = new KeyLocks('s');
    const asMap = (b: { keys: string[]; exclusive: boolean[] }) => new Map(b.keys.map((k, n) => [k, b.exclusive[n] ? 'exclusive' : 'shared']));
    const indexes = new Map([['kl.tags', indexDef('kl.tags', 'klItems', (r: { tags: string[] }) => r.tags)], ['kl.other', indexDef('kl.other', 'klSeats', () => ['x'])]]);
    const entries = (n: number) => [
      { collection: 'klItems' as const, partition: 'hub', id: 'read', record: { tags: ['a', 'b'] }, before: { record: { tags: ['a'] } } },
      { collection: 'klItems' as const, partition: 'hub', id: 'absent', record: { tags: ['c'] }, before: { record: undefined } },
      { collection: 'klItems' as const, partition: 'hub', id: 'same', record: { tags: ['a'] }, before: { record: { tags: ['a'] } } },
      { collection: 'klItems' as const, partition: 'hub', id: 'gone', record: undefined },
      ...Array.from({ length: n }, (_, i) => ({ collection: 'klItems' as const, partition: 'many', id: `m${i}`, record: { tags: [`v${i}`] } })),
    ];
    for (const n of [0, 10, LOCKS_PER_PARENT + 50]) {
      const batch = (filed: Map<string, Set<string>>) => asMap(commitLocks(keys, new ReadSet(), entries(n), filed));
      assert.deepEqual(batch(filedValues(entries(n), indexes)), batch(stagedWrites(entries(n), indexes).filed), `${n} more records`);
    }
    // An index of a collection written to is named even when nothing is filed anew (its intent lock).
    assert.deepEqual([...filedValues(entries(0), indexes).keys()], ['kl.tags']);
    assert.deepEqual([...filedValues(entries(0), indexes).get('kl.tags')!].sort(), ['b', 'c']);
  });
});

describe('PostgresStore locks what a transaction decides on', { skip: db.skip }, () => {
  test('a lookup in a transaction finds values with quotes, backslashes and NUL, and commits', async (t) => {
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

  test('read-modify-writes of one record naming it in `writes` take turns in this process from their first run: none runs again, all land', async (t) => {
    const [a] = await twoReplicas(t, 'kl-hint');
    await a.transact((tx) => tx.put('klItems', 'hub', 'group', { id: 'group', name: '' }));
    const append = (i: number, hinted: boolean) => a.transact(async (tx) => {
      const group = (await tx.get('klItems', 'hub', 'group'))!;
      await new Promise((resolve) => setTimeout(resolve, 5)); // the others read meanwhile
      tx.put('klItems', 'hub', 'group', { ...group, name: `${group.name}${i},` });
    }, hinted ? { writes: [['klItems', 'hub', 'group']] } : undefined);
    await Promise.all(Array.from({ length: 10 }, (_, i) => append(i, true)));
    assert.equal(a.stats().reRuns, 0, 'hinted: no conflict');
    await Promise.all(Array.from({ length: 10 }, (_, i) => append(10 + i, false)));
    assert.ok(a.stats().reRuns > 0, 'without the hint the same transactions conflict (what the hint saves)');
    const names = (await a.get('klItems', 'hub', 'group'))!.name.split(',').filter(Boolean).map(Number).sort((x, y) => x - y);
    assert.deepEqual(names, Array.from({ length: 20 }, (_, i) => i), 'every append landed');
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

  test('40 read-modify-writes of one counter on two replicas: none lost', async (t) => {
    const stores = await twoReplicas(t, 'kl-counter');
    await stores[0].transact((tx) => tx.put('klClaims', 'hub', 'n', { id: 'n', by: 0 }));
    await race(40, stores, (store) => store.transact(async (tx) => {
      const n = await tx.get('klClaims', 'hub', 'n');
      tx.put('klClaims', 'hub', 'n', { id: 'n', by: n!.by + 1 });
    }));
    assert.equal((await stores[1].get('klClaims', 'hub', 'n'))!.by, 40);
  });

  test('transactions that only read two records see them as of one moment while others move value between them', async (t) => {
    const stores = await twoReplicas(t, 'kl-snapshot');
    await stores[0].transact((tx) => {
      tx.put('klClaims', 'hub', 'a', { id: 'a', by: 100 });
      tx.put('klClaims', 'hub', 'b', { id: 'b', by: 0 });
    });
    const moves = race(30, stores, (store) => store.transact(async (tx) => {
      const a = (await tx.get('klClaims', 'hub', 'a'))!;
      const b = (await tx.get('klClaims', 'hub', 'b'))!;
      tx.put('klClaims', 'hub', 'a', { id: 'a', by: a.by - 1 });
      tx.put('klClaims', 'hub', 'b', { id: 'b', by: b.by + 1 });
    }));
    const sums = race(30, stores, (store) => store.transact(async (tx) => {
      const a = (await tx.get('klClaims', 'hub', 'a'))!;
      await new Promise((resolve) => setTimeout(resolve, 2)); // a move may commit in between
      const b = (await tx.get('klClaims', 'hub', 'b'))!;
      return a.by + b.by;
    }));
    const [, seen] = await Promise.all([moves, sums]);
    assert.deepEqual(new Set(seen), new Set([100]));
    assert.equal((await stores[0].get('klClaims', 'hub', 'b'))!.by, 30);
  });

  test(`a lock held longer than lock_timeout (${LOCK_TIMEOUT_MS} ms): the commit waiting for it gives up, runs again, and commits after the holder`, async (t) => {
    const [a] = await twoReplicas(t, 'kl-timeout');
    await a.transact((tx) => tx.put('klClaims', 'hub', 'r', { id: 'r', by: 0 }));
    // Another session holds the record's lock, as a replica stalled mid-commit would.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    t.after(() => holder.end());
    await holder.query(`BEGIN; SELECT pg_advisory_xact_lock(${new KeyLocks(a.schema).record('klClaims', 'hub', 'r')}::bigint)`);
    const release = setTimeout(() => void holder.query('COMMIT'), LOCK_TIMEOUT_MS + 1_500);
    t.after(() => clearTimeout(release));
    await a.transact(async (tx) => {
      const r = await tx.get('klClaims', 'hub', 'r');
      tx.put('klClaims', 'hub', 'r', { id: 'r', by: r!.by + 1 });
    });
    assert.ok(a.stats().reRuns >= 1, 'the commit timed out and ran again');
    assert.equal((await a.get('klClaims', 'hub', 'r'))!.by, 1);
  });

  test('a lister writing a record that a writer of the list read: no deadlock; one of them runs again and both commit', async (t) => {
    const [a, b] = await twoReplicas(t, 'kl-deadlock');
    await a.transact((tx) => tx.put('klClaims', 'hub', 'r', { id: 'r', by: 0 }));
    let readRow!: () => void;
    const rowRead = new Promise<void>((resolve) => (readRow = resolve));
    let listed!: () => void;
    const wasListed = new Promise<void>((resolve) => (listed = resolve));
    const started = Date.now();
    const writer = b.transact(async (tx) => {
      await tx.get('klClaims', 'hub', 'r');
      readRow();
      await wasListed;
      tx.put('klSeats', 'hub', 'w', { id: 'w' });
    });
    const lister = a.transact(async (tx) => {
      await rowRead;
      const seats = await tx.count('klSeats', 'hub');
      listed();
      tx.put('klClaims', 'hub', 'r', { id: 'r', by: seats + 1 });
    });
    await Promise.all([writer, lister]);
    assert.ok(a.stats().reRuns + b.stats().reRuns >= 1, 'the one whose read the other changed ran again');
    assert.ok(Date.now() - started < 1_000, 'nobody waited for deadlock detection (deadlock_timeout, 1 s)');
    assert.equal(await a.count('klSeats', 'hub'), 1);
    const r = (await a.get('klClaims', 'hub', 'r'))!;
    assert.ok(r.by >= 1, `r written after the seat was counted (${r.by})`);
  });
});
