import type { Trigger } from '../../desired-state/delta.ts';
import { isActiveUser, usersWithMatchingEmail } from '../../desired-state/directory-records.ts';
import { replanPerson } from '../../dispatch/replan-person.ts';
import { emailKey } from '../../matching/email-key.ts';
import type { Operation } from '../../plan/operation.ts';
import type { Transaction } from '../../store/store.ts';
import { enqueueTask } from '../enqueue.ts';

/**
 * A seat (or pending invite) of one directory user was removed: the one other directory user active
 * in the directory with its email is re-planned, in the transaction that records the removal.
 *
 * Why: a leaver rehired with the same email is two directory users with one email (the IdP
 * deactivates or deletes the first account, RFC 7643 §4.1.1 `active`, RFC 7644 §3.6, and creates
 * a second). While the leaver's removal is in flight the seat stays theirs (plan/removal-in-flight.ts),
 * so the rehire's plan asks for nothing; once it is removed, nothing re-planned the rehire, who
 * was invited only at the next check for updates (daily). Queued with the removal's outcome (the
 * outbox rule: the change and the work it implies commit together), the re-plan cannot be lost to
 * a crash between them, and it reads the seat as gone. It invites by the usual plan, so a check for
 * updates planning the same invite meets the same task key (tasks/enqueue.ts) or the invite
 * already on record, and the invite's own look-first (call-app.ts) guards a retried call.
 *
 * Nothing is queued for a removal that names no directory user (an owner's removal of an unmatched
 * row names a row, not a person), when no one else active holds the email, or when two or more do
 * (matching leaves such an email disputed until an owner decides: match-members.ts).
 */
export async function replanRehireAfterRemoval(tx: Transaction, hubId: string, op: Operation, removedBy: string, now: Date): Promise<void> {
  if ((op.kind !== 'remove-member' && op.kind !== 'cancel-invite') || !op.directoryUserId || !op.email) return;
  // Whoever matching gives the email to: a user sent without emails has it as their userName.
  const holders = await usersWithMatchingEmail(tx, hubId, emailKey(op.email));
  // Who to re-plan, not whose the seat is (matching/claimant.ts): any account not active (an
  // offboarded leaver still active over SCIM too) leaves the rehire to be re-planned.
  const active = holders.filter(isActiveUser);
  const rehire = active.length === 1 && active[0]!.id !== op.directoryUserId ? active[0]! : undefined;
  if (!rehire) return;
  const row = op.kind === 'remove-member' ? `seat ${op.memberId}` : `invite ${op.inviteId}`;
  const why = `the ${row} of directory user ${op.directoryUserId} (${op.email}) was removed (task ${removedBy}); directory user ${rehire.id} is the one active with that email`;
  // The audit entries of what the re-plan does carry this trigger: it names why it ran.
  const trigger: Trigger = { type: 'agent', detail: why };
  await enqueueTask(tx, { hubId, ...replanPerson({ directoryUserId: rehire.id }, trigger, `re-evaluate ${rehire.userName}: ${why}`), reuse: 'unstarted', now });
}
