/**
 * The prune of expired revocation marks after a revocation (pruneMarksSoon) runs under a slot's
 * lease (agent/schedules/run-once.ts): renewed every third of the lease while the prune goes on,
 * each renewal reads the clock it is given. Given a clock read once, every renewal wrote the same
 * expiry, so a prune longer than the lease could be taken over and run again by another replica.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { ListRange } from '../../agent/store/store.ts';
import type { CollectionName } from '../../agent/store/collections.ts';
import { claimSlot, SLOT_LEASE_MS, slotOf } from '../../agent/schedules/run-once.ts';
import { pruneMarksSoon } from './session-revocation.ts';

const NAME = 'dashboard-sign-in-marks-sweep';

/** Replicas' store, whose listing of the marks waits until `unblock` (a slow prune). */
class SlowMarksStore extends MemoryStore {
  readonly shared = true;
  started!: () => void;
  readonly listing = new Promise<void>((r) => { this.started = r; });
  unblock!: () => void;
  private readonly gate = new Promise<void>((r) => { this.unblock = r; });
  override list<C extends CollectionName>(collection: C, partition: string, range?: ListRange) {
    const inner = super.list(collection, partition, range);
    if (collection !== 'dashboardSignInMarks') return inner;
    const self = this;
    return (async function* () {
      self.started();
      await self.gate;
      yield* inner;
    })();
  }
}

test('a slow prune of the marks keeps its slot: renewals move the lease forward with the clock', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const store = new SlowMarksStore();
  const T0 = Date.parse('2026-03-02T10:00:00Z');
  let now = T0;
  const pruning = pruneMarksSoon(store, T0, () => now);
  await store.listing;
  const until = async () => Date.parse((await store.get('scheduleRuns', '', NAME))!.lease!.until);
  assert.equal(await until(), T0 + SLOT_LEASE_MS);
  // Two renewals' worth of time passes while the prune still runs.
  for (let i = 1; i <= 2; i++) {
    now = T0 + (i * SLOT_LEASE_MS) / 3;
    t.mock.timers.tick(SLOT_LEASE_MS / 3);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await until(), T0 + (2 * SLOT_LEASE_MS) / 3 + SLOT_LEASE_MS, 'renewed as of the clock now, not the claim');
  // Past the first claim's 30 s, another replica finds the slot still held.
  now = T0 + SLOT_LEASE_MS + 1;
  assert.equal(await claimSlot(store, NAME, slotOf(T0, 10 * 60_000), new Date(now)), undefined, 'not taken over while it runs');
  store.unblock();
  await pruning;
  assert.ok((await store.get('scheduleRuns', '', NAME))!.doneAt, 'done at its end');
});
