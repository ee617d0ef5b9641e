import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CutOffStore } from '../store/cut-off-store.test-double.ts';
import { FleetShares } from './fleet-limits.ts';
import { OutageNote } from './outage-note.ts';

/**
 * The call slots of a hub are recorded by two writes: a reservation (a task wants a slot) and a
 * sync (renewal or give-back). A failing sync is logged once, and "works again" once one lands
 * (outage-note.ts). A reservation that lands is such a write too: when the sync that failed had
 * given every slot back, no sync of the hub follows the outage, and without the reservation
 * saying so the hub's outage stayed open, so the next one was never logged.
 */
test('a second failure to record a hub\'s call slots is logged again after a reservation landed in between', async () => {
  const store = new CutOffStore();
  const lines: string[] = [];
  const log = { warn: (m: string) => void lines.push(`warn ${m}`), info: (m: string) => void lines.push(`info ${m}`) };
  const shares = new FleetShares({
    store, log, outages: new OutageNote(log),
    claimant: { owner: 'replica-a', clock: Date.now, leaseMs: 30_000 },
    limits: { perSecond: Infinity, burst: 1, concurrency: 2 },
    hasDueWork: () => false,
  });
  const failures = () => lines.filter((l) => /^warn .*call slots on hub h1 failed/.test(l)).length;
  const settle = async (what: string, cond: () => boolean) => {
    const end = Date.now() + 5_000;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${lines.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  assert.equal((await shares.take('h1', 1)).retryAt, 0, 'a slot reserved');
  store.refuse = true;
  shares.ended('h1'); // gives its slot back (debounced): refused
  await settle('the first failure', () => failures() === 1);
  store.refuse = false;
  assert.equal((await shares.take('h1', 1)).retryAt, 0, 'reserved again once the store works');
  assert.ok(lines.some((l) => /^info .*call slots on hub h1 works again/.test(l)), lines.join(' | '));
  store.refuse = true;
  shares.ended('h1');
  await settle('the second failure', () => failures() === 2);
});
