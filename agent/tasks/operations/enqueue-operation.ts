import { connectorBlock, type HubConfigFile } from '../../../config/schema.ts';
import { definitionOf } from '../../hub-connector.ts';
import type { Trigger } from '../../desired-state/delta.ts';
import type { Operation } from '../../plan/operation.ts';
import type { Transaction } from '../../store/store.ts';
import { enqueueTask } from '../enqueue.ts';
import { isFinished, type TaskRecord } from '../task-record.ts';
import { replanPerson } from '../../dispatch/replan-person.ts';

export interface OperationPayload {
  op: Operation;
  /**
   * Run even if a fresh plan no longer contains it (an owner's explicit removal of an
   * unmatched member). Otherwise the operation is re-checked against the current desired state
   * just before it runs, so a settle window, a report or an approval never acts on stale intent.
   */
  force?: boolean;
  /**
   * A forced removal of a directory user's seat: that user's record `version` when it was queued
   * (0: no such user then). The store increments it on every SCIM write of the record
   * (scim-server/scim/resources/user.ts), so "changed since it was queued" is decided by the
   * store's order (forced-removal.ts `reactivatedSinceQueued`), not by comparing the SCIM
   * replica's clock (`lastModified`) with the queuing replica's (`createdAt`).
   */
  directoryVersion?: number;
}

/** Rate-limit scope of an operation's calls: what shares its budget, in the hub's connector's words (its definition's `rateLimitScope`). */
export function scopeOf(hub: HubConfigFile, op: Operation): string {
  return definitionOf(hub).rateLimitScope(op.kind, connectorBlock(hub));
}

/** The idempotency key of an operation's task: one queued task per operation. */
export const operationTaskKey = (op: Operation): string => `op:${op.key}`;

/**
 * Stages one app change as a task in `tx`; the same operation already queued is not queued twice.
 *
 * A key names the change, not all of it (an invite's names the person, not the role). A queued
 * task re-plans before it calls and does what the plan then asks for under its key
 * (operation-handler.ts). A running one may be past that point: if it was queued for a different
 * operation, the person is re-planned once it ends, in the transaction that records what it did.
 * Without that, a person moved to admins while their invite was being sent kept the first role
 * until the next check for updates.
 */
export async function enqueueOperation(tx: Transaction, input: { hub: HubConfigFile; op: Operation; trigger: Trigger; parentId?: string; force?: boolean; now?: Date }): Promise<TaskRecord> {
  const payload: OperationPayload = { op: input.op, ...(input.force ? { force: true } : {}) };
  if (input.force && input.op.effect === 'removal' && input.op.directoryUserId) {
    // Read through `tx`: the version the queuing transaction saw, so a reactivation committed
    // after it has a higher one whichever replica wrote it.
    payload.directoryVersion = (await tx.get('directoryUsers', input.hub.id, input.op.directoryUserId))?.version ?? 0;
  }
  const queued = await enqueueTask(tx, {
    hubId: input.hub.id, kind: input.op.kind, payload, idempotencyKey: operationTaskKey(input.op), trigger: input.trigger,
    summary: input.op.summary, scope: scopeOf(input.hub, input.op), parentId: input.parentId, now: input.now,
  });
  const task = input.force ? forcedFrom(tx, queued, payload, input.trigger, input.now) : queued;
  const waited = waitedForBy(tx, task, input.parentId);
  if (task.status !== 'running' || task.followUp || JSON.stringify((task.payload as OperationPayload).op) === JSON.stringify(input.op)) return waited;
  const { op } = input;
  if (!op.directoryUserId && !op.email) return waited;
  const followUp = replanPerson({ directoryUserId: op.directoryUserId, emails: op.email ? [op.email] : [] }, input.trigger,
    `re-evaluate ${op.email || op.directoryUserId}: the directory changed while "${task.summary}" ran`);
  const marked: TaskRecord = { ...waited, followUp };
  tx.put('tasks', task.hubId, task.id, marked);
  return marked;
}

/**
 * A forced removal (an owner's, an offboarding's) whose key an unforced task holds, not started
 * (the plan's own removal of the row, waiting on a rate limit or a paused hub): that task becomes
 * the forced one, with its operation and the version it read. Reused as it was, it re-planned
 * before its call, which a decision must not (docs/architecture.md): an offboarding's removal met
 * a settle-lane removal of the same seat, was handed to the deprovisioning lane (a report, with
 * confirmDeprovisioning) and ended "superseded", so the offboarding completed and the leaver
 * workflow heard "offboarded" with the seat still there. A running one is past its re-plan's
 * look; whatever it does is awaited as it is.
 */
function forcedFrom(tx: Transaction, task: TaskRecord, payload: OperationPayload, trigger: Trigger, now: Date | undefined): TaskRecord {
  const was = task.payload as OperationPayload;
  if (was.force || (task.status !== 'queued' && task.status !== 'waiting')) return task;
  // The decision is now the forcing request's: the removal's audit entry names its actor and reason.
  const marked: TaskRecord = { ...task, payload, trigger, summary: payload.op.summary, updatedAt: (now ?? new Date()).toISOString() };
  tx.put('tasks', task.hubId, task.id, marked);
  return marked;
}

/**
 * The operation was already queued (or running) for another parent: `parentId` waits for it too
 * (TaskRecord.waiters). Without it, an offboarding whose removal was already queued (waiting on a
 * rate limit, or from an applied report) had no child of its own and completed at once, and the
 * leaver workflow heard "completed" while the seat was still there.
 */
function waitedForBy(tx: Transaction, task: TaskRecord, parentId: string | undefined): TaskRecord {
  if (!parentId || task.parentId === parentId || task.waiters?.includes(parentId) || isFinished(task)) return task;
  const marked: TaskRecord = { ...task, waiters: [...(task.waiters ?? []), parentId] };
  tx.put('tasks', task.hubId, task.id, marked);
  return marked;
}
