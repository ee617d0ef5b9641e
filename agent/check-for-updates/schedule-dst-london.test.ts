// Set before any date is formatted: node-cron and Date read the zone when first asked. node --test
// runs each test file in its own process, so no other file sees it.
process.env.TZ = 'Europe/London';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CutOffStore } from '../store/cut-off-store.test-double.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { night, onTime } from './dst-night.test-double.ts';

// Europe/London (https://www.iana.org/time-zones): summer time ends on the last Sunday of October,
// 2026-10-25, at 02:00 BST (01:00 UTC), the clock going back to 01:00 GMT, so 01:00-02:00 is lived
// twice: 00:00-01:00 UTC (BST) and 01:00-02:00 UTC (GMT). A schedule matching the hour by a
// wildcard runs at both occurrences, one naming it once, at the second (dst-gap.ts: Vixie cron's
// "wildcard jobs", cron(8), "Daylight Saving Time and other time changes").
const at = (hhmm: string, day = '2026-10-25') => `${day}T${hhmm}:00.000Z`;

test('an hourly schedule runs 01:30 BST and 01:30 GMT, an hour of real time apart, each on time', async (t) => {
  assert.equal(new Date(at('00:30')).getHours(), 1, 'the process runs in Europe/London');
  const n = night(t, at('23:00', '2026-10-24'));
  await n.run('30 * * * *', [4 * 3_600_000, 1_000]);
  assert.deepEqual([...n.immediate], []);
  // Before: no 01:30 BST (00:30 UTC): 00:30 BST to 01:30 GMT was two hours of real time unchecked.
  assert.deepEqual(n.queued, onTime(at('23:30', '2026-10-24'), at('00:30'), at('01:30'), at('02:30')));
});

test('a schedule every minute runs each minute of real time once, from before the repeated hour to after it', async (t) => {
  const n = night(t, at('23:50', '2026-10-24'));
  await n.run('* * * * *', [140 * 60_000, 1_000]);
  assert.deepEqual([...n.immediate], []);
  const minutes = Array.from({ length: 140 }, (_, i) => new Date(Date.parse(at('23:51', '2026-10-24')) + i * 60_000).toISOString());
  // Before: 00:00-00:59 UTC (01:00-01:59 BST) never ran.
  assert.deepEqual(n.queued, onTime(...minutes));
});

test('a daily time naming the repeated hour runs once, at its second occurrence (01:30 GMT)', async (t) => {
  const n = night(t, at('12:00', '2026-10-24'));
  await n.run('30 1 * * *', [48 * 3_600_000, 60_000]);
  assert.deepEqual([...n.immediate], []);
  assert.deepEqual(n.queued, onTime(at('01:30'), at('01:30', '2026-10-26')));
});

test('replicas sharing a store, both running all night, queue each occurrence of an hourly time once: the slots are instants', async (t) => {
  const n = night(t, at('23:00', '2026-10-24'));
  const store = new CutOffStore(); // shared, as PostgreSQL is: each slot is claimed (agent/schedules/run-once.ts)
  const replicas = [await n.start(store, '30 * * * *'), await n.start(store, '30 * * * *')];
  try {
    await n.advance(100 * 60_000, 1_000); // 00:40 UTC: after 01:30 BST
    assert.equal((await store.get('scheduleRuns', '', 'check-for-updates:zone'))?.slot, at('00:30'));
    await n.advance(80 * 60_000, 1_000);
  } finally {
    for (const r of replicas) await r.stop();
  }
  assert.deepEqual([...n.immediate], []);
  assert.deepEqual(n.queued, onTime(at('23:30', '2026-10-24'), at('00:30'), at('01:30')));
  assert.equal((await store.get('scheduleRuns', '', 'check-for-updates:zone'))?.slot, at('01:30'));
});

test('an agent stopped between the two 01:30s and over the second queues the second at its start, once', async (t) => {
  const n = night(t, at('00:00'));
  const store = new MemoryStore();
  const first = await n.start(store, '30 * * * *');
  await n.advance(45 * 60_000, 60_000); // 00:45 UTC, 01:45 BST
  await first.stop();
  assert.equal((await store.get('checkSchedules', 'zone', 'zone'))?.next, at('01:30'));
  n.setTime(at('01:40'));
  await (await n.start(store, '30 * * * *')).stop(); // 01:30 GMT caught up
  n.setTime(at('01:50'));
  await (await n.start(store, '30 * * * *')).stop(); // nothing more
  assert.deepEqual(n.queued, [...onTime(at('00:30')), `${at('01:30')} at ${at('01:40')}`]);
});
