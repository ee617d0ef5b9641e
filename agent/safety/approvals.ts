import { randomUUID } from 'node:crypto';
import type { Approval } from '../api.ts';
import type { Operation } from '../plan/operation.ts';
import type { Transaction } from '../store/store.ts';

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
}

declare module '../store/collections.ts' {
  interface Collections {
    approvals: ApprovalRecord;
  }
}

export function pendingApprovalOf(tx: Pick<Transaction, 'list'>, hubId: string): Readonly<ApprovalRecord> | undefined {
  for (const a of tx.list('approvals', hubId)) if (a.status === 'pending') return a;
  return undefined;
}

/** Records (or refreshes: one pending approval per hub) the halted plan. */
export function requestApproval(tx: Transaction, input: { hubId: string; explanation: string; planned: Operation[]; taskId: string; now: Date }): { approval: ApprovalRecord; replacedTaskId?: string } {
  const previous = pendingApprovalOf(tx, input.hubId);
  const approval: ApprovalRecord = {
    id: previous?.id ?? randomUUID(),
    hubId: input.hubId,
    createdAt: previous?.createdAt ?? input.now.toISOString(),
    status: 'pending',
    explanation: input.explanation,
    operations: input.planned.map((o) => ({ kind: o.kind, summary: o.summary })),
    taskId: input.taskId,
    planned: input.planned,
  };
  tx.put('approvals', input.hubId, approval.id, approval);
  return { approval, replacedTaskId: previous && previous.taskId !== input.taskId ? previous.taskId : undefined };
}

export function findApproval(tx: Pick<Transaction, 'partitions' | 'get'>, id: string): Readonly<ApprovalRecord> | undefined {
  for (const p of tx.partitions('approvals')) {
    const a = tx.get('approvals', p, id);
    if (a) return a;
  }
  return undefined;
}
