// Set before any date is formatted: node-cron and Date read the zone when first asked.
process.env.TZ = 'UTC';

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { hubHealth, DEFAULT_HEALTH_POLICY } from './hub-health.ts';
import { slotBetween } from '../check-for-updates/slot-between.ts';
import { configSchema } from '../../config/schema.ts';
import { createMemberService } from '../members/member-service.ts';
import '../app-state/records.ts';

/** A hub whose last check for updates succeeded at `finishedAt`. */
async function checkedAt(finishedAt: string): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.transact((tx) => {
    tx.put('appImports', 'h', 'h', { hubId: 'h', id: 'h', complete: true, completedAt: finishedAt });
    tx.put('checkRuns', 'h', 'r1', { hubId: 'h', id: 'r1', trigger: { type: 'schedule' }, startedAt: finishedAt, finishedAt, durationMs: 1, outcome: 'completed', graphCalls: 3 });
  });
  return store;
}

const stale = async (schedule: string, lastSuccess: string, now: string) =>
  (await hubHealth(await checkedAt(lastSuccess), 'h', new Date(now), DEFAULT_HEALTH_POLICY, schedule)).problems.filter((p) => /last successful check for updates was/.test(p));

// 2026-11-16 and 2026-11-23 are Mondays.
describe('a scheduled hub is stale only when a slot passed with no successful check since', () => {
  test('a weekly schedule that ran on time is not stale between its slots (it was shown degraded from the third day on)', async () => {
    assert.deepEqual(await stale('0 3 * * 1', '2026-11-16T03:10:00Z', '2026-11-19T12:00:00Z'), []);
    assert.deepEqual(await stale('0 3 * * 1', '2026-11-16T03:10:00Z', '2026-11-23T02:59:00Z'), []);
  });

  test('a weekly schedule whose run did not succeed is stale a day after the slot it missed', async () => {
    assert.deepEqual(await stale('0 3 * * 1', '2026-11-16T03:10:00Z', '2026-11-24T02:59:00Z'), [], 'within the day after the slot');
    assert.deepEqual(await stale('0 3 * * 1', '2026-11-16T03:10:00Z', '2026-11-24T03:01:00Z'), ['last successful check for updates was 7 days ago']);
  });

  test('a weekday schedule is not stale over the weekend, and is on Tuesday when Monday\'s run did not succeed', async () => {
    assert.deepEqual(await stale('0 3 * * 1-5', '2026-11-20T03:10:00Z', '2026-11-22T23:00:00Z'), [], 'Friday to Sunday night');
    assert.deepEqual(await stale('0 3 * * 1-5', '2026-11-20T03:10:00Z', '2026-11-23T12:00:00Z'), [], 'Monday, its run maybe still going');
    assert.deepEqual(await stale('0 3 * * 1-5', '2026-11-20T03:10:00Z', '2026-11-24T04:00:00Z'), ['last successful check for updates was 4 days ago']);
  });

  test('daily and hourly schedules: stale after 2 days without a success, as before', async () => {
    assert.deepEqual(await stale('0 3 * * *', '2026-11-20T03:10:00Z', '2026-11-22T03:00:00Z'), []);
    assert.deepEqual(await stale('0 3 * * *', '2026-11-20T03:10:00Z', '2026-11-22T03:20:00Z'), ['last successful check for updates was 2 days ago']);
    assert.deepEqual(await stale('0 * * * *', '2026-11-20T03:10:00Z', '2026-11-22T03:00:00Z'), []);
    assert.deepEqual(await stale('0 * * * *', '2026-11-20T03:10:00Z', '2026-11-22T03:20:00Z'), ['last successful check for updates was 2 days ago']);
  });

  test('the member service (hub health in the API, CLI and dashboard) reads the hub\'s schedule', async () => {
    const file = configSchema.parse({ hubs: [{ id: 'h', connector: 'meta-business', meta: { businessId: '1000' }, checkForUpdates: { schedule: '0 3 * * 1' }, teams: [] }] });
    const store = await checkedAt('2026-11-16T03:10:00Z');
    const service = createMemberService({ config: { file }, store, log: { info() {}, warn() {}, error() {} }, clock: () => new Date('2026-11-19T12:00:00Z') });
    try {
      assert.equal((await service.health('h'))?.status, 'ok');
    } finally {
      service.close();
    }
  });

  test('a hub with no schedule is never stale; a schedule known only as set keeps the 2-day rule', async () => {
    assert.deepEqual((await hubHealth(await checkedAt('2026-11-01T00:00:00Z'), 'h', new Date('2026-11-23T00:00:00Z'))).problems, []);
    const health = await hubHealth(await checkedAt('2026-11-16T03:10:00Z'), 'h', new Date('2026-11-19T12:00:00Z'), DEFAULT_HEALTH_POLICY, true);
    assert.deepEqual(health.problems, ['last successful check for updates was 3 days ago']);
  });
});

describe('slotBetween', () => {
  const ms = (iso: string) => Date.parse(iso);
  test('finds the latest slot at or before the end, and compares it with the start', () => {
    assert.equal(slotBetween('0 3 * * 1', ms('2026-11-16T03:10:00Z'), ms('2026-11-23T03:00:00Z')), true, 'the end itself is a slot');
    assert.equal(slotBetween('0 3 * * 1', ms('2026-11-16T03:10:00Z'), ms('2026-11-23T02:59:59Z')), false);
    assert.equal(slotBetween('0 3 * * 1', ms('2026-11-16T03:00:00Z'), ms('2026-11-16T03:00:00Z')), false, 'an empty span');
    assert.equal(slotBetween('30 0 3 * * *', ms('2026-11-20T03:00:10Z'), ms('2026-11-20T03:00:40Z')), true, 'six fields, seconds first');
    assert.equal(slotBetween('30 0 3 * * *', ms('2026-11-20T03:00:31Z'), ms('2026-11-21T03:00:29Z')), false);
    assert.equal(slotBetween('0 3 L * *', ms('2026-11-01T00:00:00Z'), ms('2026-11-29T00:00:00Z')), false, 'the last day of the month');
    assert.equal(slotBetween('0 3 L * *', ms('2026-11-01T00:00:00Z'), ms('2026-11-30T03:00:00Z')), true);
    assert.equal(slotBetween('0 0 29 2 1', ms('2026-01-01T00:00:00Z'), ms('2027-06-01T00:00:00Z')), true, 'no slot found in 400 days: counted as one');
  });
});
