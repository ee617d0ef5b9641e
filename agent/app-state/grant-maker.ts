import type { ReadView, Store } from '../store/store.ts';
import { assignmentKey, type AppAssignmentRecord } from './records.ts';
import type { TaskRecord } from '../tasks/task-record.ts';

/**
 * Who made a grant listed in the app (AppAssignmentRecord.madeBy), the one rule a check for
 * updates (check-for-updates/snapshot.ts) and a person's re-read (tasks/operations/
 * person-refresh.ts) apply: what its stored record said, when there was one (none, for a record
 * of an earlier release, stays none: counted as hubwarden's); else hubwarden, when it came with a
 * seat first seen now that accepted an invite hubwarden sent (an invite can carry assets), or when
 * hubwarden itself tried to assign that asset to that member (`assignsTried`: an assign whose call
 * timed out or failed after the app applied it is still hubwarden's, and its grant must be
 * unassigned when the person leaves, not held for an owner as someone else's); else someone else
 * (the first import, or a grant made by hand).
 */
export function grantMadeBy(
  key: string,
  a: { userId: string; userType: string },
  madeBefore: ReadonlyMap<string, AppAssignmentRecord['madeBy']>,
  invitedByHubwarden: ReadonlySet<string>,
  assignsTried: ReadonlySet<string>,
): AppAssignmentRecord['madeBy'] {
  if (madeBefore.has(key)) return madeBefore.get(key);
  if (a.userType !== 'member') return 'other';
  return invitedByHubwarden.has(a.userId) || assignsTried.has(key) ? 'hubwarden' : 'other';
}

/**
 * Assign-asset tasks whose outcome the snapshot does not hold: not completed (failed, unknown,
 * interrupted, or still retrying), or completed after an earlier attempt that may have reached the
 * app (a completed attempt recorded its grant as hubwarden's, or found it no longer needed
 * without a call: tasks/operations/operation-handler.ts). An attempt the app refused
 * (TaskRecord.attemptsRefused) made nothing. Filed under the hub: one look-up per check for
 * updates or re-read gives them all, and clean assigns (the many) are not filed.
 */
export const ASSIGN_TRIED = 'tasks.assignTried';

const defined = new WeakSet<Store>();

/**
 * ASSIGN_TRIED's key function (it names no helper: store/postgres/indexes.ts hashes its source).
 * Also what keeps a finished task out of the archive (tasks/prune.ts): an index on `tasks` does
 * not see `finishedTasks`.
 */
export const assignTriedKeys = (t: TaskRecord, hubId: string): string[] => {
  if (t.kind !== 'assign-asset') return [];
  const uncertain = t.attempts - (t.status === 'completed' ? 1 : 0) > (t.attemptsRefused ?? 0);
  return uncertain ? [hubId] : [];
};

/** Defines the index. */
export function defineAssignTriedIndex(store: Store): void {
  if (defined.has(store)) return;
  defined.add(store);
  store.defineIndex('tasks', ASSIGN_TRIED, assignTriedKeys);
}

/** The grants (assignment keys `type:id:memberId`) hubwarden tried to make on the hub without recording them (ASSIGN_TRIED): one index look-up. */
export async function assignsTriedOn(view: Pick<ReadView, 'lookup'>, hubId: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const t of await view.lookup('tasks', ASSIGN_TRIED, hubId)) {
    const op = (t.payload as { op?: { asset?: { type?: string; id?: string }; memberId?: string } } | null)?.op;
    if (op?.asset?.type && op.asset.id && op.memberId) keys.add(assignmentKey({ asset: { type: op.asset.type, id: op.asset.id }, userId: op.memberId }));
  }
  return keys;
}
