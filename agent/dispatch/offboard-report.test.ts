import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgentApi } from '../agent-api.ts';
import type { AuditInput } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { testHub } from '../grants/grant-fixtures.ts';
import { openReportOf } from '../safety/reports.ts';
import { leaversHub, removalPass } from '../safety/test-removal-pass.ts';
import { collect, type Store } from '../store/store.ts';
import type { TaskContext } from '../tasks/handler.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import { isFinished } from '../tasks/task-record.ts';
import { applyOutcome } from '../tasks/task-transitions.ts';
import { offboardHandler } from './offboard.ts';

/**
 * An Okta event hook's deactivation on a hub with confirmDeprovisioning puts the person's seat
 * removals on the deprovisioning report, and addToReport leaves out a removal already queued (an
 * owner applied its item, the task has not run yet) or a seat already gone (reports.ts). The
 * offboarding wrote "added to the deprovisioning report" in the seat's trail for every planned
 * removal before the report was written, and counted every one in its result: the trail claimed
 * an item no owner would ever see, and the count was too high.
 */
const NOW = new Date('2026-12-08T09:00:00Z');
const at = NOW.toISOString();
const hub = testHub({ safety: { confirmDeprovisioning: true, settleSeconds: 0 } });
const hook: Trigger = { type: 'okta-event-hook', idp: 'okta', detail: 'user.lifecycle.deactivate' };

const seeded = (): Promise<Store> => leaversHub(hub, ['nina', 'jane'], at);

/** Runs the offboarding as the task runner does; what it audits through `ctx.audit` is kept with the stored entries. */
async function offboard(store: Store, email: string, when: Date) {
  const task = await store.transact((tx) => enqueueTask(tx, { hubId: '', kind: 'offboard', payload: { email }, idempotencyKey: `offboard:${email}`, summary: `offboard ${email}`, trigger: hook, now: when }));
  const early: AuditInput[] = [];
  const ctx = { store, now: () => when, audit: (e: AuditInput) => { early.push(e); }, interrupted: false } as unknown as TaskContext;
  const outcome = await offboardHandler(() => new Map([[hub.id, hub]])).run({ ...task, status: 'running', attempts: 1 }, ctx);
  const done = await store.transact((tx) => applyOutcome(tx, { ...task, status: 'running', attempts: 1 }, outcome, when));
  const stored = (await collect(store.list('audit', hub.id))).filter((e) => e.taskId === task.id);
  return { done, trail: (row: string) => [...early, ...stored].filter((e) => e.action === 'offboard' && e.subject?.memberId === row) };
}

test('an offboarding whose seat removal is already queued from an applied report item: audited skipped (naming the task), not counted as reported', async () => {
  const store = await seeded();
  await removalPass(store, hub, 'deprovision', 'pass-1', NOW);
  const report = await openReportOf(store, hub.id);
  assert.deepEqual(report?.items.map((i) => i.memberId).sort(), ['m-jane', 'm-nina']);
  await createAgentApi({ store, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => NOW.getTime() + 1_000 })
    .applyReport(report!.id, ['m-nina'], { type: 'admin', actor: 'boss@example.com' });
  const queued = (await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'remove-member' && !isFinished(t));
  assert.equal(queued.length, 1, 'Nina\'s removal queued, not yet run');

  const later = new Date(NOW.getTime() + 60_000);
  const nina = await offboard(store, 'nina@example.com', later);
  assert.equal(nina.done.status, 'completed');
  const trail = nina.trail('m-nina');
  assert.ok(!trail.some((e) => /(?<!not )added to|item of/.test(e.why ?? '')), `no report item claimed: ${JSON.stringify(trail)}`);
  assert.equal(trail.length, 1, `audited once: ${JSON.stringify(trail)}`);
  assert.equal(trail[0]!.outcome, 'skipped');
  assert.match(trail[0]!.why ?? '', new RegExp(`not added to the deprovisioning report: its removal is already queued \\(task ${queued[0]!.id}\\)`));
  const result = nina.done.result as { reported: Array<{ hubId: string; operations: number; skipped?: Array<{ memberId: string; why: string }> }> };
  assert.equal(result.reported.length, 1);
  assert.equal(result.reported[0]!.operations, 0, 'nothing on the report for her');
  assert.deepEqual(result.reported[0]!.skipped?.map((s) => s.memberId), ['m-nina']);
  assert.equal((await openReportOf(store, hub.id))!.items.filter((i) => i.memberId === 'm-nina' && !i.appliedAt).length, 0, 'no second item for her');

  // Jane's item is still open on the report: on it, said so, and counted.
  const jane = await offboard(store, 'jane@example.com', later);
  const janeTrail = jane.trail('m-jane');
  assert.equal(janeTrail.length, 1, JSON.stringify(janeTrail));
  assert.equal(janeTrail[0]!.outcome, 'pending');
  assert.match(janeTrail[0]!.why ?? '', new RegExp(`already an item of deprovisioning report ${report!.id}`));
  assert.deepEqual((jane.done.result as { reported: unknown }).reported, [{ hubId: hub.id, operations: 1, reportId: report!.id }]);
});

test('an offboarding whose removal goes on the report: added, said with the report, counted', async () => {
  const store = await seeded();
  const nina = await offboard(store, 'nina@example.com', NOW);
  const report = await openReportOf(store, hub.id);
  assert.deepEqual(report?.items.map((i) => i.memberId), ['m-nina']);
  const trail = nina.trail('m-nina');
  assert.equal(trail.length, 1, JSON.stringify(trail));
  assert.equal(trail[0]!.outcome, 'pending');
  assert.match(trail[0]!.why ?? '', new RegExp(`confirmDeprovisioning: added to deprovisioning report ${report!.id}`));
  assert.deepEqual((nina.done.result as { reported: unknown }).reported, [{ hubId: hub.id, operations: 1, reportId: report!.id }]);
});
