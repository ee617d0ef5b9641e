import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { StoreUnavailable } from '../../agent/store/store-unavailable.ts';
import { HookEventLog } from './hook-events.ts';

/**
 * A claim of unknown outcome (PostgreSQL's connection went during its commit) takes back, once
 * their lease lapses, only the records that claim may have written. A delivery's ids that were
 * already stored are not its records: one this process left (a Lifecycle Workflows task resumed,
 * its outcome refused by the store: `leave`, never taken again here) was taken back and acted on
 * again when a duplicate delivery's claim met a lost answer, resuming the task a second time.
 */
test('a duplicate delivery whose claim meets an unknown outcome does not take back a record this process left', async () => {
  let now = Date.parse('2026-12-01T10:00:00.000Z');
  const store = new MemoryStore();
  const quiet = { warn() {} };
  const events = new HookEventLog(store, () => now, quiet as never, 300);
  try {
    assert.deepEqual(await events.claim('entra-lifecycle', 'entra', [{ id: 'result-1' }]), ['result-1']);
    // Worked on here: the task was resumed, and the store refused the write of that outcome.
    const release = events.keep('entra-lifecycle', ['result-1']);
    events.leave('entra-lifecycle', 'result-1');
    release();

    // Lifecycle Workflows delivers the callout again; this claim's commit answer is lost.
    const transact = store.transact.bind(store);
    store.transact = (async (fn: never) => {
      await transact(fn);
      throw new StoreUnavailable('connection lost during commit', 1, true);
    }) as typeof store.transact;
    await assert.rejects(events.claim('entra-lifecycle', 'entra', [{ id: 'result-1' }, { id: 'result-2' }]), (e: StoreUnavailable) => e.outcomeUnknown);
    store.transact = transact;

    now += 1_000; // every lease lapsed
    const acted: string[] = [];
    await events.pickUp('entra-lifecycle', () => true, (records) => acted.push(...records.map((r) => r.id)));
    assert.deepEqual(acted, ['result-2'], 'the record the lost claim wrote is taken back; the one left here is not (it would be resumed twice)');
  } finally {
    events.close();
  }
});
