import type { ReadView, Store } from '../../store/store.ts';
import type { TaskRecord } from '../task-record.ts';

/**
 * Invite tasks whose outcome is unknown, filed under their person: an attempt that may have
 * reached the app (a POST that timed out or whose connection dropped after Meta made the invite,
 * a process killed mid-call) and no recorded outcome since. Such an invite may exist in the app,
 * under the email it was sent to. Before the person is invited at another email (the IdP changed
 * their email meanwhile), that invite is looked up and settled (settle-invite.ts), or they could
 * end up with two invitations: one at an address the company no longer uses.
 *
 * Filed: an `invite` task not completed (a completed one recorded what became of its invite, or
 * settled it), not settled by another task (`settled`), with more attempts than certain refusals
 * (`attemptsRefused`: refused by the app, or nothing sent). A running attempt counts: it may be
 * calling the app right now. Failed tasks stay filed (kept until the retention prunes them): their
 * last attempts gave up, not the invite they may have made.
 */
export const UNSETTLED_INVITE = 'tasks.unsettledInvite';

const defined = new WeakSet<Store>();

/** Defines the index (the key function names no helper: store/postgres/indexes.ts hashes its source). */
export function defineUnsettledInviteIndex(store: Store): void {
  if (defined.has(store)) return;
  defined.add(store);
  store.defineIndex('tasks', UNSETTLED_INVITE, (t, hubId) => {
    const open = t.kind === 'invite' && t.status !== 'completed' && !t.settled && t.attempts > (t.attemptsRefused ?? 0);
    const op = open ? (t.payload as { op?: { directoryUserId?: string } } | null)?.op : undefined;
    return op?.directoryUserId ? [`${hubId}\u0000${op.directoryUserId}`] : [];
  });
}

/** The unsettled invite tasks of a directory user on a hub (one index lookup), as committed. */
export function unsettledInviteFor(view: ReadView, hubId: string, directoryUserId: string): Promise<ReadonlyArray<Readonly<TaskRecord>>> {
  return view.lookup('tasks', UNSETTLED_INVITE, `${hubId}\u0000${directoryUserId}`);
}

/** Whether an attempt of this running task before the current one may have reached the app. */
export function earlierAttemptUnknown(task: Readonly<TaskRecord>): boolean {
  return !task.settled && task.attempts - 1 > (task.attemptsRefused ?? 0);
}
