import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CutOffStore } from '../store/cut-off-store.test-double.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { configSchema } from '../../config/schema.ts';
import { startCheckSchedules, validateSchedules } from './schedule.ts';
import '../tasks/task-record.ts';
import '../app-state/records.ts';

const log = { info() {}, warn() {}, error() {} };
const hubs = (schedule?: string) => configSchema.parse({
  hubs: [
    { id: 'fresh', connector: 'meta-business', meta: { businessId: '1' } },
    { id: 'known', connector: 'meta-business', meta: { businessId: '2' }, checkForUpdates: schedule ? { schedule } : { onConnect: true } },
  ],
}).hubs;

describe('check for updates schedules', () => {
  test('a hub never imported gets its first import at start; an imported one does not', async () => {
    const store = new MemoryStore();
    await store.transact((tx) => tx.put('appImports', 'known', 'known', { hubId: 'known', id: 'known', complete: true }));
    const schedule = await startCheckSchedules({ store, hubs: hubs(), log });
    await schedule.stop();
    assert.deepEqual((await collect(store.list('tasks', 'fresh'))).map((t) => [t.kind, t.trigger.type]), [['check-for-updates', 'agent']]);
    assert.equal(await store.count('tasks', 'known'), 0);
  });

  test('the cron job queues one task per hub, deduped while it is queued', async () => {
    const store = new MemoryStore();
    const schedule = await startCheckSchedules({ store, hubs: hubs('* * * * * *'), log, firstImports: false });
    assert.deepEqual([...schedule.scheduled], [['known', '* * * * * *']]);
    const deadline = Date.now() + 3500;
    while (Date.now() < deadline && await store.count('tasks', 'known') === 0) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1200)); // at least one more tick: still one task
    await schedule.stop();
    const tasks = await collect(store.list('tasks', 'known'));
    assert.equal(tasks.length, 1);
    assert.deepEqual(tasks[0].trigger, { type: 'schedule', detail: '* * * * * *' });
    assert.equal(await store.count('tasks', 'fresh'), 0);
  });

  test('a bad cron expression is refused at its config path, before anything is scheduled', async () => {
    // The schema refuses it at load (config/load.test.ts); a hub built in code is checked here.
    assert.throws(() => hubs('every monday'), /not a valid cron expression/);
    const built = hubs('0 3 * * *').map((h, i) => (i === 1 ? { ...h, checkForUpdates: { ...h.checkForUpdates, schedule: 'every monday' } } : h));
    assert.deepEqual(validateSchedules(built), ['hubs[1].checkForUpdates.schedule: "every monday" is not a valid cron expression (hub known)']);
    await assert.rejects(startCheckSchedules({ store: new MemoryStore(), hubs: built, log }), /hubs\[1\]\.checkForUpdates\.schedule/);
  });

  test('the server refuses its own TZ when it runs as UTC (a zone alias in another case), and takes the alias as written', async (t) => {
    // Node re-reads the zone when process.env.TZ is set (https://nodejs.org/api/process.html#processenv).
    const had = 'TZ' in process.env;
    const before = process.env.TZ;
    t.after(() => { if (had) process.env.TZ = before; else delete process.env.TZ; });
    process.env.TZ = 'us/eastern';
    assert.equal(new Date('2026-07-01T00:00:00Z').getTimezoneOffset(), 0, 'Node runs us/eastern as UTC');
    assert.deepEqual(validateSchedules(hubs('0 3 * * *')), ['TZ: "us/eastern" is written "US/Eastern" in the tz database; Node takes the name only as written and would run hubs[1].checkForUpdates.schedule in UTC instead']);
    await assert.rejects(startCheckSchedules({ store: new MemoryStore(), hubs: hubs('0 3 * * *'), log }), /"US\/Eastern"/);
    process.env.TZ = 'US/Eastern';
    assert.equal(new Date('2026-07-01T00:00:00Z').getTimezoneOffset(), 240);
    assert.deepEqual(validateSchedules(hubs('0 3 * * *')), []);
  });

  test('a tick the store refused (its outcome unknown) is queued again for its slot, not left to the next slot', async () => {
    const store = new CutOffStore(); // shared: the slot is claimed in the same commit
    store.refuse = true;
    const queued: string[] = [];
    const failed: string[] = [];
    const schedule = await startCheckSchedules({
      store, hubs: hubs('* * * * * *'), firstImports: false, retryMs: 150,
      log: {
        ...log,
        info: (_msg: string, meta?: object) => { queued.push(String((meta as { slot?: string }).slot)); },
        error: (_msg: string, meta?: object) => { const slot = (meta as { slot?: string }).slot; if (slot) { failed.push(slot); store.refuse = false; } },
      },
    });
    const deadline = Date.now() + 3_500;
    while (Date.now() < deadline && !(failed.length > 0 && queued.includes(failed[0]!))) await new Promise((r) => setTimeout(r, 50));
    await schedule.stop();
    assert.ok(failed.length > 0, 'a tick failed');
    assert.ok(queued.includes(failed[0]!), `the failed slot ${failed[0]} queued on retry: ${JSON.stringify(queued)}`);
    assert.equal(await store.count('tasks', 'known'), 1);
  });
});
