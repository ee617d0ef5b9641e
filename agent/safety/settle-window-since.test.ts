import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testHub } from '../grants/grant-fixtures.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { scheduleRemovals, settleWindowOpenSince } from './schedule-removals.ts';

/**
 * A downgrade or removal that waited (a rate limit) and wakes while a settle window is open waits
 * that window when the change that opened it came after it was queued. Times have millisecond
 * resolution: a change in the same millisecond as the queuing cannot be ordered, and is taken as
 * after it (waiting once more is the safe side). Read as before it, the removal ran inside the
 * window of a move pushed as remove-then-add (test/agent-e2e/settle-dormant-removal.test.ts failed
 * about one run in ten on a fast machine).
 */
test('the settle window is open since a queuing time when the change that opened it is later or in the same millisecond', async () => {
  const hub = testHub({ safety: { settleSeconds: 3 } });
  const store = new MemoryStore();
  const change = new Date('2026-12-06T10:00:00.436Z');
  await store.transact((tx) => scheduleRemovals(tx, hub, 'settle', { type: 'admin', actor: 'test' }, change));
  const wake = new Date(change.getTime() + 1);
  assert.equal(await settleWindowOpenSince(store, hub, '2026-12-06T10:00:00.435Z', wake), true, 'queued before the change');
  assert.equal(await settleWindowOpenSince(store, hub, change.toISOString(), wake), true, 'queued in the change\'s millisecond');
  assert.equal(await settleWindowOpenSince(store, hub, '2026-12-06T10:00:00.437Z', wake), false, 'queued after the change');
  assert.equal(await settleWindowOpenSince(store, hub, '2026-12-06T10:00:00.435Z', new Date(change.getTime() + 3_000)), false, 'the window has ended');
});
