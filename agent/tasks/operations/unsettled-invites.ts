import type { ReadView, Store } from '../../store/store.ts';
import { TASK_KEY_INDEX, taskKeyOf, type TaskRecord } from '../task-record.ts';

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

/**
 * Whether an earlier attempt of this re-send may have reached the app: one of this task's
 * (earlierAttemptUnknown), or one of another task of the same change (its idempotency key: a task
 * that failed or was cancelled with such an attempt, and a later plan queued the re-send again)
 * made since the last task of that change completed. Read from the task records in the store, so
 * every replica and a restarted process know it; the connector's own memory knew it only in the
 * process that made the attempt. Where the app has no resend (revoke, then invite: TikTok), such
 * an attempt may have sent the new invite, which the retry must not revoke (Reinvite in
 * connectors/sdk/capabilities.ts).
 */
export async function earlierResendUnknown(task: Readonly<TaskRecord>, view: ReadView): Promise<boolean> {
  if (earlierAttemptUnknown(task)) return true;
  const same = await view.lookup('tasks', TASK_KEY_INDEX, taskKeyOf(task.hubId, task.idempotencyKey));
  const lastCompleted = same.reduce((at, t) => (t.status === 'completed' && t.createdAt > at ? t.createdAt : at), '');
  return same.some((t) => t.id !== task.id && t.status !== 'completed' && t.createdAt > lastCompleted && !t.settled && t.attempts > (t.attemptsRefused ?? 0));
}
