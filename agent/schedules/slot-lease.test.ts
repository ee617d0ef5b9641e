import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresForTests, testSchema } from '../../test/postgres.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import type { Store } from '../store/store.ts';
import { claimSlot, MAX_SLOT_ATTEMPTS, runSlot, SLOT_LEASE_MS, startSlotTimer } from './run-once.ts';

/** A slot's claim is a lease: renewed while its run goes on, done at its end, taken over once lapsed (slot-claim.ts). */
class SharedMemoryStore extends MemoryStore {
  readonly shared = true;
}
/** The lowdb store as replicas would see it (it locks its file in production: one process). */
class SharedLowdbStore extends LowdbStore {
  readonly shared = true;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T0 = Date.parse('2025-01-01T10:00:00Z');
const SLOT = new Date(T0);

const db = await postgresForTests();
const dir = await mkdtemp(join(tmpdir(), 'slot-lease-'));
const opened: Store[] = [];
let pgSchema: { schema: string; drop: () => Promise<void> } | undefined;
after(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await pgSchema?.drop();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
const kinds: Array<{ name: string; skip: string | false; open: () => Promise<Store> }> = [
  { name: 'memory', skip: false, open: async () => new SharedMemoryStore() },
  { name: 'lowdb', skip: false, open: async () => { const s = new SharedLowdbStore(join(dir, `store-${n++}.json`)); await s.open(); opened.push(s); return s; } },
  {
    name: 'postgres', skip: db.skip, open: async () => {
      pgSchema ??= testSchema(db.url, 'slotlease');
      const s = new PostgresStore({ url: db.url, schema: pgSchema.schema, poolSize: 3 });
      await s.open();
      opened.push(s);
      return s;
    },
  },
];

for (const kind of kinds) {
  describe(`slot leases on ${kind.name}`, { skip: kind.skip }, () => {
    test('a claim whose holder never finishes (killed mid-run) is run by another replica once its lease lapses', async () => {
      const store = await kind.open();
      const held = await claimSlot(store, 'watchdog-a', SLOT, new Date(T0));
      assert.ok(held, 'the dead replica claimed the slot');
      const runs: string[] = [];
      const at = (ms: number) => ({ clock: () => T0 + ms });
      assert.equal(await runSlot(store, 'watchdog-a', SLOT, () => { runs.push('early'); }, at(SLOT_LEASE_MS - 1)), false, 'not while the lease runs');
      assert.equal(await runSlot(store, 'watchdog-a', SLOT, () => { runs.push('takeover'); }, at(SLOT_LEASE_MS + 1)), true);
      assert.deepEqual(runs, ['takeover']);
      assert.equal(await held.renew(new Date(T0 + SLOT_LEASE_MS + 2)), false, 'the old holder no longer holds it');
      await held.finish(new Date(T0 + SLOT_LEASE_MS + 3));
      assert.equal(await runSlot(store, 'watchdog-a', SLOT, () => { runs.push('again'); }, at(10 * SLOT_LEASE_MS)), false, 'done: not run again');
      assert.deepEqual(runs, ['takeover']);
    });

    test('replicas claiming a slot at once: exactly one runs it, and a finished slot is not run again', async () => {
      // Three replicas: three connection pools on PostgreSQL, one store object otherwise.
      const stores = kind.name === 'postgres' ? [await kind.open(), await kind.open(), await kind.open()] : await kind.open().then((s) => [s, s, s]);
      for (let i = 0; i < 5; i++) {
        const slot = new Date(T0 + i * 3_600_000);
        const runs: number[] = [];
        const ran = await Promise.all(stores.map((s, r) => runSlot(s, 'race', slot, async () => { runs.push(r); await sleep(20); }, { clock: () => slot.getTime() })));
        assert.equal(runs.length, 1, `slot ${i}: ${JSON.stringify(runs)}`);
        assert.equal(ran.filter(Boolean).length, 1);
        // Long after the run, its lease long over: still done.
        const again = await Promise.all(stores.map((s) => runSlot(s, 'race', slot, () => { runs.push(-1); }, { clock: () => slot.getTime() + 3_000_000 })));
        assert.deepEqual([again.filter(Boolean).length, runs.length], [0, 1]);
      }
    });

    test('a run that failed is tried again once its lease lapses, at most MAX_SLOT_ATTEMPTS times', async () => {
      const store = await kind.open();
      let tries = 0;
      const failing = () => { tries++; throw new Error('store refused'); };
      for (let i = 0; i < MAX_SLOT_ATTEMPTS + 2; i++) {
        await runSlot(store, 'retention', SLOT, failing, { clock: () => T0 + i * (SLOT_LEASE_MS + 1) }).catch(() => {});
      }
      assert.equal(tries, MAX_SLOT_ATTEMPTS);
      assert.equal(await runSlot(store, 'retention', new Date(T0 + 3_600_000), () => {}, { clock: () => T0 + 3_600_000 }), true, 'the next slot runs');
    });
  });
}

describe('slot timers take over a slot left unfinished', () => {
  test('a replica starting in a slot whose holder died runs it after the lease lapses; a live holder is left alone', async (t) => {
    const store = new SharedMemoryStore();
    const everyMs = 3_600_000;
    if ((Date.now() % everyMs) + 2_000 > everyMs) await sleep(2_100); // not across a slot's end
    const current = new Date(Math.floor(Date.now() / everyMs) * everyMs);
    const leaseMs = 150;
    // A live holder: renews while it runs for 600 ms.
    const runs: string[] = [];
    const holder = runSlot(store, 'watchdog', current, async () => { runs.push('holder'); await sleep(600); }, { leaseMs });
    await sleep(20);
    const timer = startSlotTimer({ store, name: 'watchdog', everyMs, run: () => { runs.push('watcher'); }, onError: (err) => { throw err; }, leaseMs });
    t.after(() => timer.stop());
    await holder;
    await sleep(400);
    assert.deepEqual(runs, ['holder'], 'renewed while running, then done: not run twice');
    timer.stop();

    // A holder that dies: claimed, never renewed nor finished.
    const other = new SharedMemoryStore();
    assert.ok(await claimSlot(other, 'watchdog', current, new Date(), leaseMs));
    const taken: string[] = [];
    const watcher = startSlotTimer({ store: other, name: 'watchdog', everyMs, run: () => { taken.push('watcher'); }, onError: (err) => { throw err; }, leaseMs });
    t.after(() => watcher.stop());
    await sleep(60);
    assert.deepEqual(taken, [], 'not before the lease lapses');
    await sleep(400);
    assert.deepEqual(taken, ['watcher'], 'run once the lease lapsed');
  });

  test('a replica that lost the slot at its start runs it when the winner dies mid-run', async (t) => {
    const store = new SharedMemoryStore();
    const everyMs = 1_000;
    const leaseMs = 150;
    // Wait for a slot's start, as both timers fire at it.
    await sleep(everyMs - (Date.now() % everyMs) + 5);
    const slot = new Date(Math.floor(Date.now() / everyMs) * everyMs + everyMs);
    const runs: string[] = [];
    assert.ok(await claimSlot(store, 'sweep', slot, slot, leaseMs)); // the winner, killed after claiming
    const timer = startSlotTimer({ store, name: 'sweep', everyMs, run: () => { runs.push(new Date(Math.floor(Date.now() / everyMs) * everyMs).toISOString()); }, onError: (err) => { throw err; }, leaseMs });
    t.after(() => timer.stop());
    await sleep(slot.getTime() - Date.now() + 60);
    assert.deepEqual(runs, [], 'lost at the slot start: the lease is live');
    await sleep(250);
    timer.stop();
    assert.deepEqual(runs, [slot.toISOString()], 'taken over after the lease lapsed, within the slot');
  });
});
