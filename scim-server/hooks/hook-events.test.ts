import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { ListRange } from '../../agent/store/store.ts';
import type { CollectionName, RecordOf } from '../../agent/store/collections.ts';
import { HOOK_EVENT_TTL_MS, HookEventLog } from './hook-events.ts';

/** A MemoryStore that says several replicas share it (Store.shared), counting the hook-event listings (a sweep's work). */
class SharedMemoryStore extends MemoryStore {
  readonly shared = true;
  listings = 0;
  override list<C extends CollectionName>(collection: C, partition: string, range?: ListRange): AsyncIterable<Readonly<RecordOf<C>>> {
    if (collection === 'hookEvents') this.listings++;
    return super.list(collection, partition, range);
  }
}

test('with replicas sharing the store, one of them sweeps expired hook events each hour', async () => {
  const store = new SharedMemoryStore();
  let now = Date.parse('2026-01-01T10:00:00Z');
  const replicas = [new HookEventLog(store, () => now), new HookEventLog(store, () => now), new HookEventLog(store, () => now)];
  await replicas[0]!.claim('okta', 'okta', [{ id: 'e1' }, { id: 'e2' }]);
  now += HOOK_EVENT_TTL_MS + 3_600_000;
  store.listings = 0;
  const swept = await Promise.all(replicas.map((r) => r.sweep()));
  assert.deepEqual(swept.sort(), [0, 0, 2]);
  assert.equal(store.listings, 1, 'one replica read the records to sweep; the others skipped the slot');
  assert.equal(await store.count('hookEvents', 'okta'), 0);
});
