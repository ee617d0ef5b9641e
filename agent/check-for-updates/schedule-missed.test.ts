import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CutOffStore } from '../store/cut-off-store.test-double.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { configSchema } from '../../config/schema.ts';
import { startCheckSchedules } from './schedule.ts';
import '../tasks/task-record.ts';
import '../app-state/records.ts';

const hubs = configSchema.parse({
  hubs: [{ id: 'daily', connector: 'meta-business', meta: { businessId: '1' }, checkForUpdates: { schedule: '0 * * * * *' } }],
}).hubs;

test('a tick that fires late (event loop busy, host paused) still queues its check instead of skipping the slot', async (t) => {
  // node-cron skips a tick that fires more than 1 s after its time (missedExecutionTolerance,
  // https://github.com/node-cron/node-cron) and only warns: for a daily schedule the whole day's check was lost.
  const slot = Date.parse('2026-03-02T03:00:00.000Z');
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: slot - 1000 });
  const store = new MemoryStore();
  const logged: string[] = [];
  const log = { info: (m: string) => logged.push(m), warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) };
  const schedule = await startCheckSchedules({ store, hubs, log, firstImports: false });
  try {
    t.mock.timers.setTime(slot + 9000); // the process was busy or paused: the timer runs 10 s late
    t.mock.timers.tick(1000);
    for (let i = 0; i < 20 && await store.count('tasks', 'daily') === 0; i++) await new Promise<void>((r) => setImmediate(r));
    const tasks = await collect(store.list('tasks', 'daily'));
    assert.equal(tasks.length, 1, `one check queued for the late slot (log: ${logged.join(' | ')})`);
    assert.deepEqual(tasks[0].trigger, { type: 'schedule', detail: '0 * * * * *' });
  } finally {
    await schedule.stop();
  }
});

const hourly = configSchema.parse({
  hubs: [{ id: 'hourly', connector: 'meta-business', meta: { businessId: '1' }, checkForUpdates: { schedule: '0 0 * * * *' } }],
}).hubs;
const quiet = { info() {}, warn() {}, error() {} };

test('a slot that passed while the agent was stopped is queued at the next start, once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2026-03-02T02:59:00.000Z') });
  const store = new MemoryStore();
  await (await startCheckSchedules({ store, hubs: hourly, log: quiet, firstImports: false })).stop();
  assert.equal(await store.count('tasks', 'hourly'), 0, 'started before its slot: nothing missed');

  t.mock.timers.setTime(Date.parse('2026-03-02T08:00:30.000Z')); // stopped over 03:00 and later slots
  await (await startCheckSchedules({ store, hubs: hourly, log: quiet, firstImports: false })).stop();
  const tasks = await collect(store.list('tasks', 'hourly'));
  assert.equal(tasks.length, 1);
  assert.equal(tasks[0].trigger.type, 'schedule');
  assert.match(tasks[0].trigger.detail ?? '', /2026-03-02T03:00:00\.000Z/);
  assert.equal((await store.get('checkSchedules', 'hourly', 'hourly'))?.next, '2026-03-02T09:00:00.000Z');
});

test('no catch-up when a check started after the missed slot', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2026-03-02T02:59:00.000Z') });
  const store = new MemoryStore();
  await (await startCheckSchedules({ store, hubs: hourly, log: quiet, firstImports: false })).stop();
  await store.transact((tx) => tx.put('checkRuns', 'hourly', 'asked', {
    hubId: 'hourly', id: 'asked', trigger: { type: 'cli' }, startedAt: '2026-03-02T03:10:00.000Z', finishedAt: '2026-03-02T03:11:00.000Z', durationMs: 60_000, outcome: 'completed', graphCalls: 1,
  }));
  t.mock.timers.setTime(Date.parse('2026-03-02T03:30:00.000Z'));
  await (await startCheckSchedules({ store, hubs: hourly, log: quiet, firstImports: false })).stop();
  assert.equal(await store.count('tasks', 'hourly'), 0);
});

test('a store that refuses the catch-up at start (disk full, database gone) does not stop the start: logged, and the slot is queued at the next start', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2026-03-02T02:59:00.000Z') });
  const store = new MemoryStore();
  await (await startCheckSchedules({ store, hubs: hourly, log: quiet, firstImports: false })).stop();
  t.mock.timers.setTime(Date.parse('2026-03-02T04:00:30.000Z'));
  const transact = store.transact.bind(store);
  store.transact = (() => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))) as typeof store.transact;
  const errors: string[] = [];
  await (await startCheckSchedules({ store, hubs: hourly, log: { ...quiet, error: (m: string) => errors.push(m) }, firstImports: false })).stop();
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /could not look for a slot missed while stopped: ENOSPC/);
  store.transact = transact;
  await (await startCheckSchedules({ store, hubs: hourly, log: quiet, firstImports: false })).stop();
  const tasks = await collect(store.list('tasks', 'hourly'));
  assert.equal(tasks.length, 1, 'queued once the store takes writes again');
  assert.match(tasks[0].trigger.detail ?? '', /2026-03-02T03:00:00\.000Z/);
});

test('replicas sharing a store, started together after an outage over the slot, queue its check once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2026-03-02T02:59:00.000Z') });
  const store = new CutOffStore(); // shared, as PostgreSQL is: the catch-up claims the slot (agent/schedules/run-once.ts)
  await (await startCheckSchedules({ store, hubs: hourly, log: quiet, firstImports: false })).stop();
  t.mock.timers.setTime(Date.parse('2026-03-02T03:20:00.000Z'));
  const caughtUp: string[] = [];
  const log = { ...quiet, info: (m: string) => { if (/passed while the agent was stopped/.test(m)) caughtUp.push(m); } };
  const replicas = await Promise.all([0, 1, 2].map(() => startCheckSchedules({ store, hubs: hourly, log, firstImports: false })));
  for (const r of replicas) await r.stop();
  assert.equal(caughtUp.length, 1, caughtUp.join(' | '));
  assert.equal(await store.count('tasks', 'hourly'), 1);
  assert.equal((await store.get('scheduleRuns', '', 'check-for-updates:hourly'))?.slot, '2026-03-02T03:00:00.000Z');
});

test('a schedule changed at a restart: the old schedule\'s claimed slot does not hold off the new one\'s next slot', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2026-03-02T02:59:30.000Z') });
  const store = new CutOffStore();
  const at = (hub: typeof hourly) => startCheckSchedules({ store, hubs: hub, log: quiet, firstImports: false });
  let schedule = await at(hourly);
  t.mock.timers.tick(60_000); // 03:00 queued under the old schedule
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  await schedule.stop();
  const [first] = await collect(store.list('tasks', 'hourly'));
  assert.ok(first, 'the 03:00 check queued');
  await store.transact(async (tx) => { tx.delete('tasks', 'hourly', first.id); tx.delete('taskKeys', 'hourly', first.idempotencyKey); }); // the check ran
  const halfPast = configSchema.parse({ hubs: [{ ...hourly[0], checkForUpdates: { schedule: '0 30 * * * *' } }] }).hubs;
  schedule = await at(halfPast);
  t.mock.timers.tick(30 * 60_000);
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  await schedule.stop();
  const tasks = await collect(store.list('tasks', 'hourly'));
  assert.deepEqual(tasks.map((x) => x.trigger.detail), ['0 30 * * * *'], 'the new 03:30 slot queued, nothing caught up');
  assert.equal((await store.get('checkSchedules', 'hourly', 'hourly'))?.expression, '0 30 * * * *');
});
