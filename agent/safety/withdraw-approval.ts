import type { HubConfigFile } from '../../config/schema.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import type { Operation, PlanResult } from '../plan/operation.ts';
import type { Transaction } from '../store/store.ts';
import { updateTask } from '../tasks/enqueue.ts';
import { offboardApprovalWithdrawn } from '../dispatch/offboard-brake.ts';
import { subjectOf } from '../tasks/operations/audit-subject.ts';
import { pendingApprovalOf, type ApprovalRecord } from './approvals.ts';
import { keptBecause } from './deferred-removals.ts';
import { classify } from './classify.ts';
import { pendingApprovalsOf } from './held-indexes.ts';
import { ensureRemovalPass, type RemovalPhase } from './schedule-removals.ts';

/**
 * What the pass did with the operations it planned, when it did not halt: queued them, or put them
 * on a deprovisioning report (`reported`: only those on it, added now or items already; `reportId`
 * when a report holds any) and left the others off with why (`leftOff`, reports.ts `addToReport`:
 * queued already under `queuedUnder`, or the seat gone).
 */
export type PassHandling = { queued: readonly Operation[] }
  | { reported: readonly Operation[]; reportId?: string; leftOff?: ReadonlyArray<{ op: Operation; why: string; queuedUnder?: string }> };

/**
 * Closes the hub's pending approval of `phase` once a pass of that phase re-planned the hub and did
 * not halt (staged in the pass's commit, read through its transaction). Its cause went away before
 * anyone decided: an admin fixed the mistyped group and restarted, the people are back in their
 * groups, or the rest fell under the removal threshold. Before, it stayed `pending` for good: the
 * owner was shown a request to remove people no plan removed any more, and each held person's
 * trail ended at "held for approval … pending". Now it is `withdrawn` (`withdrawnBecause`, deciding
 * it is a conflict that runs nothing), audited once `approval-withdrawn`, with its task cancelled
 * and each held person's closing entry: `skipped` when no longer planned, or, when the pass queued
 * or reported it on its own, where it went (its outcome follows there); one a reporting pass left
 * off the report says why (queued already: `pending`, its outcome follows under that task; the
 * seat gone: `skipped`), never that it is on the report. An approval never grows
 * here: a pass that halts again goes through `requestApproval` (a new approval for other
 * operations) instead.
 *
 * An approval planned after this pass began (another replica's pass halted meanwhile) is left to
 * the next pass: this plan may not have seen what made it halt. An owner deciding at the same time
 * reads and writes the same record in their transaction: the store runs one after the other (on
 * PostgreSQL the later commit conflicts and runs again), so a decided approval is never withdrawn
 * and a withdrawn one is never decided.
 */
export async function withdrawUnplanned(tx: Transaction, hub: HubConfigFile, phase: RemovalPhase, plan: PlanResult, handled: PassHandling, origin: { taskId: string; now: Date }): Promise<Readonly<ApprovalRecord> | undefined> {
  const pending = await pendingApprovalOf(tx, hub.id, phase);
  const at = origin.now.toISOString();
  if (!pending || (pending.plannedAt ?? pending.createdAt) > at) return undefined;
  // An approval of no known phase (its task is gone) with a change the plan puts in the other
  // lane is that pass's to judge: it still stands there.
  const elsewhere = new Set(plan.operations.filter((o) => { const lane = classify(o); return lane !== phase && lane !== 'now'; }).map((o) => o.key));
  if (pending.planned.some((o) => elsewhere.has(o.key))) return undefined;
  // A change the plan still wants but holds back (an incomplete listing or one the credential
  // filters, asset holders unread, the last admin, an exemption) is not gone: no evidence the
  // cause went away. Withdrawn on such a pass, the approval's every removal was audited "no longer
  // planned" while the plan held them, and the next complete check asked an owner afresh.
  const heldBack = new Set(plan.held.map((h) => h.operation.key));
  if (pending.planned.some((o) => heldBack.has(o.key))) return undefined;
  const ops = 'queued' in handled ? handled.queued : handled.reported;
  const where = 'queued' in handled ? 'queued on its own (below the removal threshold now)' : `on deprovisioning report ${handled.reportId}`;
  const still = new Set(ops.map((o) => o.key));
  // Still planned but put on no report (its removal queued already, or the seat gone): said so,
  // never "on deprovisioning report …" (no owner will see it there).
  const leftOff = new Map(('queued' in handled ? [] : handled.leftOff ?? []).map((l) => [l.op.key, l] as const));
  const kept = pending.planned.filter((o) => still.has(o.key));
  const left = pending.planned.filter((o) => !still.has(o.key) && leftOff.has(o.key));
  const gone = pending.planned.length - kept.length - left.length;
  const parts = [...(kept.length > 0 ? [`${kept.length} ${where}`] : []), ...(left.length > 0 ? [`${left.length} on no report (its removal already queued, or the seat already gone)`] : [])];
  const because = parts.length === 0
    ? 'no longer planned: the directory or config changed'
    : `${gone} of its ${pending.planned.length} change(s) no longer planned (the directory or config changed); the other ${parts.join(' and ')}`;
  const trigger: Trigger = { type: 'agent', actor: 'system', detail: `apply-removals ${phase} pass re-planned hub ${hub.id}` };
  await withdrawApproval(tx, hub.id, pending, because, { trigger, taskId: origin.taskId, now: origin.now }, `withdrawn by task ${origin.taskId}`,
    { phase, operations: pending.planned.length, noLongerPlanned: gone, handledByPass: kept.length, ...(left.length > 0 ? { leftOff: left.length } : {}) });
  for (const op of pending.planned) {
    const went = still.has(op.key);
    const off = went ? undefined : leftOff.get(op.key);
    const why = went ? `${op.summary}: ${where}, approval ${pending.id} withdrawn (its outcome follows)`
      : off ? `${op.summary}: not put on a deprovisioning report: ${off.why}, approval ${pending.id} withdrawn${off.queuedUnder ? ' (its outcome follows there)' : ''}`
      : `${op.summary}: not done, no longer planned: ${await keptBecause(tx, hub, op, 'the directory or config changed')} (approval ${pending.id} withdrawn)`;
    appendAudit(tx, { hubId: hub.id, trigger, taskId: origin.taskId, action: op.kind, subject: subjectOf(op), at, why,
      outcome: went || off?.queuedUnder ? 'pending' : 'skipped', detail: { approvalId: pending.id, reason: op.reason } });
  }
  return pending;
}

/**
 * Makes sure a pass runs for each pending approval of a lane this whole-hub plan (reconcile-hub)
 * plans nothing in: applyPlan schedules a pass only for a lane with operations, so an approval
 * whose changes all went away (the admin fixed the mistyped group and restarted, the people are
 * back in their groups) was never looked at again. The pass withdraws it (withdrawUnplanned).
 */
export async function passForPendingApprovals(tx: Transaction, hub: HubConfigFile, result: PlanResult, trigger: Trigger, now: Date): Promise<void> {
  const lanes = new Set(result.operations.map(classify));
  const due = new Set<RemovalPhase>();
  for (const a of await pendingApprovalsOf(tx, hub.id)) {
    if (a.offboard) continue;
    const phase = ((await tx.get('tasks', hub.id, a.taskId))?.payload as { phase?: RemovalPhase } | undefined)?.phase ?? 'settle';
    if (!lanes.has(phase)) due.add(phase);
  }
  for (const phase of due) await ensureRemovalPass(tx, hub, phase, trigger, now);
}

/**
 * Withdraws a pending approval nobody decided: the record marked `withdrawn` with `because`, its
 * halted task (if still waiting, and not the caller's own) cancelled, one `approval-withdrawn`
 * audit entry. Shared by a removal pass that re-planned the hub (withdrawUnplanned) and a re-plan
 * of some people that left an approval with nothing to ask (approval-kept.ts). An offboarding's
 * approval names no hub's task: the offboardings waiting on it go on (offboard-brake.ts).
 */
export async function withdrawApproval(tx: Transaction, hubId: string, approval: Readonly<ApprovalRecord>, because: string, origin: { trigger: Trigger; taskId?: string; now: Date }, how: string, detail: Record<string, unknown>): Promise<void> {
  const at = origin.now.toISOString();
  tx.put('approvals', hubId, approval.id, { ...approval, status: 'withdrawn', withdrawnBecause: because, decidedAt: at });
  const task = approval.offboard ? undefined : await tx.get('tasks', hubId, approval.taskId);
  if (approval.offboard) await offboardApprovalWithdrawn(tx, { ...approval, status: 'withdrawn' }, origin.now);
  if (task?.status === 'needs-approval' && task.id !== origin.taskId) {
    await updateTask(tx, task, { status: 'cancelled', completedAt: at, result: { reason: `approval ${approval.id} ${how}: ${because}` } }, origin.now);
  }
  appendAudit(tx, { hubId, trigger: origin.trigger, ...(origin.taskId ? { taskId: origin.taskId } : {}), action: 'approval-withdrawn', subject: { label: `approval ${approval.id}` }, at,
    why: `approval ${approval.id} withdrawn before anyone decided it: ${because}; nothing to approve or reject`, outcome: 'ok',
    detail: { approvalId: approval.id, ...detail } });
}
