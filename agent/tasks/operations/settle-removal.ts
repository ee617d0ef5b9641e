import { markedNotApplied } from '../../../connectors/sdk/connector-error.ts';
import type { HubConnector, PersonReading } from '../../../connectors/sdk/connector.ts';
import { replanPerson } from '../../dispatch/replan-person.ts';
import type { Operation } from '../../plan/operation.ts';
import { enqueueTask } from '../enqueue.ts';
import type { TaskContext, TaskOutcome } from '../handler.ts';
import type { TaskRecord } from '../task-record.ts';
import { subjectOf } from './audit-subject.ts';
import { applyPersonReading } from './person-refresh.ts';
import { replanRehireAfterRemoval } from './rehire-after-removal.ts';
import { emailKey } from '../../matching/email-key.ts';

type RemovalOp = Extract<Operation, { kind: 'remove-member' | 'cancel-invite' }>;

/** Whether `settleOwnRemoval` can look the row up: the connector reads one person, and a cancelled invite names its email. */
export function removalLooksUp(op: RemovalOp, connector: HubConnector | undefined): boolean {
  return !!connector?.readPerson && !(op.kind === 'cancel-invite' && !op.email);
}

/**
 * A removal (of a seat, or a pending invite) whose plan no longer asks for it, with an earlier
 * attempt of unknown outcome (unsettled-invites.ts `earlierAttemptUnknown`: a DELETE that timed
 * out or lost its connection after the app carried it out, a process killed mid-call). The
 * snapshot still lists the row (the lost answer was never recorded), so the re-plan that finds the
 * person back in a team sees nothing to do: ended as "not done", the person had lost their seat,
 * the audit log said otherwise, and nothing gave it back until the next check for updates.
 *
 * The same holds for a forced removal (an owner's, an offboarding's) that an exemption, a rematch or a
 * reactivation stopped after such an attempt (`because` says what stopped it).
 *
 * So, as an invite of unknown outcome settles itself (settle-invite.ts `settleOwnInvite`), the
 * row is looked up first (`readPerson`: the seat by id, confirmed gone only once the member
 * listing agrees, and the invites at the email). Gone: the earlier attempt made the removal; it is
 * audited as done, the person's part of the snapshot is replaced by what was read, and the person
 * is re-planned at once (a new invite, by the usual plan). Still there: undefined, the caller ends
 * it as not done. While the app cannot answer, the attempt fails as not applied (the retry table
 * backs off): what became of the row is not known yet.
 */
export async function settleOwnRemoval(task: Readonly<TaskRecord>, ctx: TaskContext, op: RemovalOp, because = 'it is no longer planned'): Promise<TaskOutcome | undefined> {
  const connector = ctx.connector;
  if (!connector?.readPerson || !removalLooksUp(op, connector)) return undefined;
  const readStartedAt = ctx.now();
  let reading: PersonReading;
  try {
    reading = await connector.readPerson({ ...(op.kind === 'remove-member' ? { memberId: op.memberId } : {}), ...(op.email ? { email: op.email } : {}) });
  } catch (err) {
    throw markedNotApplied(err);
  }
  const gone = op.kind === 'remove-member'
    ? !reading.members.some((m) => m.id === op.memberId)
    : !reading.invites.some((i) => i.status === 'pending' && isTheInvite(i, op.inviteId));
  if (!gone) return undefined;
  const now = ctx.now();
  ctx.audit({
    action: op.kind, subject: subjectOf(op), outcome: 'ok', detail: { effect: op.effect, reason: op.reason, settled: true, attempt: task.attempts },
    why: `${op.summary}: its outcome was unknown; looked up, the app no longer holds it, so an earlier attempt made it, though ${because}${op.directoryUserId ? `: ${op.directoryUserId} is re-planned now` : ''}`,
  });
  return {
    status: 'completed', result: { outcome: 'settled', found: 'gone' },
    commit: async (tx) => {
      await applyPersonReading(tx, {
        hubId: task.hubId, email: op.email, assets: [], reading, now, readStartedAt, audit: { trigger: task.trigger, taskId: task.id },
        ...(op.kind === 'remove-member' ? { memberId: op.memberId } : { inviteId: op.inviteId }),
      });
      if (op.directoryUserId) {
        await enqueueTask(tx, { hubId: task.hubId, ...replanPerson({ directoryUserId: op.directoryUserId }, task.trigger, `re-evaluate ${op.directoryUserId}: their removal of unknown outcome was made`), reuse: 'unstarted', now });
      }
      await replanRehireAfterRemoval(tx, task.hubId, op, task.id, now);
    },
  };
}

/** The id prefix of an invite recorded before the app's id was known (snapshot-update.ts). */
const PROVISIONAL_INVITE = 'pending:';

/**
 * Whether a listed invite is the one a cancel names: by id, or, for an id recorded before the
 * app's was known (`pending:<email>`, which the connector resolves by email when it cancels), by
 * the email. Compared by id alone, an invite still pending under its real id read as cancelled by
 * the earlier attempt, and was audited so.
 */
function isTheInvite(listed: { id: string; email: string }, inviteId: string): boolean {
  if (listed.id === inviteId) return true;
  return inviteId.startsWith(PROVISIONAL_INVITE) && emailKey(listed.email) === emailKey(inviteId.slice(PROVISIONAL_INVITE.length));
}
