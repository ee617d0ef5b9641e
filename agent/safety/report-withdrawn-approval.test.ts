import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HubConfigFile } from '../../config/schema.ts';
import { testHub } from '../grants/grant-fixtures.ts';
import { collect, type Store } from '../store/store.ts';
import { enqueueOperation } from '../tasks/operations/enqueue-operation.ts';
import { openReportOf } from './reports.ts';
import { leaversHub, removalPass } from './test-removal-pass.ts';

/**
 * A deprovision pass with `confirmDeprovisioning` withdraws the phase's pending approval (halted
 * while the setting was off) as any pass that does not halt does (withdraw-approval.ts). Each held
 * person's closing entry must say what became of their removal: on the report only when
 * `addToReport` put it there (or it was an item already), not when it was left off (its removal
 * already queued elsewhere, or the seat gone). And a pass that added nothing with no report open
 * still withdraws it: before, it returned first and the approval stayed pending.
 */
const NOW = new Date('2026-12-08T09:00:00Z');
const at = NOW.toISOString();
const reporting = testHub({ safety: { confirmDeprovisioning: true, settleSeconds: 0, removalThresholdPercent: 20 } });
const braking: HubConfigFile = { ...reporting, safety: { ...reporting.safety, confirmDeprovisioning: false } };

/** Nina and Jane deactivated (seats m-nina, m-jane), Oscar an active owner: the brake holds both removals. */
async function heldApproval() {
  const store = await leaversHub(reporting, ['nina', 'jane'], at);
  assert.equal((await removalPass(store, braking, 'deprovision', 'pass-1', NOW)).status, 'needs-approval');
  const [held] = await collect(store.list('approvals', reporting.id));
  assert.deepEqual(held!.planned.map((o) => o.key).sort(), ['remove:m-jane', 'remove:m-nina']);
  return { store, held: held! };
}

/** Queues the held removal of `row` on its own (as an offboarding does): the report leaves it off. */
async function queueElsewhere(store: Store, planned: Awaited<ReturnType<typeof heldApproval>>['held']['planned'], row: string) {
  const op = planned.find((o) => o.key === `remove:${row}`)!;
  return store.transact((tx) => enqueueOperation(tx, { hub: reporting, op, trigger: { type: 'admin', actor: 'boss@example.com' }, now: NOW }));
}

async function closingOf(store: Store, row: string, approvalId: string) {
  const trail = (await collect(store.list('audit', reporting.id))).filter((e) => e.subject?.memberId === row && e.action === 'remove-member').sort((a, b) => a.seq - b.seq);
  return trail.filter((e) => (e.detail as { approvalId?: string } | undefined)?.approvalId === approvalId).at(-1);
}

describe('a deprovision pass that reports withdraws the held approval truthfully', () => {
  test('a removal the report left off (queued already) is not said to be on the report', async () => {
    const { store, held } = await heldApproval();
    const queued = await queueElsewhere(store, held.planned, 'm-nina');
    const pass = await removalPass(store, reporting, 'deprovision', 'pass-2', new Date(NOW.getTime() + 60_000));
    assert.equal(pass.status, 'completed');
    const report = await openReportOf(store, reporting.id);
    assert.deepEqual(report?.items.map((i) => i.memberId), ['m-jane'], 'only Jane is on the report');
    const approval = (await store.get('approvals', reporting.id, held.id))!;
    assert.equal(approval.status, 'withdrawn');
    assert.match(approval.withdrawnBecause!, new RegExp(`the other 1 on deprovisioning report ${report!.id} and 1 on no report \\(its removal already queued`));
    const jane = await closingOf(store, 'm-jane', held.id);
    assert.match(jane!.why, new RegExp(`on deprovisioning report ${report!.id}`));
    const nina = await closingOf(store, 'm-nina', held.id);
    assert.ok(nina, 'Nina\'s held entry is closed');
    assert.doesNotMatch(nina!.why, /on deprovisioning report/, nina!.why);
    assert.match(nina!.why, new RegExp(`already queued \\(task ${queued.id}\\)`));
    const closing = (await collect(store.list('audit', reporting.id))).find((e) => e.action === 'approval-withdrawn')!;
    assert.deepEqual(closing.detail, { approvalId: held.id, phase: 'deprovision', operations: 2, noLongerPlanned: 0, handledByPass: 1, leftOff: 1 });
  });

  test('a pass that adds nothing with no report open still withdraws the approval', async () => {
    const { store, held } = await heldApproval();
    const nina = await queueElsewhere(store, held.planned, 'm-nina');
    const jane = await queueElsewhere(store, held.planned, 'm-jane');
    const pass = await removalPass(store, reporting, 'deprovision', 'pass-2', new Date(NOW.getTime() + 60_000));
    assert.equal(pass.status, 'completed');
    assert.equal(await openReportOf(store, reporting.id), undefined, 'nothing for an owner to apply');
    const approval = (await store.get('approvals', reporting.id, held.id))!;
    assert.equal(approval.status, 'withdrawn', 'both removals are queued already: nothing left to approve');
    assert.equal((await store.get('tasks', reporting.id, held.taskId))?.status, 'cancelled');
    for (const [row, task] of [['m-nina', nina], ['m-jane', jane]] as const) {
      const entry = await closingOf(store, row, held.id);
      assert.match(entry!.why, new RegExp(`already queued \\(task ${task.id}\\)`), entry!.why);
      assert.doesNotMatch(entry!.why, /on deprovisioning report/);
      assert.equal(entry!.outcome, 'pending', 'its outcome follows under that task');
    }
  });
});
