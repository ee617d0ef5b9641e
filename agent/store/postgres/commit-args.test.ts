import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freshSchemas } from '../../../test/fresh-schemas.ts';
import { postgresForTests } from '../../../test/postgres.ts';
import { collect } from '../store.ts';
import { commitCallsFor, commitParams } from './commit-args.ts';
import { PostgresStore } from './postgres-store.ts';

/**
 * commit-args.ts: a commit's write arrays go as lines when no value holds a line break, as JSON
 * otherwise; either way every value arrives as it was staged.
 */
declare module '../collections.ts' {
  interface Collections {
    lineItems: { id: string; tags: string[]; note?: string };
  }
}

const calls = commitCallsFor('"s"');
/** lock_keys, lock_x, five read-check arrays, then the 24 write arrays (writes.ts). */
const arrays = (write: (n: number) => unknown[]): unknown[][] => [[1], [true], ['record'], ['c'], [''], ['id'], [null], ...Array.from({ length: 24 }, (_, n) => write(n))];

describe('commitParams: which form a commit goes in', () => {
  test('write arrays without line breaks go as lines (booleans as t/f); the locks and read checks as JSON', () => {
    const { text, values } = commitParams(calls, arrays((n) => (n === 7 ? [true, false] : ['a', 'b\\0c'])));
    assert.equal(text, calls.lines);
    assert.deepEqual(values.slice(0, 7), ['[1]', '[true]', '["record"]', '["c"]', '[""]', '["id"]', '[null]']);
    assert.equal(values[7], 'a\nb\\0c');
    assert.equal(values[14], 't\nf');
  });

  test('a key or index value holding a line break, or an array of one empty string, sends every array as JSON', () => {
    for (const odd of [['one\ntwo'], ['']]) {
      const { text, values } = commitParams(calls, arrays((n) => (n === 2 ? odd : ['a'])));
      assert.equal(text, calls.json, JSON.stringify(odd));
      assert.equal(values[9], JSON.stringify(odd));
      assert.equal(values[8], '["a"]');
    }
  });

  test("a record's JSON never decides the form (JSON.stringify escapes line breaks)", () => {
    const json = JSON.stringify({ note: 'line one\nline two' });
    assert.ok(!json.includes('\n'));
    assert.equal(commitParams(calls, arrays((n) => (n === 6 ? [json] : ['a']))).text, calls.lines);
  });
});

const db = await postgresForTests();
const freshSchema = freshSchemas(db);

describe('PostgresStore: odd keys and values commit as staged, in either form', { skip: db.skip }, () => {
  test('line breaks, backslashes, NUL and empty strings in partitions, ids and index values', async (t) => {
    const store = new PostgresStore({ url: db.url, schema: freshSchema('commit-args'), poolSize: 2 });
    store.defineIndex('lineItems', 'line.tags', (r, p) => r.tags.map((tag) => `${p}\u0000${tag}`));
    await store.open();
    t.after(() => store.close());
    const odd = ['', 'one\ntwo', '\n', 'back\\slash', 'nul\u0000here', '\\0', 'plain'];
    // One record alone in each odd partition (a commit of one-value arrays), then many in one commit.
    for (const p of odd) await store.transact((tx) => tx.put('lineItems', p, 'only', { id: 'only', tags: [p] }));
    await store.transact((tx) => {
      for (const id of odd) tx.put('lineItems', 'many', id, { id, tags: [id, 'shared'], note: `note\n${id}` });
    });
    // A plain commit (lines) beside them, and a delete of an odd id.
    await store.transact((tx) => tx.put('lineItems', 'many', 'later', { id: 'later', tags: ['shared'] }));
    await store.transact((tx) => tx.delete('lineItems', 'many', 'one\ntwo'));

    for (const p of odd) {
      assert.deepEqual(await store.get('lineItems', p, 'only'), { id: 'only', tags: [p] }, JSON.stringify(p));
      assert.deepEqual((await store.lookup('lineItems', 'line.tags', `${p}\u0000${p}`)).map((r) => r.id).filter((id) => id === 'only'), ['only'], JSON.stringify(p));
    }
    const many = await collect(store.list('lineItems', 'many'));
    assert.deepEqual(many.map((r) => r.id), [...odd.filter((id) => id !== 'one\ntwo'), 'later']);
    assert.equal(many.find((r) => r.id === '\n')?.note, 'note\n\n');
    assert.deepEqual((await store.lookup('lineItems', 'line.tags', 'many\u0000shared')).map((r) => r.id).sort(), [...odd.filter((id) => id !== 'one\ntwo'), 'later'].sort());
    assert.deepEqual(await store.lookup('lineItems', 'line.tags', 'many\u0000one\ntwo'), []);
  });
});
