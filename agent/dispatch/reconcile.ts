import type { HubConfigFile } from '../../config/schema.ts';
import type { PlanResult } from '../plan/operation.ts';
import { planHub, planPerson } from '../plan/plan-hub.ts';
import { classify } from '../safety/classify.ts';
import { scheduleRemovals } from '../safety/schedule-removals.ts';
import type { TaskContext, TaskHandler, TaskOutcome } from '../tasks/handler.ts';
import { enqueueOperation } from '../tasks/operations/enqueue-operation.ts';
import type { TaskRecord } from '../tasks/task-record.ts';

export interface ReconcilePersonPayload {
  directoryUserId?: string;
  /** Emails that identify the person's seats when the directory record is gone (deleted users). */
  emails?: string[];
}

/**
 * Turns a plan into work: grants and upgrades are queued at once (children of this task);
 * downgrades and removals are left to the hub's `apply-removals` tasks, which run after the
 * settle window or gather deprovisioning (agent/safety).
 */
function act(task: TaskRecord, ctx: TaskContext, hub: HubConfigFile, result: PlanResult): TaskOutcome {
  const now = ctx.now();
  const immediate = result.operations.filter((op) => classify(op) === 'now');
  const settle = result.operations.some((op) => classify(op) === 'settle');
  const deprovision = result.operations.some((op) => classify(op) === 'deprovision');
  for (const h of result.held) {
    ctx.audit({ action: h.operation.kind, subject: { email: h.operation.email, directoryUserId: h.operation.directoryUserId }, why: `${h.operation.summary}: held, ${h.why}`, outcome: 'skipped' });
  }
  return {
    status: 'completed',
    result: { queued: immediate.length, settle, deprovision, held: result.held.length },
    commit: (tx) => {
      for (const op of immediate) enqueueOperation(tx, { hub, op, trigger: task.trigger, parentId: task.id, now });
      if (settle) scheduleRemovals(tx, hub, 'settle', task.trigger, now);
      if (deprovision) scheduleRemovals(tx, hub, 'deprovision', task.trigger, now);
    },
  };
}


/** Re-evaluates one person on one hub (SCIM pushes, hooks). */
export const reconcilePersonHandler: TaskHandler = {
  kind: 'reconcile-person',
  local: true,
  async run(task, ctx) {
    const hub = ctx.hub;
    if (!hub) return { status: 'failed', error: { kind: 'invalid-argument', message: `hub ${task.hubId} is not configured` } };
    const p = task.payload as ReconcilePersonPayload;
    const result = planPerson(ctx.store, hub, { directoryUserIds: p.directoryUserId ? [p.directoryUserId] : [], emails: p.emails ?? [] }, { connector: ctx.connector, now: ctx.now() });
    return act(task, ctx, hub, result);
  },
};

/** Re-evaluates the whole hub (after a check for updates, or asked by an admin). */
export const reconcileHubHandler: TaskHandler = {
  kind: 'reconcile-hub',
  local: true,
  async run(task, ctx) {
    const hub = ctx.hub;
    if (!hub) return { status: 'failed', error: { kind: 'invalid-argument', message: `hub ${task.hubId} is not configured` } };
    return act(task, ctx, hub, planHub(ctx.store, hub, { connector: ctx.connector, now: ctx.now() }));
  },
};
