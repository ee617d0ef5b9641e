/**
 * test/run.mjs sets HUBWARDEN_FREEZE_RECORDS=1: the memory and lowdb stores then hand out frozen
 * records, so a test reaching code that changes a stored record in place (outside a
 * transaction's `put`) fails at the write instead of the change passing unjournaled.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepFreeze, freezeRecords } from './frozen-records.ts';
import { LowdbStore } from './lowdb-store.ts';
import { MemoryStore } from './memory-store.ts';

declare module './collections.ts' {
  interface Collections {
    frozenTestItems: { id: string; tags: string[]; owner: { name: string } };
  }
}

const item = () => ({ id: 'i1', tags: ['a'], owner: { name: 'kim' } });

test('deepFreeze freezes nested objects and arrays', () => {
  const r = deepFreeze(item());
  assert.ok(Object.isFrozen(r) && Object.isFrozen(r.tags) && Object.isFrozen(r.owner));
});

describe('stored records are frozen in test runs', { skip: freezeRecords ? false : 'HUBWARDEN_FREEZE_RECORDS is not 1 (test/run.mjs sets it)' }, () => {
  test('a record read from the memory store cannot be changed in place, nested parts included', async () => {
    const store = new MemoryStore();
    const put = item();
    await store.transact((tx) => tx.put('frozenTestItems', 'hub', 'i1', put));
    const read = (await store.get('frozenTestItems', 'hub', 'i1')) as ReturnType<typeof item>;
    assert.throws(() => { read.owner.name = 'lee'; }, TypeError);
    assert.throws(() => read.tags.push('b'), TypeError);
    assert.throws(() => { put.id = 'other'; }, TypeError, 'the object handed to put is the stored one once committed');
    assert.deepEqual(await store.get('frozenTestItems', 'hub', 'i1'), item());
  });

  test('records a lowdb store loads from disk are frozen too', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-frozen-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const a = new LowdbStore(join(dir, 'store.json'));
    await a.open();
    await a.transact((tx) => tx.put('frozenTestItems', 'hub', 'i1', item()));
    await a.close();
    const b = new LowdbStore(join(dir, 'store.json'));
    await b.open();
    t.after(() => b.close());
    const read = (await b.get('frozenTestItems', 'hub', 'i1')) as ReturnType<typeof item>;
    assert.throws(() => { read.tags[0] = 'z'; }, TypeError);
  });
});
