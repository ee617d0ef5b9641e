import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './memory-store.ts';
import { getAcross } from './store.ts';

test('getAcross: records across partitions in the order asked, undefined where absent, one getMany per partition', async () => {
  const store = new MemoryStore();
  await store.transact((tx) => {
    tx.put('heldNotes', 'a', 'k1', { key: 'k1', at: 'a1' });
    tx.put('heldNotes', 'b', 'k1', { key: 'k1', at: 'b1' });
    tx.put('heldNotes', 'a', 'k2', { key: 'k2', at: 'a2' });
  });
  const calls: string[] = [];
  const view = { getMany: ((collection: 'heldNotes', partition: string, ids: readonly string[]) => { calls.push(`${partition}:${ids.join(',')}`); return store.getMany(collection, partition, ids); }) as typeof store.getMany };
  const got = await getAcross(view, 'heldNotes', [{ partition: 'b', id: 'k1' }, { partition: 'a', id: 'k2' }, { partition: 'a', id: 'none' }, { partition: 'a', id: 'k1' }]);
  assert.deepEqual(got.map((r) => r?.at), ['b1', 'a2', undefined, 'a1']);
  assert.deepEqual(calls, ['b:k1', 'a:k2,none,k1']);
  assert.deepEqual(await getAcross(view, 'heldNotes', []), []);
});
