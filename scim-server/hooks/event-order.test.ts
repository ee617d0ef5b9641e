import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect, type Transaction } from '../../agent/store/store.ts';
import { inOrder, MARK_GRACE_MS, pruneOrderMarks, type OrderFamily } from './event-order.ts';
import { HOOK_EVENT_TTL_MS, type HookEventRecord } from './hook-event-record.ts';
import { HookEventLog } from './hook-events.ts';

const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The record of an event of `login`, as the Okta hook stores it. */
function eventRecord(id: string, login: string, published: number, state: HookEventRecord['state'] = 'done', eventType = 'user.lifecycle.suspend'): HookEventRecord {
  return {
    id, source: 'okta', idp: 'okta', receivedAt: iso(published), expiresAt: iso(published + HOOK_EVENT_TTL_MS), published: iso(published), state,
    event: { eventType, person: { userName: login, email: login } },
  };
}
/** Applies the event's ordering check as the agent's transaction does: its mark is written. */
async function applied(store: MemoryStore, record: HookEventRecord, family: OrderFamily = 'suspension') {
  await store.transact((tx) => inOrder(record, family, true).within!(tx));
}
const markedEvents = async (store: MemoryStore) => (await collect(store.list('hookOrderMarks', 'okta'))).map((m) => m.eventId).sort();

test('the hook-events sweep deletes ordering marks older than the week events are acted on, and keeps newer ones', async () => {
  const store = new MemoryStore();
  const now = Date.parse('2026-03-01T12:00:00Z');
  const log = new HookEventLog(store, () => now);
  await applied(store, eventRecord('old', 'old@example.com', now - HOOK_EVENT_TTL_MS - MARK_GRACE_MS - HOUR));
  await applied(store, eventRecord('old-deact', 'old@example.com', now - HOOK_EVENT_TTL_MS - MARK_GRACE_MS - HOUR), 'activation');
  await applied(store, eventRecord('in-week', 'new@example.com', now - HOOK_EVENT_TTL_MS + HOUR));
  // Just past the week, within the grace kept for a receipt in flight: it could still decide.
  await applied(store, eventRecord('in-grace', 'edge@example.com', now - HOOK_EVENT_TTL_MS - MARK_GRACE_MS / 2));
  await log.sweep();
  assert.deepEqual(await markedEvents(store), ['in-grace', 'in-week']);
  log.close();
});

test('a mark is kept while its person has an event received and still to act on, and goes once that is done', async () => {
  const store = new MemoryStore();
  let now = Date.parse('2026-03-01T12:00:00Z');
  const log = new HookEventLog(store, () => now);
  const published = now - HOOK_EVENT_TTL_MS - MARK_GRACE_MS - HOUR;
  await applied(store, eventRecord('unsuspend', 'raj@example.com', published, 'done', 'user.lifecycle.unsuspend'));
  // An earlier suspension of Raj, received within its week and not yet acted on (the agent said
  // "not now"): its record is open, and Raj's mark is what refuses it when it is tried again.
  const pending = { ...eventRecord('suspend', 'raj@example.com', published - 60_000, 'processing'), receivedAt: iso(published + HOOK_EVENT_TTL_MS - HOUR), expiresAt: iso(now + HOUR) };
  await store.transact((tx) => tx.put('hookEvents', 'okta', pending.id, pending));
  await log.sweep(true);
  assert.deepEqual(await markedEvents(store), ['unsuspend'], 'kept: it still decides');
  await assert.rejects(applied(store, pending), /superseded by user\.lifecycle\.unsuspend unsuspend/);
  await log.update('okta', pending.id, { state: 'done' });
  now += HOUR;
  await log.sweep(true);
  assert.deepEqual(await markedEvents(store), []);
  log.close();
});

/** A MemoryStore counting its transactions. */
class CountingStore extends MemoryStore {
  transactions = 0;
  override transact<R>(fn: (tx: Transaction) => R | Promise<R>): Promise<R> {
    this.transactions++;
    return super.transact(fn);
  }
}

test('a backlog of marks is deleted in bounded transactions, not one', async () => {
  const store = new CountingStore();
  const now = Date.parse('2026-03-01T12:00:00Z');
  for (let n = 0; n < 5; n++) await applied(store, eventRecord(`e${n}`, `p${n}@example.com`, now - 2 * HOOK_EVENT_TTL_MS));
  store.transactions = 0;
  assert.equal(await pruneOrderMarks(store, now, 2), 5);
  assert.equal(store.transactions, 3, 'two, two and one');
  assert.deepEqual(await markedEvents(store), []);
});
