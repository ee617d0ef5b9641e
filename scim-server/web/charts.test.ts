/**
 * The charts' numbers: what each mark says and how big it is, from known inputs. The browser
 * test (test/browser/dashboard.test.ts) checks them drawn from a running hubwarden.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentApi, AuditEntry, TaskView } from '../../agent/api.ts';
import { HOUR_MS, HourlyCounts } from '../ops/hourly-counts.ts';
import { inviteFunnel, recentTasks } from './chart-data.ts';
import { STANDING_SERIES } from './chart-sections.ts';
import { durationText, niceCeiling, standingBar } from './charts.ts';

const attr = (svg: string, re: RegExp) => [...svg.matchAll(re)].map((m) => m.slice(1));

test('standing bar: one segment per non-empty standing, widths in proportion, every number in the description', () => {
  const svg = standingBar('s', 'Acme <Ads>', { onboarded: 6, invited: 2, lapsed: 0, unmatched: 1, guest: 0, exempted: 1 }, STANDING_SERIES).text;
  assert.deepEqual(attr(svg, /data-segment="(\w+)" data-value="(\d+)"><rect x="[\d.]+" y="0" width="([\d.]+)"/g), [
    ['onboarded', '6', '384'], ['invited', '2', '128'], ['unmatched', '1', '64'], ['exempted', '1', '64'],
  ]);
  assert.match(svg, /<title id="s-title">Standing of Acme &lt;Ads&gt;: 10 people<\/title>/, 'labels are escaped');
  assert.match(svg, /<desc id="s-desc">6 onboarded, 2 invited, 0 lapsed, 1 unmatched, 0 guest, 1 exempted<\/desc>/);
  assert.match(svg, /role="img" aria-labelledby="s-title s-desc"/);
  assert.doesNotMatch(svg, /style=/, 'no style attribute: the CSP forbids inline styles');
  assert.match(standingBar('e', 'Empty', {}, STANDING_SERIES).text, /No members yet/);
});

test('hourly counts keep 24 clock hours and forget older ones', () => {
  let now = Date.UTC(2026, 11, 1, 10, 30);
  const counts = new HourlyCounts(24, () => now);
  counts.add('calls', 3);
  now += HOUR_MS;
  counts.add('calls');
  counts.add('throttled', 2);
  const recent = counts.recent();
  assert.equal(recent.length, 24);
  assert.deepEqual(recent.slice(-2).map((b) => b.values), [{ calls: 3 }, { calls: 1, throttled: 2 }]);
  assert.equal(recent[23].start, Date.UTC(2026, 11, 1, 11));
  now += 24 * HOUR_MS;
  assert.deepEqual(counts.recent().flatMap((b) => Object.keys(b.values)), [], 'a day later nothing is left');
});

function agentWith(audit: AuditEntry[], tasks: TaskView[]): AgentApi {
  return {
    audit: async (q) => {
      const items = audit.filter((e) => e.hubId === q.hubId && e.action === q.action);
      return { total: items.length, items: items.slice(q.offset ?? 0, (q.offset ?? 0) + (q.limit ?? 100)) };
    },
    tasks: async (q) => {
      const items = tasks.filter((t) => t.status === q.status);
      return { total: items.length, items: items.slice(q.offset ?? 0, (q.offset ?? 0) + (q.limit ?? 100)) };
    },
  } as Partial<AgentApi> as AgentApi;
}

test('invite funnel counts sent (ok invites and re-invites), accepted, and expired invites hubwarden sent', async () => {
  let seq = 0;
  const e = (action: string, outcome: AuditEntry['outcome'], detail?: Record<string, unknown>): AuditEntry => ({ seq: ++seq, at: '2026-11-30T10:00:00Z', hubId: 'h', trigger: { type: 'scim' }, action, why: '', outcome, detail });
  const audit = [
    ...Array.from({ length: 7 }, () => e('invite', 'ok')), e('invite', 'skipped'), e('invite', 'failed'), e('reinvite', 'ok'),
    ...Array.from({ length: 4 }, () => e('invite-accepted', 'ok')),
    e('invite-expired', 'ok', { sentByHubwarden: true }), e('invite-expired', 'ok', { sentByHubwarden: false }),
  ];
  assert.deepEqual(await inviteFunnel(agentWith(audit, []), 'h'), { sent: 8, accepted: 4, expired: 1, capped: false });
});

test('tasks per hour: finished tasks by the hour they finished and their outcome; the latest with durations', async () => {
  const now = Date.UTC(2026, 11, 1, 12, 20);
  const task = (id: string, status: TaskView['status'], finishedMinAgo: number, ranMs: number): TaskView => {
    const done = now - finishedMinAgo * 60_000;
    return { id, kind: 'invite', hubId: 'h', status, trigger: { type: 'scim' }, summary: '', attempts: 1, createdAt: new Date(done - ranMs - 1000).toISOString(), updatedAt: new Date(done).toISOString(), startedAt: new Date(done - ranMs).toISOString(), completedAt: new Date(done).toISOString() };
  };
  const tasks = [task('a', 'completed', 5, 1200), task('b', 'completed', 10, 300), task('c', 'failed', 15, 4000), task('d', 'completed', 70, 90_000), task('old', 'completed', 25 * 60, 10)];
  const recent = await recentTasks(agentWith([], tasks), now);
  assert.equal(recent.perHour.length, 24);
  assert.deepEqual(recent.perHour[23].values, { completed: 2, failed: 1 }, '12:00–13:00');
  assert.deepEqual(recent.perHour[22].values, { completed: 1 }, '11:00–12:00');
  assert.equal(recent.perHour.reduce((n, b) => n + Object.values(b.values).reduce((x, y) => x + y, 0), 0), 4, 'the 25-hour-old task is outside');
  assert.deepEqual(recent.latest.map((t) => t.id), ['a', 'b', 'c', 'd', 'old']);
});

test('durations and axis steps read as people write them', () => {
  assert.deepEqual([850, 12_400, 185_000, 7_800_000].map(durationText), ['850 ms', '12.4 s', '3 min 05 s', '2 h 10 min']);
  assert.deepEqual([1, 3, 7, 12, 480].map(niceCeiling), [1, 5, 10, 20, 500]);
});
