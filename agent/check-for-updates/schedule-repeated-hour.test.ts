// Set before any date is formatted: node-cron and Date read the zone when first asked. node --test
// runs each test file in its own process, so no other file sees it.
process.env.TZ = 'Europe/Berlin';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CutOffStore } from '../store/cut-off-store.test-double.ts';
import { night, onTime } from './dst-night.test-double.ts';

// Europe/Berlin (https://www.iana.org/time-zones): summer time ends 2026-10-25 at 03:00 CEST
// (01:00 UTC), the clock going back to 02:00, so 02:00-03:00 is lived twice: 00:00-01:00 UTC and
// 01:00-02:00 UTC. node-cron read the second occurrence as the first (dst-gap.ts, repeatedHour):
// at the second 02:30 it armed its timer again with no delay until 03:00 CET, then reported the
// tick as missed, and the check ran half an hour late.

test('a replica running all night queues the daily time lived twice at its second occurrence, on time, with no timer loop', async (t) => {
  const n = night(t, '2026-10-24T23:00:00Z');
  await n.run('30 2 * * *',
    [2 * 3_600_000, 60_000], // to 01:00 UTC: the second 02:00 CET
    [3_600_000, 1_000], // through the repeated hour, a second at a time
    [24 * 3_600_000, 60_000], // and the next night, as usual
  );
  // Before: 1 800 timers armed with no delay (one a millisecond on a real clock), and the slot
  // queued at 02:00 UTC (03:00 CET) as a late tick.
  assert.deepEqual([...n.immediate], []);
  assert.deepEqual(n.queued, onTime('2026-10-25T01:30:00.000Z', '2026-10-26T01:30:00.000Z'));
});

test('an hourly schedule runs both 02:30s (CEST and CET) on time, with no timer loop', async (t) => {
  const n = night(t, '2026-10-24T23:00:00Z');
  await n.run('30 * * * *', [3 * 3_600_000, 1_000], [2 * 3_600_000, 60_000]);
  assert.deepEqual([...n.immediate], []);
  assert.deepEqual(n.queued, onTime(
    '2026-10-24T23:30:00.000Z',
    // 02:30 CEST: a wildcard hour runs at both occurrences, as Vixie cron's "wildcard jobs" do
    // (dst-gap.ts). Before, node-cron's next run from 01:30 CEST was the second 02:30 alone, and an
    // hourly schedule went two hours of real time without a check that night.
    '2026-10-25T00:30:00.000Z',
    '2026-10-25T01:30:00.000Z', // 02:30 CET
    '2026-10-25T02:30:00.000Z',
    '2026-10-25T03:30:00.000Z',
  ));
});

test('replicas sharing a store, one running all night and one started inside the repeated hour, queue the day once, at the second 02:30', async (t) => {
  const n = night(t, '2026-10-24T23:00:00Z');
  const store = new CutOffStore(); // shared, as PostgreSQL is: each slot is claimed (agent/schedules/run-once.ts)
  const replicas = [await n.start(store, '30 2 * * *')];
  try {
    await n.advance(2 * 3_600_000 + 10 * 60_000, 60_000); // 01:10 UTC, the second 02:10
    replicas.push(await n.start(store, '30 2 * * *'));
    await n.advance(3_600_000, 1_000);
  } finally {
    for (const r of replicas) await r.stop();
  }
  assert.deepEqual([...n.immediate], []);
  assert.deepEqual(n.queued, onTime('2026-10-25T01:30:00.000Z'));
  assert.equal((await store.get('scheduleRuns', '', 'check-for-updates:zone'))?.slot, '2026-10-25T01:30:00.000Z');
});

test('a schedule with several times in the repeated hour queues each at its time, and the one as the hour ends', async (t) => {
  const n = night(t, '2026-10-25T00:50:00Z');
  await n.run('*/20 * * * *', [100 * 60_000, 1_000]);
  assert.deepEqual([...n.immediate], []);
  assert.deepEqual(n.queued, onTime(
    '2026-10-25T01:00:00.000Z', // 02:00 CET
    '2026-10-25T01:20:00.000Z',
    '2026-10-25T01:40:00.000Z',
    '2026-10-25T02:00:00.000Z', // 03:00 CET, node-cron started again
    '2026-10-25T02:20:00.000Z',
  ));
});
