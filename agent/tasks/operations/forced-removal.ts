import type { Operation } from '../../plan/operation.ts';
import { isActiveUser } from '../../desired-state/directory-records.ts';
import { PERSON_INDEX } from '../../plan/person-input.ts';
import { exemptionInForce } from '../../standing/exemption.ts';
import { inviteRowId } from '../../standing/row-ids.ts';
import type { ReadView } from '../../store/store.ts';
import { emailKey } from '../../matching/email-key.ts';

/**
 * Why a forced removal (an owner's removal, a leaver workflow's offboarding) may no longer run,
 * checked just before the call. Such a removal skips the re-plan: it is the owner's decision, not
 * the plan's, and was checked when it was queued (agent/plan/removal.ts). An exemption granted
 * while it waited (Meta down, the hub paused, a rate limit) is an owner's later decision and
 * wins: exempted rows are never removed. The row's own exemption is read, and for an invite also
 * those of the email's invite rows, since a check for updates may have given a provisional
 * invite row (`invite:pending:<email>`) its real id since it was queued.
 */
export async function exemptedSinceQueued(view: ReadView, hubId: string, op: Operation, now: Date): Promise<string | undefined> {
  if (op.effect !== 'removal') return undefined;
  for (const row of await rowsOf(view, hubId, op)) {
    const exemption = await view.get('exemptions', hubId, row);
    if (exemptionInForce(exemption, now)) return `exempted by ${exemption!.by} since it was queued: exempted members are never removed`;
  }
  return undefined;
}

/** The member or invite rows a removal is about: for an invite, also the email's invite rows (see above). */
async function rowsOf(view: ReadView, hubId: string, op: Operation): Promise<Set<string>> {
  const rows = new Set<string>();
  if (op.kind === 'remove-member') rows.add(op.memberId);
  if (op.kind === 'cancel-invite') {
    rows.add(inviteRowId(op.inviteId));
    if (op.email) for (const i of await view.lookup('appInvites', PERSON_INDEX.inviteByEmail, `${hubId}\u0000${emailKey(op.email)}`)) rows.add(inviteRowId(i.id));
  }
  return rows;
}

/**
 * Why a forced removal queued for one directory user (`op.directoryUserId`: an offboarding's, or an
 * owner's removal of a row matched then) may no longer run: the row's match now names another
 * directory user whom the directory still has active, or leaves the row disputed between the
 * person and such a user. The seat was checked as the person's when the removal was queued; an
 * owner's manual match since (a rehire's new account given the old seat), or a rematch after a
 * check for updates, made it someone else's, and the removal, which skips the re-plan, removed the
 * seat of a person who holds access. A seat is removed only for the person it now belongs to: by
 * their own removal (their offboarding, or an owner asking again), audited under their name.
 *
 * An owner's word since that the seat is no directory user's (registered as a guest's, or
 * un-matched by hand) stops it too, as it stops an offboarding from queueing the removal
 * (dispatch/offboard.ts `otherOwner`) and the plan from making one (plan.ts `governing`).
 *
 * Still removed: a row matched to the same user, one unmatched now by matching alone (no match
 * record, or an email that names no one: nobody claims the seat, and the removal stands as the
 * owner's or the leaver's decision), and one matched to a user who is gone (deleted: the IdP may re-create a
 * person under a new SCIM id, RFC 7644 §3.3) or deactivated (`active` false, RFC 7643 §4.1.1: the
 * directory grants that person no access, and the plan removes such a seat too). A user active in
 * the directory but suspended or offboarded keeps the seat here: their own removal is the one that
 * takes it, through their own safety lane. A removal that names no directory user (an owner's
 * removal of an unmatched row) names a row, not a person: it runs as asked.
 */
export async function heldByAnotherSinceQueued(view: ReadView, hubId: string, op: Operation): Promise<string | undefined> {
  if (op.effect !== 'removal' || !op.directoryUserId) return undefined;
  const other = async (id: string) => {
    if (id === op.directoryUserId) return undefined;
    const user = await view.get('directoryUsers', hubId, id);
    return user?.active ? user : undefined;
  };
  for (const row of await rowsOf(view, hubId, op)) {
    const match = await view.get('memberMatches', hubId, row);
    if (!match) continue;
    if (match.outcome === 'guest') return `the seat (${row}) is now registered as a guest's by an owner: not directory user ${op.directoryUserId}'s seat`;
    if (match.outcome === 'unmatched' && match.manual) return `the seat (${row}) was un-matched by an owner since it was queued: not directory user ${op.directoryUserId}'s seat`;
    if (match.directoryUserId) {
      const user = await other(match.directoryUserId);
      if (user) return `the seat (${row}) now belongs to ${user.userName} (directory user ${user.id}, active in the directory), not to directory user ${op.directoryUserId} it was queued for: a live person's seat is removed only by their own removal`;
    } else if (match.outcome === 'unmatched' && match.candidates?.length) {
      for (const id of match.candidates) {
        const user = await other(id);
        if (user) return `the seat (${row}) is now disputed between directory users ${match.candidates.join(', ')}, ${user.userName} among them active in the directory: an owner decides whose seat it is`;
      }
    }
  }
  return undefined;
}

/**
 * Why an offboarding's removal (reason `deactivated`: a leaver workflow, an Okta event hook's
 * deactivation; agent/dispatch/offboard.ts) may no longer run: the person holds seats in the
 * directory again (active, not suspended, not offboarded), and their record changed after the
 * removal was queued. An explicit leaver action's hold ends only with a SCIM reactivation (active
 * false → true, RFC 7643 §4.1.1); an event hook's deactivation sets none, and the IdP pushing the
 * person active since says the deactivation was undone. Such a removal, waiting on a rate limit or
 * a paused hub, took the seat of a person reactivated meanwhile (a deactivation made by mistake, a
 * rehire), and the next plan invited them afresh. A person whose record did not change since (the
 * IdP has not caught up over SCIM yet) is still removed: the leaver action is the newer word.
 *
 * "Changed since" compares the record's `version` with the one the queuing transaction read
 * (`queuedVersion`, OperationPayload.directoryVersion): the store orders both. Comparing the
 * record's `lastModified` (the clock of the replica that took the SCIM write) with the task's
 * creation (another replica's clock) missed a reactivation when the SCIM replica's clock was
 * behind (the rehire lost their seat) and took a stale write for one when it was ahead (the leaver
 * kept it).
 *
 * A task queued by an earlier release has no version: nothing says the record changed after it,
 * so the removal runs (the leaver action stands). Removing a person reactivated meanwhile is
 * undone by the next plan, which invites them again; keeping a leaver's seat on a guess is not.
 */
export async function reactivatedSinceQueued(view: ReadView, hubId: string, op: Operation, queuedVersion: number | undefined): Promise<string | undefined> {
  if (op.effect !== 'removal' || op.reason !== 'deactivated' || !op.directoryUserId || queuedVersion === undefined) return undefined;
  const user = await view.get('directoryUsers', hubId, op.directoryUserId);
  if (!user || !isActiveUser(user) || !(user.version > queuedVersion)) return undefined;
  return `${user.userName} is active in the directory again (changed ${user.lastModified}, version ${user.version}; the offboarding queued this removal at version ${queuedVersion}): the removal is no longer justified`;
}

/**
 * Why a forced removal may no longer run, or undefined when it still stands: exempted since, the
 * person active in the directory again since `queuedVersion` (an offboarding's), or the seat
 * someone else's now (the three checks above, in that order). Read just before the call
 * (operation-handler.ts), and by an offboarding's approval (dispatch/offboard-brake.ts) with the
 * version its halt read: when a re-plan sees the person back (safety/approval-kept.ts) and in the
 * transaction that approves it.
 */
export async function forcedRemovalVoid(view: ReadView, hubId: string, op: Operation, queuedVersion: number | undefined, now: Date): Promise<string | undefined> {
  return await exemptedSinceQueued(view, hubId, op, now) ?? await reactivatedSinceQueued(view, hubId, op, queuedVersion) ?? await heldByAnotherSinceQueued(view, hubId, op);
}
