import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { ListRange, Transaction } from '../../agent/store/store.ts';
import { StoreUnavailable } from '../../agent/store/store-unavailable.ts';
import { childLogger } from '../../agent/log/logger.ts';
import type { CollectionName, RecordOf } from '../../agent/store/collections.ts';
import { HookEventLog } from './hook-events.ts';
import { HOOK_EVENT_TTL_MS } from './hook-event-record.ts';

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

/** A store shared by replicas whose commit is refused after the transaction function ran (the database went away meanwhile). */
class RefusingCommitStore extends MemoryStore {
  readonly shared = true;
  refuse = false;
  override transact<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    return super.transact(async (tx) => {
      const result = await fn(tx);
      if (this.refuse) throw new StoreUnavailable('PostgreSQL unreachable: ECONNRESET', 2);
      return result;
    });
  }
}

test('a take of our own lapsed record whose commit is refused leaves the record ours to take again', async () => {
  const store = new RefusingCommitStore();
  let now = Date.parse('2026-01-01T10:00:00Z');
  const events = new HookEventLog(store, () => now, childLogger('hook-events'), 1_000);
  assert.deepEqual(await events.claim('okta', 'okta', [{ id: 'e1' }]), ['e1']);
  // Its work here ended with the record still open (a write of its progress refused).
  events.keep('okta', ['e1'])();
  now += 2_000; // its lease lapsed
  store.refuse = true;
  await assert.rejects(events.take('okta', ['e1']), /unavailable/);
  store.refuse = false;
  const { taken } = await events.take('okta', ['e1']);
  assert.deepEqual(taken.map((r) => r.id), ['e1'], 'taken back once the store takes writes again');
  events.close();
});

test('an Okta event id is kept until its replay is refused as out of window (published ahead of receipt; a sweeping replica ahead)', async () => {
  const { outOfWindow } = await import('./okta-event.ts');
  const store = new MemoryStore();
  const t0 = Date.parse('2026-01-01T10:00:00Z');
  let now = t0;
  const events = new HookEventLog(store, () => now);
  // Published 4 minutes after its receipt (a clock ahead at Okta: within the 5 minutes allowed).
  const ahead = new Date(t0 + 4 * 60_000).toISOString();
  // Published as received; swept later by a replica whose clock is 10 minutes ahead of ours.
  const same = new Date(t0).toISOString();
  await events.claim('okta', 'okta', [{ id: 'ahead', published: ahead }, { id: 'same', published: same }]);
  for (const id of ['ahead', 'same']) await events.update('okta', id, { state: 'done' });
  now = t0 + HOOK_EVENT_TTL_MS + 2 * 60_000;
  await events.sweep(true);
  now -= 10 * 60_000; // receipts on our replica, 10 minutes behind the sweeping one
  const replayAt = new Date(now).toISOString();
  assert.equal(outOfWindow({ published: ahead, receivedAt: replayAt }), undefined, 'the replay is inside the window: only its id stops it');
  assert.equal(outOfWindow({ published: same, receivedAt: replayAt }), undefined);
  assert.deepEqual(await events.claim('okta', 'okta', [{ id: 'ahead', published: ahead }, { id: 'same', published: same }]), [], 'both replays found their ids');
  now = t0 + HOOK_EVENT_TTL_MS + 2 * 3_600_000;
  assert.equal(await events.sweep(true), 2, 'swept once no receipt can be inside the window');
});
