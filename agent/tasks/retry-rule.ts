import type { OperationKind } from '../plan/operation.ts';
import type { OperationPayload } from './operations/enqueue-operation.ts';
import type { TaskRecord } from './task-record.ts';

/** The app changes, each a task kind of its own (operations/operation-handler.ts runs them). */
export const OPERATION_KINDS: OperationKind[] = ['invite', 'reinvite', 'change-member-role', 'change-invite-role', 'assign-asset', 'unassign-asset', 'remove-member', 'cancel-invite'];

/** Why a task is not one a retry queues again (retry-task.ts answers each with 409). */
export type RetryRefusal = 'not-failed' | 'not-app-change' | 'forced';

/**
 * The one rule of which tasks an owner may retry (retry-task.ts `retryFailedTask`), also what a
 * task view's `retryable` says (task-record.ts `toTaskView`, the dashboard's Retry button): a
 * failed app change, not forced. A forced change (an owner's removal, an offboarding's) ran
 * without a re-plan on a decision made then, and is asked for again rather than re-run.
 * Undefined: it may be retried. Whether it was retried already is the caller's (a repeat answers
 * `alreadyDone`, not a refusal).
 */
export function retryRefusal(t: Readonly<Pick<TaskRecord, 'status' | 'kind' | 'payload'>>): RetryRefusal | undefined {
  if (t.status !== 'failed') return 'not-failed';
  const payload = t.payload as OperationPayload | undefined;
  if (!OPERATION_KINDS.includes(t.kind as OperationKind) || payload?.op?.kind !== t.kind) return 'not-app-change';
  if (payload.force) return 'forced';
  return undefined;
}
