import type { HubConfigFile } from '../../config/schema.ts';
import '../check-for-updates/check-run.ts';
import type { PlanResult } from '../plan/operation.ts';
import { planHubHolding } from '../plan/plan-hub.ts';
import { endUnusedDriftHolds } from '../safety/drift-holds.ts';
import { getAcross, type Transaction } from '../store/store.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { classify } from '../safety/classify.ts';
import { scheduleRemovals } from '../safety/schedule-removals.ts';
import { passForPendingApprovals } from '../safety/withdraw-approval.ts';
import { keptByPersonPlans, releaseKept } from '../safety/approval-kept.ts';
import { emailsOfUsers, releaseClaimedSeats } from '../safety/claimed-seats.ts';
import type { TaskContext, TaskHandler, TaskOutcome } from '../tasks/handler.ts';
import { enqueueOperation, operationTaskKey } from '../tasks/operations/enqueue-operation.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { applyOfferChanges, offerChangesOf } from '../offers/sync-offers.ts';
import type { ReconcilePersonPayload } from './replan-person.ts';
import { followRunning, planWithRunning } from '../tasks/operations/running-for-person.ts';

/** When a held operation was last audited (partition = hub id, id = operation key + reason). */
export interface HeldNoteRecord {
  key: string;
  at: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    heldNotes: HeldNoteRecord;
  }
}

export type { ReconcilePersonPayload } from './replan-person.ts';

/** Who asked for the work a plan turns into, and under which task (none when planned at dispatch). */
export interface PlanOrigin {
  trigger: Trigger;
  taskId?: string;
  now: Date;
}

/**
 * Turns a plan into work, staged in the caller's transaction: grants and upgrades are queued at
 * once (children of the planning task, if any); downgrades and removals are left to the hub's
 * `apply-removals` tasks, which run after the settle window or gather deprovisioning (agent/safety).
 * Reads through `tx` (keys of queued tasks, offers, held notes), so it is awaited inside the transaction.
 */
export async function applyPlan(tx: Transaction, hub: HubConfigFile, result: PlanResult, origin: PlanOrigin, offersFor?: readonly string[]): Promise<void> {
  // Offers follow the same re-evaluation (decided from the transaction's view, so a claim
  // committed meanwhile is seen); they never call the app. `offersFor` undefined: the whole hub.
  await applyOfferChanges(tx, await offerChangesOf(tx, hub, offersFor, origin.now), origin);
  for (const op of result.operations) if (classify(op) === 'now') await enqueueOperation(tx, { hub, op, trigger: origin.trigger, parentId: origin.taskId, now: origin.now });
  const { settle, deprovision } = planSummary(result);
  if (settle) await scheduleRemovals(tx, hub, 'settle', origin.trigger, origin.now);
  if (deprovision) await scheduleRemovals(tx, hub, 'deprovision', origin.trigger, origin.now);
  await auditHeld(tx, hub.id, origin, result.held);
}

/**
 * Reads at once the task keys that applying these plans looks up (an operation already queued is
 * not queued again, tasks/enqueue.ts), so that `applyPlan`, called person after person, finds
 * them among the transaction's reads: on PostgreSQL a look-up per person was a round trip each
 * (about 450 ms per 100-person dispatcher transaction in the provision benchmark).
 */
export async function readTaskKeysOf(tx: Transaction, plans: ReadonlyArray<{ hubId: string; result: PlanResult | undefined }>): Promise<void> {
  const keys = plans.flatMap(({ hubId, result }) => (result?.operations ?? []).filter((op) => classify(op) === 'now').map((op) => ({ partition: hubId, id: operationTaskKey(op) })));
  await getAcross(tx, 'taskKeys', keys);
}

/** What a plan comes to: operations queued now, whether removals wait, how many are held. */
function planSummary(result: PlanResult): { queued: number; settle: boolean; deprovision: boolean; held: number } {
  const classes = result.operations.map(classify);
  return { queued: classes.filter((c) => c === 'now').length, settle: classes.includes('settle'), deprovision: classes.includes('deprovision'), held: result.held.length };
}

/** `followed`: a person's plan, with their operation tasks that were running before it (running-for-person.ts). */
function act(task: TaskRecord, ctx: TaskContext, hub: HubConfigFile, result: PlanResult, offersFor?: readonly string[], followed?: { directoryUserId: string; running: ReadonlyArray<Readonly<TaskRecord>> }): TaskOutcome {
  const origin = { trigger: task.trigger, taskId: task.id, now: ctx.now() };
  return {
    status: 'completed', result: planSummary(result),
    commit: async (tx) => {
      await applyPlan(tx, hub, result, origin, offersFor);
      if (followed) await followRunning(tx, { hubId: hub.id, ...followed, trigger: task.trigger, now: origin.now, plannedBy: task.id });
      // A person re-planned: their changes a pending approval holds and the plan no longer wants go now.
      if (followed) await releaseKept(tx, hub, keptByPersonPlans(new Map([[followed.directoryUserId, result]])), origin);
      // A leaver's held removal of a seat now this person's, or (the whole hub re-planned) anyone's (safety/claimed-seats.ts).
      if (followed) await releaseClaimedSeats(tx, hub, origin, { emails: await emailsOfUsers(tx, hub.id, [followed.directoryUserId]) });
      else if (!offersFor) await releaseClaimedSeats(tx, hub, origin);
    },
  };
}

/** How often the same held operation is audited again (scheduled checks re-plan every hour). */
const HELD_AUDIT_EVERY_MS = 24 * 3_600_000;

/**
 * Audits what the plan held back and why (the last admin, an incomplete listing, an invite
 * already re-sent), once per operation and reason per day rather than on every reconcile.
 */
export async function auditHeld(tx: Transaction, hubId: string, origin: PlanOrigin, held: PlanResult['held']): Promise<void> {
  const { now } = origin;
  for (const h of held) {
    const key = `${h.operation.key}|${h.why}`;
    const seen = await tx.get('heldNotes', hubId, key);
    if (seen && now.getTime() - Date.parse(seen.at) < HELD_AUDIT_EVERY_MS) continue;
    tx.put('heldNotes', hubId, key, { key, at: now.toISOString() });
    appendAudit(tx, { hubId, trigger: origin.trigger, ...(origin.taskId ? { taskId: origin.taskId } : {}), action: h.operation.kind, subject: { email: h.operation.email, directoryUserId: h.operation.directoryUserId },
      why: `${h.operation.summary}: held, ${h.why}`, outcome: 'skipped', at: now.toISOString() });
  }
}

/** Re-evaluates one person on one hub (SCIM pushes, hooks). */
export const reconcilePersonHandler: TaskHandler = {
  kind: 'reconcile-person',
  local: true,
  // Pure re-planning plus keyed enqueues in the outcome's transaction: safe to run again after a
  // crash, so no lease commit before it (one fsync less per person in a burst).
  leaseless: true,
  async run(task, ctx) {
    const hub = ctx.hub;
    if (!hub) return { status: 'failed', error: { kind: 'invalid-argument', message: `hub ${task.hubId} is not configured` } };
    const p = task.payload as ReconcilePersonPayload;
    const { result, running } = await planWithRunning(ctx.store, ctx.store, hub, p, ctx.now());
    const followed = p.directoryUserId ? { directoryUserId: p.directoryUserId, running } : undefined;
    return act(task, ctx, hub, result, p.directoryUserId ? [p.directoryUserId] : [], followed);
  },
};

/** Re-evaluates the whole hub (after a check for updates, or asked by an admin). */
export const reconcileHubHandler: TaskHandler = {
  kind: 'reconcile-hub',
  local: true,
  async run(task, ctx) {
    const hub = ctx.hub;
    if (!hub) return { status: 'failed', error: { kind: 'invalid-argument', message: `hub ${task.hubId} is not configured` } };
    const now = ctx.now();
    const { result, holds, used } = await planHubHolding(ctx.store, hub, { now });
    const outcome = act(task, ctx, hub, result);
    // Drift holds no operation of the hub's plan would undo have ended (safety/drift-holds.ts).
    const commit = outcome.commit;
    return { ...outcome, commit: async (tx) => {
      await commit?.(tx);
      // A pending approval no lane of this plan holds any more gets a pass, which withdraws it.
      await passForPendingApprovals(tx, hub, result, task.trigger, now);
      await endUnusedDriftHolds(tx, holds, used, { trigger: task.trigger, taskId: task.id, now: now.toISOString() });
    } };
  },
};
