// Set before any date is formatted: node-cron and Date read the zone when first asked. node --test
// runs each test file in its own process, so no other file sees it.
process.env.TZ = 'Europe/Berlin';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { CutOffStore } from '../store/cut-off-store.test-double.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { configSchema } from '../../config/schema.ts';
import { startCheckSchedules } from './schedule.ts';
import '../tasks/task-record.ts';
import '../app-state/records.ts';

// Europe/Berlin (https://www.iana.org/time-zones): summer time starts 2026-03-29 at 02:00 CET
// (01:00 UTC), the clock going to 03:00; it ends 2026-10-25 at 03:00 CEST (01:00 UTC), the clock
// going back to 02:00, so 02:30 comes twice (00:30 and 01:30 UTC).
const hubsAt = (schedule: string) => configSchema.parse({
  hubs: [{ id: 'berlin', connector: 'meta-business', meta: { businessId: '1' }, checkForUpdates: { schedule } }],
}).hubs;

/** Starts the schedule at `from`, moves the clock to `to` an hour at a time, and returns the slots it queued. */
async function slotsQueued(t: TestContext, schedule: string, from: string, to: string, store = new MemoryStore()): Promise<string[]> {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse(from) });
  const slots: string[] = [];
  const log = { info: (_m: string, meta?: object) => { const slot = (meta as { slot?: string } | undefined)?.slot; if (slot) slots.push(slot); }, warn() {}, error() {} };
  const schedule_ = await startCheckSchedules({ store, hubs: hubsAt(schedule), log, firstImports: false });
  try {
    for (let now = Date.parse(from); now < Date.parse(to); now += 3_600_000) {
      t.mock.timers.tick(3_600_000);
      for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    await schedule_.stop();
  }
  return slots;
}

test('a daily time the clock skips when summer time starts is run at the jump, once; the days around it as usual', async (t) => {
  assert.equal(new Date('2026-03-29T01:30:00Z').getHours(), 3, 'the process runs in Europe/Berlin');
  const slots = await slotsQueued(t, '30 2 * * *', '2026-03-28T00:00:00Z', '2026-03-30T06:00:00Z');
  // node-cron alone found no 02:30 on the 29th: the 28th and the 30th only, a day without a check.
  assert.deepEqual(slots, ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
});

test('an hourly schedule across the jump gets no extra slot: the hour after comes within the gap', async (t) => {
  const slots = await slotsQueued(t, '30 * * * *', '2026-03-28T23:00:00Z', '2026-03-29T03:00:00Z');
  assert.deepEqual(slots, ['2026-03-28T23:30:00.000Z', '2026-03-29T00:30:00.000Z', '2026-03-29T01:30:00.000Z', '2026-03-29T02:30:00.000Z']);
});

test('a daily time in the hour lived twice when summer time ends runs once', async (t) => {
  const slots = await slotsQueued(t, '30 2 * * *', '2026-10-24T12:00:00Z', '2026-10-26T06:00:00Z');
  assert.deepEqual(slots, ['2026-10-25T01:30:00.000Z', '2026-10-26T01:30:00.000Z']);
});

test('the skipped time is the slot recorded as due, so an agent stopped over the jump queues it at the next start, once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2026-03-28T12:00:00Z') });
  const store = new MemoryStore();
  const quiet = { info() {}, warn() {}, error() {} };
  await (await startCheckSchedules({ store, hubs: hubsAt('30 2 * * *'), log: quiet, firstImports: false })).stop();
  assert.equal((await store.get('checkSchedules', 'berlin', 'berlin'))?.next, '2026-03-29T01:00:00.000Z');
  t.mock.timers.setTime(Date.parse('2026-03-29T07:00:00Z'));
  await (await startCheckSchedules({ store, hubs: hubsAt('30 2 * * *'), log: quiet, firstImports: false })).stop();
  await (await startCheckSchedules({ store, hubs: hubsAt('30 2 * * *'), log: quiet, firstImports: false })).stop();
  const tasks = await collect(store.list('tasks', 'berlin'));
  assert.equal(tasks.length, 1);
  assert.match(tasks[0].trigger.detail ?? '', /2026-03-29T01:00:00\.000Z/);
});

test('replicas sharing a store queue the skipped time once: its slot is the jump, the same on each', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2026-03-29T00:00:00Z') });
  const store = new CutOffStore(); // shared, as PostgreSQL is: each slot is claimed (agent/schedules/run-once.ts)
  const queued: string[] = [];
  const log = { info: (_m: string, meta?: object) => { const slot = (meta as { slot?: string } | undefined)?.slot; if (slot) queued.push(slot); }, warn() {}, error() {} };
  const replicas = [
    await startCheckSchedules({ store, hubs: hubsAt('30 2 * * *'), log, firstImports: false }),
    await startCheckSchedules({ store, hubs: hubsAt('30 2 * * *'), log, firstImports: false }),
  ];
  try {
    t.mock.timers.tick(2 * 3_600_000);
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  } finally {
    for (const r of replicas) await r.stop();
  }
  assert.deepEqual(queued, ['2026-03-29T01:00:00.000Z']);
  assert.equal((await store.get('scheduleRuns', '', 'check-for-updates:berlin'))?.slot, '2026-03-29T01:00:00.000Z');
});

test('an agent started between the two 02:30s when summer time ends (after the first, before the clock goes back) runs that day at the second, once', async (t) => {
  // node-cron's next run from 02:45 CEST (00:45 UTC) is the next day's: it reads the wall clock,
  // already past 02:30, and the day's check was lost (nothing queued on the 25th).
  const slots = await slotsQueued(t, '30 2 * * *', '2026-10-25T00:45:00Z', '2026-10-26T06:00:00Z');
  assert.deepEqual(slots, ['2026-10-25T01:30:00.000Z', '2026-10-26T01:30:00.000Z']);
});

test('an agent stopped over the first 02:30 and restarted before the clock goes back records the second as due: stopped again over it, the next start queues it, once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2026-10-24T12:00:00Z') });
  const store = new MemoryStore();
  const quiet = { info() {}, warn() {}, error() {} };
  await (await startCheckSchedules({ store, hubs: hubsAt('30 2 * * *'), log: quiet, firstImports: false })).stop();
  t.mock.timers.setTime(Date.parse('2026-10-25T00:45:00Z'));
  await (await startCheckSchedules({ store, hubs: hubsAt('30 2 * * *'), log: quiet, firstImports: false })).stop();
  assert.equal((await store.get('checkSchedules', 'berlin', 'berlin'))?.next, '2026-10-25T01:30:00.000Z');
  t.mock.timers.setTime(Date.parse('2026-10-25T03:00:00Z'));
  await (await startCheckSchedules({ store, hubs: hubsAt('30 2 * * *'), log: quiet, firstImports: false })).stop();
  await (await startCheckSchedules({ store, hubs: hubsAt('30 2 * * *'), log: quiet, firstImports: false })).stop();
  const tasks = await collect(store.list('tasks', 'berlin'));
  assert.equal(tasks.length, 1);
  assert.match(tasks[0].trigger.detail ?? '', /2026-10-25T01:30:00\.000Z/);
});

test('replicas sharing a store, one running all night and one started between the two 02:30s, queue the day once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2026-10-24T23:00:00Z') });
  const store = new CutOffStore();
  const queued: string[] = [];
  const log = { info: (_m: string, meta?: object) => { const slot = (meta as { slot?: string } | undefined)?.slot; if (slot) queued.push(slot); }, warn() {}, error() {} };
  const settle = async () => { for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r)); };
  const replicas = [await startCheckSchedules({ store, hubs: hubsAt('30 2 * * *'), log, firstImports: false })];
  try {
    t.mock.timers.tick(105 * 60_000); // 00:45 UTC, 02:45 CEST
    await settle();
    replicas.push(await startCheckSchedules({ store, hubs: hubsAt('30 2 * * *'), log, firstImports: false }));
    // To 02:00 UTC (03:00 CET) in one step: over the repeated hour node-cron is stopped on both
    // replicas and the second 02:30 is queued by their own timers (schedule-repeated-hour.test.ts
    // follows it a second at a time).
    t.mock.timers.tick(75 * 60_000);
    await settle();
    t.mock.timers.tick(3_600_000);
    await settle();
  } finally {
    for (const r of replicas) await r.stop();
  }
  assert.deepEqual(queued, ['2026-10-25T01:30:00.000Z']);
});

test('a schedule with two times in the hour lived twice, running all night, runs each once (at its second occurrence), not the later alone', async (t) => {
  // node-cron reads a repeated local time as its first occurrence (setMilliseconds,
  // https://tc39.es/ecma262/#sec-utc-t): it sees 02:00 and 02:30 CET only at 03:00 CET, as missed
  // ticks, of which only the latest is queued; 02:00 was lost that day.
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2026-10-24T22:00:00Z') });
  const queued: string[] = [];
  const log = { info: (_m: string, meta?: object) => { const slot = (meta as { slot?: string } | undefined)?.slot; if (slot) queued.push(slot); }, warn() {}, error() {} };
  const settle = async () => { for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r)); };
  const running = await startCheckSchedules({ store: new MemoryStore(), hubs: hubsAt('0,30 2 * * *'), log, firstImports: false });
  try {
    t.mock.timers.tick(2 * 3_600_000); // 00:00 UTC, the first 02:00 CEST (node-cron waits for the second)
    await settle();
    // Over the repeated hour in one step: node-cron's clock stands an hour behind in it, and mock
    // timers never advance while it waits (see above).
    t.mock.timers.tick(2 * 3_600_000);
    await settle();
  } finally {
    await running.stop();
  }
  assert.deepEqual(queued, ['2026-10-25T01:00:00.000Z', '2026-10-25T01:30:00.000Z']);
});
