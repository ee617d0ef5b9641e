import type { Operation } from '../../plan/operation.ts';
import { inviteRowId } from '../../standing/row-ids.ts';
import type { TaskRecord } from '../task-record.ts';

/** Whom an operation's audit entries are about: the person and the member or invite row. */
export function subjectOf(op: Operation): { email?: string; directoryUserId?: string; memberId?: string } {
  const memberId = 'memberId' in op ? op.memberId : 'inviteId' in op ? inviteRowId(op.inviteId) : undefined;
  return { email: op.email, directoryUserId: op.directoryUserId, ...(memberId ? { memberId } : {}) };
}

/**
 * The subject of an operation task (its payload's operation, operation-handler.ts), for the entries
 * the runner writes itself (the task gave up): without it a failed removal named no one, and the
 * person's audit did not show it. An offboarding's person, by email. Undefined for other tasks.
 */
export function taskSubjectOf(task: Pick<TaskRecord, 'kind' | 'payload'>): ReturnType<typeof subjectOf> | undefined {
  const op = (task.payload as { op?: Operation } | undefined)?.op;
  if (op && typeof op === 'object' && op.kind === task.kind) return subjectOf(op);
  // An offboarding names its person (agent/dispatch/offboard.ts, PersonRef): its failure is in their trail.
  const person = task.kind === 'offboard' ? task.payload as { email?: unknown } | undefined : undefined;
  return typeof person?.email === 'string' ? { email: person.email.toLowerCase() } : undefined;
}
