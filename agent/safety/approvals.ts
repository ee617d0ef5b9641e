import { randomUUID } from 'node:crypto';
import { AgentError } from '../agent-error.ts';
import type { Approval } from '../api.ts';
import type { Operation } from '../plan/operation.ts';
import type { ReadView, Transaction } from '../store/store.ts';
import { pendingApprovalsOf } from './held-indexes.ts';
import type { RemovalPhase } from './schedule-removals.ts';

/**
 * A halted plan waiting for an owner (a plan removing more than
 * `removalThresholdPercent` of the members stops with status needs-approval and an explanation).
 * Collection `approvals`, partition = hub id. `planned` keeps the operations to run on approval
 * (each is re-checked against the desired state when it runs).
 */
export interface ApprovalRecord extends Approval {
  planned: Operation[];
  decidedBy?: string;
  decidedAt?: string;
  /**
   * When a pass last planned it (set again when a pass halting with the same operations refreshes
   * it): a pass that began before then does not withdraw it (withdraw-approval.ts).
   */
  plannedAt?: string;
  /** The approval that replaced this one (status `superseded`). */
  supersededBy?: string;
  /**
   * Halted by an explicit offboarding (`safety.offboards: threshold`, dispatch/offboard-brake.ts):
   * `taskId` is the offboarding (no hub's task). Each stands alone: never a pass's pending approval.
   */
  offboard?: true;
  /** An offboarding's approval: whom it offboards (`user <directory user id>` or `email <address>`), so a second offboarding of them joins it (dispatch/offboard-brake.ts). */
  offboardOf?: string;
  /** Other offboardings (task ids) of the same person that joined this approval and wait on its decision as `taskId` does. */
  joined?: string[];
  /**
   * An offboarding's approval: each directory user's record `version` the halt read (as a queued
   * forced removal keeps it, OperationPayload.directoryVersion), so a person the IdP reactivated
   * before the decision is seen as back (dispatch/offboard-brake.ts `offboardRemovalVoid`).
   */
  directoryVersions?: Record<string, number>;
}

declare module '../store/collections.ts' {
  interface Collections {
    approvals: ApprovalRecord;
  }
}

/**
 * The hub's pending approval, if any (read through the caller's transaction when it decides a
 * write); with `phase`, the one its halted `apply-removals` pass was of (an approval whose task is
 * gone, or of no phase, is any phase's).
 */
export async function pendingApprovalOf(tx: Pick<ReadView, 'lookup' | 'get'>, hubId: string, phase?: RemovalPhase): Promise<Readonly<ApprovalRecord> | undefined> {
  for (const a of await pendingApprovalsOf(tx, hubId)) {
    if (a.offboard) continue;
    if (phase === undefined) return a;
    const of = ((await tx.get('tasks', hubId, a.taskId))?.payload as { phase?: RemovalPhase } | undefined)?.phase;
    if (of === undefined || of === phase) return a;
  }
  return undefined;
}

/**
 * Records (or refreshes: one pending approval per hub and phase) the halted plan. A plan that
 * halts again with the same operations refreshes the pending approval; one with other operations
 * gets a new approval, and the old one is `superseded`: an owner approves exactly the operations
 * they saw (an approve sent for the old id is refused), never ones that replaced them meanwhile.
 * The settle and deprovisioning passes each halt on their own removals: when one pass superseded
 * the other's approval, the other's removals were dropped (its task cancelled) until the directory
 * next changed, and the owner approving what they saw never saw them.
 * `fresh`: a new approval (not the pending one refreshed); `superseded`: the pending one it
 * replaced, for the caller to audit; `dropped`: the operations of the superseded approval the new
 * one no longer holds.
 */
export async function requestApproval(tx: Transaction, input: { hubId: string; explanation: string; planned: Operation[]; taskId: string; now: Date; phase?: RemovalPhase }): Promise<{ approval: ApprovalRecord; replacedTaskId?: string; fresh: boolean; superseded?: Readonly<ApprovalRecord>; dropped: Operation[] }> {
  const pending = await pendingApprovalOf(tx, input.hubId, input.phase);
  const keys = (ops: readonly Operation[]) => ops.map((o) => o.key).sort().join('\n');
  const same = pending !== undefined && keys(pending.planned) === keys(input.planned);
  const id = same ? pending.id : randomUUID();
  if (pending && !same) tx.put('approvals', input.hubId, pending.id, { ...pending, status: 'superseded', supersededBy: id, decidedAt: input.now.toISOString() });
  const previous = pending;
  const approval: ApprovalRecord = {
    id,
    hubId: input.hubId,
    createdAt: same ? pending.createdAt : input.now.toISOString(),
    status: 'pending',
    explanation: input.explanation,
    operations: input.planned.map((o) => ({ kind: o.kind, summary: o.summary })),
    taskId: input.taskId,
    planned: input.planned,
    plannedAt: input.now.toISOString(),
  };
  tx.put('approvals', input.hubId, approval.id, approval);
  const now = new Set(input.planned.map((o) => o.key));
  const dropped = pending && !same ? pending.planned.filter((o) => !now.has(o.key)) : [];
  return { approval, replacedTaskId: previous && previous.taskId !== input.taskId ? previous.taskId : undefined, fresh: !same, ...(pending && !same ? { superseded: pending } : {}), dropped };
}

/** An approval by id, on any hub. */
export async function findApproval(tx: Pick<ReadView, 'partitions' | 'get'>, id: string): Promise<Readonly<ApprovalRecord> | undefined> {
  for (const p of await tx.partitions('approvals')) {
    const a = await tx.get('approvals', p, id);
    if (a) return a;
  }
  return undefined;
}

/**
 * A check for `decideApproval`'s `within` (run in its transaction): refuses (conflict) deciding
 * an approval whose planned operations are no longer `checked`, the ones a caller read and judged
 * before. A plan halting again with the same operation keys refreshes the pending approval under
 * the same id (`requestApproval`), and a key names the row, not whom its seat is matched to: the
 * removal of a row matched meanwhile to someone else would be approved as judged for the first.
 */
export function approvalAsChecked(hubId: string, approvalId: string, checked: readonly Operation[]): (tx: Pick<ReadView, 'get'>) => Promise<void> {
  const seen = JSON.stringify(checked);
  return async (tx) => {
    const now = await tx.get('approvals', hubId, approvalId);
    if (now && JSON.stringify(now.planned) !== seen) {
      throw new AgentError('conflict', `agent: approval ${approvalId} changed since it was checked (the plan halted again); review it again`);
    }
  };
}
