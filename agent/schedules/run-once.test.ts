import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../config/schema.ts';
import { postgresForTests, testSchema } from '../../test/postgres.ts';
import { startCheckSchedules } from '../check-for-updates/schedule.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import { collect, type Store } from '../store/store.ts';
import { claimSlot, pruneScheduleRuns, slotOf, startSlotTimer } from './run-once.ts';
import '../tasks/task-record.ts';
import '../app-state/records.ts';

/** Schedules fire on every replica; each slot's work is done once (run-once.ts). */
class SharedMemoryStore extends MemoryStore {
  readonly shared = true;
}

const silentLog = { info() {}, warn() {}, error() {} };

/** Claims the slot and, when won, finishes its run at once (a later slot waits while an earlier one runs: slot-claim.ts). */
async function claimed(store: Store, name: string, slot: Date): Promise<boolean> {
  const claim = await claimSlot(store, name, slot);
  await claim?.finish(new Date());
  return Boolean(claim);
}

describe('a slot is claimed once', () => {
  test('the first claim of a slot wins; the same or an older slot is refused; the next slot is free', async () => {
    const store = new SharedMemoryStore();
    const slot = new Date('2025-01-01T10:00:00Z');
    assert.equal(await claimed(store, 'watchdog', slot), true);
    assert.equal(await claimed(store, 'watchdog', slot), false);
    assert.equal(await claimed(store, 'watchdog', new Date('2025-01-01T09:00:00Z')), false, 'a lagging clock never reruns an older slot');
    assert.equal(await claimed(store, 'task-retention', slot), true, 'schedules are independent');
    assert.equal(await claimed(store, 'watchdog', new Date('2025-01-01T11:00:00Z')), true);
    assert.deepEqual((await collect(store.list('scheduleRuns', ''))).map((r) => [r.id, r.slot]), [['watchdog', '2025-01-01T11:00:00.000Z'], ['task-retention', '2025-01-01T10:00:00.000Z']], 'one small record per schedule');
  });

  test('a store only this process uses claims every time and writes nothing (as before)', async () => {
    const store = new MemoryStore();
    const slot = new Date('2025-01-01T10:00:00Z');
    assert.equal(Boolean(await claimSlot(store, 'watchdog', slot)), true);
    assert.equal(Boolean(await claimSlot(store, 'watchdog', slot)), true);
    assert.equal(await store.count('scheduleRuns', ''), 0);
  });

  test('records of schedules not claimed for long are pruned', async () => {
    const store = new SharedMemoryStore();
    await claimSlot(store, 'gone-hub', new Date('2025-01-01T00:00:00Z'), new Date('2025-01-01T00:00:00Z'));
    await claimSlot(store, 'watchdog', new Date('2025-03-01T00:00:00Z'), new Date('2025-03-01T00:00:00Z'));
    assert.equal(await pruneScheduleRuns(store, Date.parse('2025-02-01T00:00:00Z')), 1);
    assert.deepEqual((await collect(store.list('scheduleRuns', ''))).map((r) => r.id), ['watchdog']);
  });

  test('slots start at multiples of the period', () => {
    assert.equal(slotOf(Date.parse('2025-01-01T10:59:59.999Z'), 3_600_000).toISOString(), '2025-01-01T10:00:00.000Z');
    assert.equal(slotOf(Date.parse('2025-01-01T11:00:00.000Z'), 3_600_000).toISOString(), '2025-01-01T11:00:00.000Z');
  });

  test('timers on three replicas run each slot once between them', async (t) => {
    const store = new SharedMemoryStore();
    const runs: string[] = [];
    const timers = ['a', 'b', 'c'].map((replica) => startSlotTimer({ store, name: 'sweep', everyMs: 100, run: () => { runs.push(replica); }, onError: (err) => { throw err; } }));
    t.after(() => timers.forEach((x) => x.stop()));
    await new Promise((r) => setTimeout(r, 560));
    timers.forEach((x) => x.stop());
    assert.ok(runs.length >= 4 && runs.length <= 6, `${runs.length} runs in 5.6 slots`);
  });
});

const hubs = (schedule: string) => configSchema.parse({
  hubs: [{ id: 'known', connector: 'meta-business', meta: { businessId: '2' }, checkForUpdates: { schedule } }],
}).hubs;

/** Starts the same cron schedule on each store (replica), for `ms`; returns the slots each queued. */
async function cronOn(stores: Store[], ms: number): Promise<string[][]> {
  const queued = stores.map(() => [] as string[]);
  const schedules = await Promise.all(stores.map((store, i) => startCheckSchedules({
    store, hubs: hubs('* * * * * *'), firstImports: false,
    log: { ...silentLog, info: (_msg: string, meta?: object) => { queued[i]!.push(String((meta as { slot?: string }).slot)); } },
  })));
  await new Promise((r) => setTimeout(r, ms));
  await Promise.all(schedules.map((s) => s.stop()));
  return queued;
}

describe('check for updates: one check queued per cron slot across replicas', () => {
  test('three replicas on one shared store', async () => {
    const store = new SharedMemoryStore();
    const queued = await cronOn([store, store, store], 3_300);
    const slots = queued.flat();
    assert.ok(slots.length >= 2, `${slots.length} slots queued`);
    assert.equal(new Set(slots).size, slots.length, `each slot queued once: ${JSON.stringify(queued)}`);
    assert.equal(await store.count('tasks', 'known'), 1, 'one check task (deduped while queued, as before)');
  });
});

const db = await postgresForTests();

describe('schedules across replicas on PostgreSQL', { skip: db.skip }, () => {
  const stores: PostgresStore[] = [];
  const { schema, drop } = testSchema(db.url, 'schedules');
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await drop();
  });
  const replica = async () => {
    const store = new PostgresStore({ url: db.url, schema, poolSize: 3 });
    await store.open();
    stores.push(store);
    return store;
  };

  test('replicas claiming the same slots at once: exactly one wins each', async () => {
    const [a, b, c] = [await replica(), await replica(), await replica()];
    const slots = Array.from({ length: 20 }, (_, i) => new Date(Date.UTC(2025, 0, 1, i)));
    const wins: number[] = [];
    for (const slot of slots) {
      const results = await Promise.all([a, b, c].map((s) => claimed(s, 'race', slot)));
      wins.push(results.filter(Boolean).length);
    }
    assert.deepEqual(wins, slots.map(() => 1));
  });

  test('a cron schedule on three replicas queues each slot once', async () => {
    const replicas = [await replica(), await replica(), await replica()];
    const queued = await cronOn(replicas, 3_300);
    const slots = queued.flat();
    assert.ok(slots.length >= 2, `${slots.length} slots queued`);
    assert.equal(new Set(slots).size, slots.length, `each slot queued once: ${JSON.stringify(queued)}`);
  });
});
