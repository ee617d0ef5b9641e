import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { postgresForTests, testSchema } from '../../../test/postgres.ts';
import { PostgresStore } from './postgres-store.ts';
import { ReadBatch } from './read-batch.ts';
import type { Query } from './reads.ts';
import { encodeKey } from './sql.ts';

/**
 * Reads sent together (read-batch.ts) and a transaction's repeated reads (overlay.ts): each caller
 * gets its own answer, a read-only transaction that read in several statements is still checked,
 * and a record read twice in a transaction is read once.
 */
declare module '../collections.ts' {
  interface Collections {
    batchItems: { id: string; n: number; tag?: string; note?: string };
  }
}

const db = await postgresForTests();
const drops: Array<() => Promise<void>> = [];
after(() => Promise.all(drops.map((drop) => drop())));

async function open(schema: string): Promise<PostgresStore> {
  const store = new PostgresStore({ url: db.url, schema, poolSize: 4 });
  store.defineIndex('batchItems', 'batch.tag', (r, p) => (r.tag ? [`${p}\u0000${r.tag}`] : []));
  await store.open();
  return store;
}

function fresh(label: string): string {
  const s = testSchema(db.url, label);
  drops.push(s.drop);
  return s.schema;
}

/** Another writer, outside the store (a transaction may not open another one inside it). */
async function write(schema: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(`SET search_path TO "${schema}"`);
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Counts the statements the store sends through its pool (reads and commits). */
function countStatements(store: PostgresStore): { n: number } {
  const counter = { n: 0 };
  const pool = (store as unknown as { db: { pool: pg.Pool } }).db.pool;
  pool.on('acquire', () => counter.n++);
  return counter;
}

describe('ReadBatch (no database)', () => {
  test('reads made in one loop iteration go as one statement each kind; a failed statement fails each of its reads, the next go on', async () => {
    const sent: string[] = [];
    let fail = true;
    const q = (async (text: string, values?: unknown[]) => {
      sent.push(text.includes('index_entries') ? 'lookups' : 'gets');
      if (fail) throw new Error('injected: the statement failed');
      // Answers the first key of the gets (ordinal 1) and nothing for lookups.
      return text.includes('index_entries') ? [] : [{ o: '1', data: { echo: (values![2] as string[])[0] }, v: '7' }];
    }) as unknown as Query;
    const batch = new ReadBatch(q, 'records', 'index_entries');
    const first = await Promise.allSettled([batch.get([['c', 'p', 'a']]), batch.get([['c', 'p', 'b'], ['c', 'p', 'c']]), batch.lookup('c', 'n', 'v')]);
    assert.deepEqual(sent, ['gets', 'lookups']);
    for (const r of first) assert.match(String((r as PromiseRejectedResult).reason), /injected/);
    fail = false;
    const [one, two, rows] = await Promise.all([batch.get([['c', 'p', 'a']]), batch.get([['c', 'p', 'b'], ['c', 'p', 'c']]), batch.lookup('c', 'n', 'v')]);
    assert.deepEqual(sent, ['gets', 'lookups', 'gets', 'lookups']);
    assert.deepEqual(one, [{ data: { echo: 'a' }, v: '7' }]);
    assert.deepEqual(two, [undefined, undefined], 'each caller gets only its own keys');
    assert.deepEqual(rows, []);
  });
});

describe('PostgreSQL reads sent together', { skip: db.skip }, () => {
  test('concurrent gets, getMany and lookups each get their own answer, in fewer statements', async (t) => {
    const store = await open(fresh('batch'));
    t.after(() => store.close());
    await store.transact((tx) => {
      for (let n = 0; n < 40; n++) tx.put('batchItems', n % 2 ? 'odd' : 'even', `i${n}`, { id: `i${n}`, n, tag: `t${n % 5}`, note: `note ${n}` });
    });
    const statements = countStatements(store);
    const [gets, many, looked, cut] = await Promise.all([
      Promise.all(Array.from({ length: 40 }, (_, n) => store.get('batchItems', n % 2 ? 'odd' : 'even', `i${n}`))),
      store.getMany('batchItems', 'even', ['i4', 'missing', 'i0', 'i4']),
      Promise.all(['t0', 't3', 'none'].map((tag) => store.lookup('batchItems', 'batch.tag', `even\u0000${tag}`))),
      store.lookupFields('batchItems', 'batch.tag', `odd\u0000t1`, ['n']),
    ]);
    assert.deepEqual(gets.map((r) => r?.n), Array.from({ length: 40 }, (_, n) => n));
    assert.deepEqual(many.map((r) => r?.n), [4, undefined, 0, 4]);
    // Each lookup in insertion order, only its own records.
    assert.deepEqual(looked.map((rows) => rows.map((r) => r.n)), [[0, 10, 20, 30], [8, 18, 28, 38], []]);
    assert.deepEqual(cut, [{ n: 1 }, { n: 11 }, { n: 21 }, { n: 31 }]);
    // 40 gets, a getMany and four lookups: sent as a handful of statements, not 45.
    assert.ok(statements.n <= 4, `${statements.n} statements`);
  });

  test('a record found by many lookups of one batch is sent once per cut; every lookup gets it, whole or cut', async (t) => {
    const schema = fresh('shared');
    const store = await open(schema);
    t.after(() => store.close());
    await store.transact((tx) => {
      for (let n = 0; n < 4; n++) tx.put('batchItems', 'p', `i${n}`, { id: `i${n}`, n, tag: n < 3 ? 'team' : 'other', note: 'x'.repeat(5_000) });
    });
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    t.after(() => pool.end());
    let rows: Array<{ first: boolean; data: unknown }> = [];
    const q = (async (text: string, values?: unknown[]) => {
      const result = (await pool.query(text, values)).rows;
      if (text.includes('index_entries')) rows = result;
      return result;
    }) as unknown as Query;
    const batch = new ReadBatch(q, `"${schema}".records`, `"${schema}".index_entries`);
    const whole = Array.from({ length: 20 }, () => batch.lookup('batchItems', 'batch.tag', encodeKey('p\u0000team')));
    const cut = Array.from({ length: 20 }, () => batch.lookup('batchItems', 'batch.tag', encodeKey('p\u0000team'), ['n', 'tag']));
    const other = batch.lookup('batchItems', 'batch.tag', encodeKey('p\u0000other'), ['n']);
    const [wholes, cuts, others] = await Promise.all([Promise.all(whole), Promise.all(cut), other]);
    for (const found of wholes) assert.deepEqual(found.map((r) => [r.id, (r.data as { n: number; note: string }).n, (r.data as { note: string }).note.length]), [['i0', 0, 5_000], ['i1', 1, 5_000], ['i2', 2, 5_000]]);
    for (const found of cuts) assert.deepEqual(found.map((r) => r.data), [{ n: 0, tag: 'team' }, { n: 1, tag: 'team' }, { n: 2, tag: 'team' }]);
    assert.deepEqual(others.map((r) => r.data), [{ n: 3 }]);
    assert.equal(rows.length, 20 * 3 + 20 * 3 + 1, 'a row per lookup and record found');
    // Three records whole, the same three cut, and the other one cut: 7 rows carry data.
    assert.equal(rows.filter((r) => r.data !== null).length, 7);
    assert.equal(rows.filter((r) => r.first).length, 7);
  });

  test('a batch that meets a record holding a NUL or a lone surrogate goes again whole, cut here; a batch without one is one statement', async (t) => {
    const schema = fresh('escapes');
    const store = await open(schema);
    t.after(() => store.close());
    await store.transact((tx) => {
      tx.put('batchItems', 'p', 'nul', { id: 'nul', n: 1, tag: 'odd', note: 'NUL \u0000' });
      tx.put('batchItems', 'p', 'lone', { id: 'lone', n: 2, tag: 'odd', note: '\ud800' });
      tx.put('batchItems', 'p', 'plain', { id: 'plain', n: 3, tag: 'plain', note: 'plain' });
    });
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    t.after(() => pool.end());
    const sent: Array<Array<string | null>> = [];
    const q = (async (text: string, values?: unknown[]) => {
      sent.push(values![3] as Array<string | null>);
      return (await pool.query(text, values)).rows;
    }) as unknown as Query;
    const batch = new ReadBatch(q, `"${schema}".records`, `"${schema}".index_entries`);
    const [cut, asked, whole, plain] = await Promise.all([
      batch.lookup('batchItems', 'batch.tag', encodeKey('p\u0000odd'), ['n']),
      batch.lookup('batchItems', 'batch.tag', encodeKey('p\u0000odd'), ['note', 'missing']),
      batch.lookup('batchItems', 'batch.tag', encodeKey('p\u0000odd')),
      batch.lookup('batchItems', 'batch.tag', encodeKey('p\u0000plain'), ['n']),
    ]);
    assert.deepEqual(cut.map((r) => r.data), [{ n: 1 }, { n: 2 }]);
    assert.deepEqual(asked.map((r) => r.data), [{ note: 'NUL \u0000' }, { note: '\ud800' }]);
    assert.deepEqual(whole.map((r) => (r.data as { id: string }).id), ['nul', 'lone']);
    assert.deepEqual(plain.map((r) => r.data), [{ n: 3 }]);
    assert.deepEqual(sent, [['["n"]', '["note","missing"]', null, '["n"]'], [null, null, null, null]], 'refused once, then sent again whole');
    sent.length = 0;
    assert.deepEqual((await batch.lookup('batchItems', 'batch.tag', encodeKey('p\u0000plain'), ['n', 'id'])).map((r) => r.data), [{ id: 'plain', n: 3 }]);
    assert.deepEqual(sent, [['["n","id"]']], 'cut by the database, one statement');
  });

  test('a lookup reads each record it finds by its whole key, whatever the statistics say (generic plan, statistics taken when the table was small)', async (t) => {
    const schema = fresh('plan');
    const store = await open(schema);
    t.after(() => store.close());
    // Statistics gathered while the collection held 3 records (autovacuum's ANALYZE early in a
    // burst), then 2,000 more: the planner believes a collection is a few rows.
    await store.transact((tx) => {
      for (let n = 0; n < 3; n++) tx.put('batchItems', 'early', `e${n}`, { id: `e${n}`, n, tag: 'early' });
    });
    await write(schema, 'ANALYZE records; ANALYZE index_entries');
    await store.transact((tx) => {
      for (let n = 0; n < 2_000; n++) tx.put('batchItems', `p${n % 3}`, `i${n}`, { id: `i${n}`, n, tag: n % 2 ? 'odd' : 'even' });
    });
    let lookup = '';
    const q = (async (text: string) => {
      if (text.includes('index_entries')) lookup = text;
      return [];
    }) as unknown as Query;
    await new ReadBatch(q, `"${schema}".records`, `"${schema}".index_entries`).lookup('batchItems', 'batch.tag', encodeKey('p1\u0000odd'));
    // The store's session settings (postgres-store.ts) and a generic plan, as the pool runs it.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    t.after(() => client.end());
    await client.query('SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off; SET plan_cache_mode = force_generic_plan');
    await client.query(`PREPARE lookup(text[], text[], text[], text[]) AS ${lookup}`);
    const [{ 'QUERY PLAN': plan }] = (await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE lookup(ARRAY['batch.tag'], ARRAY[${client.escapeLiteral(encodeKey('p1\u0000odd'))}], ARRAY['batchItems'], ARRAY[NULL])`)).rows;
    const nodes: Array<Record<string, any>> = [];
    const walk = (n: Record<string, any>) => { nodes.push(n); for (const c of n.Plans ?? []) walk(c); };
    walk(plan[0].Plan);
    const onRecords = nodes.filter((n) => n['Relation Name'] === 'records' || String(n['Index Name'] ?? '').startsWith('records_'));
    assert.ok(onRecords.length > 0);
    for (const n of onRecords) if (n['Index Cond']) assert.match(n['Index Cond'], /partition = .*id = /s, `${n['Node Type']} on ${n['Index Name']}: ${n['Index Cond']}`);
    const removed = nodes.reduce((sum, n) => sum + (n['Rows Removed by Join Filter'] ?? 0) + (n['Rows Removed by Filter'] ?? 0), 0);
    assert.equal(removed, 0, 'no record read only to be thrown away');
    assert.equal(plan[0].Plan['Actual Rows'], 334, 'n ≡ 1 (mod 6) below 2,000');
  });

  test('a read-only transaction that read two records is checked: a change between its reads runs it again', async (t) => {
    const schema = fresh('readonly');
    const a = await open(schema);
    t.after(() => a.close());
    await a.transact((tx) => {
      tx.put('batchItems', 'p', 'x', { id: 'x', n: 0 });
      tx.put('batchItems', 'p', 'y', { id: 'y', n: 0 });
    });
    let runs = 0;
    // Another replica moves both from 0 to 1 between the two reads of the first run.
    const pair = await a.transact(async (tx) => {
      runs++;
      const x = await tx.get('batchItems', 'p', 'x');
      if (runs === 1) await write(schema, `UPDATE records SET data = json_build_object('id', id, 'n', 1) WHERE collection = 'batchItems'`);
      const y = await tx.get('batchItems', 'p', 'y');
      return [x!.n, y!.n];
    });
    assert.deepEqual(pair, [1, 1], 'never the mixed pair [0, 1]');
    assert.equal(runs, 2);
  });

  test('hasMany sends no data, and a record found absent (or present) that changes before the commit runs the transaction again', async (t) => {
    const schema = fresh('has');
    const a = await open(schema);
    t.after(() => a.close());
    await a.transact((tx) => tx.put('batchItems', 'p', 'x', { id: 'x', n: 0, note: 'y'.repeat(10_000) }));
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    t.after(() => pool.end());
    let rows: Array<{ data: unknown }> = [];
    const q = (async (text: string, values?: unknown[]) => (rows = (await pool.query(text, values)).rows)) as unknown as Query;
    const batch = new ReadBatch(q, `"${schema}".records`, `"${schema}".index_entries`);
    const [has, got] = await Promise.all([batch.get([['batchItems', 'p', 'x'], ['batchItems', 'p', 'none']], false), batch.get([['batchItems', 'p', 'x']])]);
    assert.deepEqual(has.map((r) => r && r.data), [undefined, undefined]);
    assert.ok(has[0]?.v, 'found, with its version');
    assert.equal((got[0]?.data as { note: string }).note.length, 10_000);
    assert.deepEqual(rows.map((r) => r.data === null), [true, false], 'one statement; the existence row carries no data');

    let runs = 0;
    const seen = await a.transact(async (tx) => {
      runs++;
      const found = await tx.hasMany('batchItems', 'p', ['x', 'z']);
      // Another replica deletes x and creates z between the read and the commit.
      if (runs === 1) await write(schema, `DELETE FROM records WHERE id = 'x'; INSERT INTO records (collection, partition, id, data) VALUES ('batchItems', 'p', 'z', '{"id":"z","n":1}')`);
      tx.put('batchItems', 'p', 'w', { id: 'w', n: found.filter(Boolean).length });
      return found;
    });
    assert.equal(runs, 2, 'the change was caught at commit');
    assert.deepEqual(seen, [false, true]);
    assert.equal((await a.get('batchItems', 'p', 'w'))?.n, 1);
  });

  test('hasMany asked twice in a transaction asks the database once; the commit still checks the answer', async (t) => {
    const schema = fresh('has-twice');
    const a = await open(schema);
    t.after(() => a.close());
    await a.transact((tx) => tx.put('batchItems', 'p', 'x', { id: 'x', n: 0 }));
    const statements = countStatements(a);
    let runs = 0;
    const answers = await a.transact(async (tx) => {
      runs++;
      const first = await tx.hasMany('batchItems', 'p', ['x', 'y']);
      if (runs === 1) await write(schema, `DELETE FROM records WHERE id = 'x'`);
      const again = await tx.hasMany('batchItems', 'p', ['y', 'x']);
      assert.deepEqual(again, [first[1], first[0]], 'the first answer, in the order asked');
      tx.put('batchItems', 'p', 'z', { id: 'z', n: 0 });
      return first;
    });
    assert.equal(runs, 2, 'the deletion between the two asks was caught at commit');
    assert.deepEqual(answers, [false, false]);
    // Two runs, each one read and one commit, and a change notification: asked again, it was 7.
    assert.ok(statements.n <= 5, `${statements.n} statements`);
  });

  test('a record read twice in a transaction is read once, and the commit still checks it', async (t) => {
    const schema = fresh('repeat');
    const a = await open(schema);
    t.after(() => a.close());
    await a.transact((tx) => tx.put('batchItems', 'p', 'x', { id: 'x', n: 0 }));
    let runs = 0;
    const statements = countStatements(a);
    const seen = await a.transact(async (tx) => {
      runs++;
      const first = await tx.get('batchItems', 'p', 'x');
      if (runs === 1) await write(schema, `UPDATE records SET data = '{"id":"x","n":5}' WHERE collection = 'batchItems' AND id = 'x'`);
      const again = await tx.get('batchItems', 'p', 'x');
      const [many] = await tx.getMany('batchItems', 'p', ['x']);
      assert.equal(again, first, 'the same version within one run');
      assert.equal(many, first);
      tx.put('batchItems', 'p', 'x', { id: 'x', n: first!.n + 1 });
      return first!.n;
    });
    const used = statements.n;
    assert.equal(runs, 2, 'the change made between the reads was caught at commit');
    assert.equal(seen, 5);
    assert.equal((await a.get('batchItems', 'p', 'x'))?.n, 6);
    // Two runs, each one read and one commit, and at most one change notification: the repeated
    // reads sent nothing (read again, they were 9).
    assert.ok(used <= 5, `${used} statements`);
  });
});
