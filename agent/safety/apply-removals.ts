import { subjectOf } from '../tasks/operations/audit-subject.ts';
import { configCause } from '../tasks/operations/config-cause.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { planHub } from '../plan/plan-hub.ts';
import { memberRowOf } from '../plan/operation.ts';
import { auditHeld } from '../dispatch/reconcile.ts';
import type { TaskHandler, TaskOutcome } from '../tasks/handler.ts';
import { enqueueOperation } from '../tasks/operations/enqueue-operation.ts';
import { updateTask } from '../tasks/enqueue.ts';
import { requestApproval } from './approvals.ts';
import { classify } from './classify.ts';
import { ACCESS_REMOVAL_LABEL, judgeRemovalThreshold } from './judge-threshold.ts';
import { addToReport } from './reports.ts';
import { recordAccessRemovals, removedWithin } from './removal-window.ts';
import { closeDeferred } from './deferred-removals.ts';
import { withdrawUnplanned, type PassHandling } from './withdraw-approval.ts';
import { undispatchedChangeUntil, type RemovalPhase } from './schedule-removals.ts';

/**
 * Applies a hub's downgrades and removals once their window has passed. It
 * plans the hub afresh, so anything the directory took back meanwhile (the add half of a group
 * move) is simply not there. Then: removals because of deprovisioning go to the owner's report
 * when `confirmDeprovisioning` is on; a batch removing more than `removalThresholdPercent` of
 * the members, or taking asset grants, a role or a pending invite from more than that share of
 * the hub's people (judge-threshold.ts), halts for approval; the rest is queued. Nothing is removed from an incomplete
 * listing (the plan holds those).
 */
export const applyRemovalsHandler: TaskHandler = {
  kind: 'apply-removals',
  local: true,
  async run(task, ctx) {
    const hub = ctx.hub;
    if (!hub) return { status: 'failed', error: { kind: 'invalid-argument', message: `hub ${task.hubId} is not configured` } };
    const phase = (task.payload as { phase: RemovalPhase }).phase;
    const now = ctx.now();
    // A directory change not yet dispatched has not started its settle window (schedule-removals.ts):
    // the pass waits it out rather than remove on the first half of a move.
    const undispatched = phase === 'settle' ? await undispatchedChangeUntil(ctx.store, hub, now) : undefined;
    if (undispatched) return { status: 'waiting', reason: 'settle: directory changes not yet dispatched', until: undispatched };
    const result = await planHub(ctx.store, hub, { now });
    const ops = result.operations.filter((op) => classify(op) === phase);
    // Held removals are audited as a reconcile audits them: once per operation and reason per day
    // (the notes are shared), not on every pass. A change an operation task deferred to this pass
    // (audited `pending`) that the pass no longer plans gets its closing entry (deferred-removals.ts).
    // A pass that does not halt (`handled`: what it did with its operations) withdraws the phase's
    // pending approval, which no longer stands (withdraw-approval.ts).
    // Staged with the outcome, and only when the commit records this outcome (one that returns
    // another stages nothing: the pass runs again).
    const held = result.held.filter((h) => h.operation.effect === 'removal' || h.operation.effect === 'downgrade');
    const noting = (outcome: TaskOutcome, handled?: PassHandling): TaskOutcome => ({
      ...outcome,
      commit: async (tx) => {
        const instead = await outcome.commit?.(tx);
        if (instead) return instead;
        if (held.length > 0) await auditHeld(tx, hub.id, { trigger: task.trigger, taskId: task.id, now }, held);
        await closeDeferred(tx, hub, phase, result, { trigger: task.trigger, taskId: task.id, now });
        if (handled) await withdrawUnplanned(tx, hub, phase, result, handled, { taskId: task.id, now });
      },
    });
    if (ops.length === 0) return noting({ status: 'completed', result: { phase, operations: 0, held: result.held.length } }, { queued: [] });

    if (phase === 'deprovision' && hub.safety.confirmDeprovisioning) {
      // Counted in the transaction that adds them: the removals on the report (added now, or items
      // there already), and those left off with why (queued already, or the seat gone: reports.ts).
      // Set, not appended to, so a PostgreSQL retry of the commit leaves the same result.
      const counts: { phase: RemovalPhase; reported: number; added?: number; skipped?: Array<{ memberId: string; why: string }> } = { phase, reported: 0 };
      return noting({
        status: 'completed', result: counts,
        commit: async (tx) => {
          const { report, added, onReport, skipped } = await addToReport(tx, hub.id, ops, now);
          Object.assign(counts, { reported: added.length + onReport.length, added: added.length, skipped: skipped.map((s) => ({ memberId: s.row, why: s.why })) });
          if (skipped.length === 0) delete counts.skipped;
          // Every operation of this phase is a seat removal (classify.ts): on the report now, an item
          // there already, or left off. One left off is not audited here: the pass runs again until
          // its removal has run, and its trail already says where it went (`apply-report`, its task).
          for (const row of report ? added : []) {
            const op = report!.operations[row]!;
            appendAudit(tx, { hubId: hub.id, trigger: task.trigger, taskId: task.id, action: 'report', subject: { email: op.email, directoryUserId: op.directoryUserId, memberId: row },
              why: `${op.summary}: waiting for an owner to apply deprovisioning report ${report!.id} (confirmDeprovisioning)`, outcome: 'pending' });
          }
          // Withdrawn on every pass that does not halt, whatever was added (nothing added with no
          // report open too: the approval's removals may be gone or queued elsewhere), naming only
          // the removals that are on the report as reported, and those left off with why.
          const on = new Set([...added, ...onReport]);
          const reported = ops.filter((op) => { const row = memberRowOf(op); return row !== undefined && on.has(row); });
          await withdrawUnplanned(tx, hub, phase, result, { reported, ...(report ? { reportId: report.id } : {}), leftOff: skipped }, { taskId: task.id, now });
        },
      });
    }

    const threshold = await judgeRemovalThreshold(ctx.store, hub, ops, now);
    const { members, removedEarlier: earlier, windowMs } = threshold;
    if (threshold.exceeds) {
      // Names what tripped the brake (seats, asset grants, roles, invites), in the approval and in
      // every held person's trail: an owner approving 40 grant removals knows that is what they are.
      const brake = threshold.tripped.map((k) => ACCESS_REMOVAL_LABEL[k]).join(', ');
      // A batch the hub's rules decided (people in no mapped group, a team's role or grants
      // lowered) names the config revision that last changed them, as each change's entry does
      // once it runs (config-cause.ts): an edit that mapped a mistyped group holds its members
      // here, and the approval, its entry and their trails lead to that edit.
      const causeOf = (op: (typeof ops)[number]) => configCause(op, false, ctx.configRevision);
      const batchCause = ops.map(causeOf).find((c) => c.detail) ?? { note: '' };
      const explanation = `this run would ${threshold.brakeText}, more than removalThresholdPercent ${hub.safety.removalThresholdPercent}% (${brake}): an owner must approve it${batchCause.note}`;
      return noting({
        status: 'needs-approval', result: { phase, explanation },
        commit: async (tx) => {
          const { approval, replacedTaskId, fresh, superseded, dropped } = await requestApproval(tx, { hubId: hub.id, explanation, planned: ops, taskId: task.id, now, phase });
          // The approval replaced gets its closing entry, as an offboarding's does (offboard-brake.ts):
          // its trail ended at `approval-requested` pending, though it can no longer be decided.
          if (superseded) {
            appendAudit(tx, { hubId: hub.id, trigger: task.trigger, taskId: task.id, action: 'approval-superseded', subject: { label: `approval ${superseded.id}` },
              why: `approval ${superseded.id} superseded by approval ${approval.id}: the plan halted again with other operations (${dropped.length} of its ${superseded.planned.length} no longer planned, ${approval.planned.length} held now); read and decide approval ${approval.id}`,
              outcome: 'ok', detail: { approvalId: superseded.id, supersededBy: approval.id, dropped: dropped.length, operations: approval.planned.length } });
          }
          if (replacedTaskId) {
            const old = await tx.get('tasks', hub.id, replacedTaskId);
            if (old?.status === 'needs-approval') await updateTask(tx, old, { status: 'cancelled', completedAt: now.toISOString(), result: { reason: `superseded by task ${task.id}` } }, now);
          }
          // Held for the approval it replaces and no longer planned: their trail ends here, not at "pending".
          for (const op of dropped) {
            appendAudit(tx, { hubId: hub.id, trigger: task.trigger, taskId: task.id, action: op.kind, subject: subjectOf(op),
              why: `${op.summary}: not done, no longer planned (its approval was superseded by approval ${approval.id})`, outcome: 'skipped', detail: { approvalId: approval.id, reason: op.reason } });
          }
          appendAudit(tx, { hubId: hub.id, trigger: task.trigger, taskId: task.id, action: 'approval-requested', subject: { label: `approval ${approval.id}` }, why: explanation, outcome: 'pending',
            detail: { brake: threshold.tripped, removals: threshold.removals, members, people: threshold.people, ...Object.fromEntries(threshold.kinds.map((k) => [k.kind, k.people])), ...batchCause.detail } });
          // Each person whose change the brake holds, in their own trail (as a report's items are):
          // `hubwarden audit --email` shows their removal waiting for approval, not nothing.
          if (fresh) {
            for (const op of ops) {
              const cause = causeOf(op);
              appendAudit(tx, { hubId: hub.id, trigger: task.trigger, taskId: task.id, action: op.kind, subject: subjectOf(op),
                why: `${op.summary}: held for approval ${approval.id} (removalThresholdPercent ${hub.safety.removalThresholdPercent}%: ${brake})${cause.note}`, outcome: 'pending',
                detail: { approvalId: approval.id, reason: op.reason, brake: threshold.tripped, ...cause.detail } });
            }
          }
        },
      });
    }
    return noting({
      status: 'completed', result: { phase, operations: ops.length },
      commit: async (tx) => {
        // The other phase's pass may have let removals through since the window was read above
        // (settle and deprovision passes run side by side): judged without them, a mass
        // deactivation could pass the threshold in two halves. Read in the transaction, so a pass
        // committing meanwhile is seen (or, on PostgreSQL, makes this one run again).
        if (threshold.removals > 0 && (await removedWithin(tx, hub.id, now, windowMs)) !== earlier) {
          return { status: 'waiting', reason: 'removal window changed: judging the threshold again', until: now.toISOString() };
        }
        // Grants, roles and invites likewise, each kind against its own window.
        for (const k of threshold.kinds) {
          if (k.people > 0 && (await removedWithin(tx, hub.id, now, windowMs, k.kind)) !== (threshold.kindsEarlier[k.kind] ?? 0)) {
            return { status: 'waiting', reason: 'removal window changed: judging the threshold again', until: now.toISOString() };
          }
        }
        for (const op of ops) await enqueueOperation(tx, { hub, op, trigger: task.trigger, parentId: task.id, now });
        await recordAccessRemovals(tx, hub.id, ops, now, windowMs);
      },
    }, { queued: ops });
  },
};
