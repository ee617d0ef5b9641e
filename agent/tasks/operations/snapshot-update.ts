import '../../app-state/records.ts';
import '../../dispatch/departed-user.ts';
import type { Operation } from '../../plan/operation.ts';
import type { Transaction } from '../../store/store.ts';
import { PERSON_INDEX } from '../../plan/person-input.ts';
import { assignmentRemovalId, inviteRowId } from '../../standing/row-ids.ts';
import type { AppCallResult } from './call-app.ts';
import { emailKey } from '../../matching/email-key.ts';

/**
 * Keeps the app snapshot true to what the agent just did (agent/app-state/records.ts: "the
 * agent updates it after each change it makes"), in the transaction that completes the task, so
 * the next plan starts from it and never repeats the change. Reads through `tx`.
 */
export async function recordInSnapshot(tx: Transaction, hubId: string, op: Operation, res: AppCallResult, now: Date): Promise<void> {
  const at = now.toISOString();
  switch (op.kind) {
    case 'invite':
    case 'reinvite': {
      const previous = op.kind === 'reinvite' ? await tx.get('appInvites', hubId, op.inviteId) : undefined;
      if (op.kind === 'reinvite') tx.delete('appInvites', hubId, op.inviteId);
      if (res.memberId && !res.inviteId) {
        // Already a member: record the seat so no plan invites again; the next import corrects role and name.
        const m = await tx.get('appMembers', hubId, res.memberId);
        tx.put('appMembers', hubId, res.memberId, m ?? { hubId, id: res.memberId, email: op.email, role: op.role, firstSeenAt: at, lastSeenAt: at });
        return;
      }
      const id = res.inviteId || `pending:${op.email}`;
      const existing = await tx.get('appInvites', hubId, id);
      // An app that gives no expiry (TikTok): the invite is taken to lapse after the connector's
      // assumed lifetime, from when it was sent (kept for one already pending: it was sent before).
      const sentAt = res.result === 'done' ? at : existing?.createdAt ?? at;
      const assumed = res.assumedLifetimeMs !== undefined ? { expiresAt: new Date(Date.parse(sentAt) + res.assumedLifetimeMs).toISOString() } : {};
      tx.put('appInvites', hubId, id, {
        ...(existing?.expiresAt ? { expiresAt: existing.expiresAt } : {}), ...assumed,
        hubId, id, email: op.email, role: op.role, status: 'pending', createdAt: existing?.createdAt ?? at,
        sentByHubwarden: existing?.sentByHubwarden ?? res.result === 'done',
        resendCount: op.kind === 'reinvite' ? (previous?.resendCount ?? op.resendCount) + 1 : existing?.resendCount ?? 0, lastSeenAt: at,
      });
      await recordInvitedMatch(tx, hubId, inviteRowId(id), op, at);
      return;
    }
    case 'change-member-role': {
      const m = await tx.get('appMembers', hubId, op.memberId);
      if (m) tx.put('appMembers', hubId, m.id, { ...m, role: op.to, lastSeenAt: at });
      return;
    }
    case 'change-invite-role': {
      const i = await tx.get('appInvites', hubId, op.inviteId);
      if (i) tx.put('appInvites', hubId, i.id, { ...i, role: op.to, lastSeenAt: at });
      return;
    }
    case 'assign-asset': {
      const key = `${op.asset.type}:${op.asset.id}:${op.memberId}`;
      // changedAt / the removal record: a check whose reading started before this keeps it (snapshot.ts).
      // madeBy: hubwarden set these tasks, so the grant is its own to unassign once no team gives
      // it (plan.ts), also one it changed that it had found in the app.
      tx.put('appAssignments', hubId, key, { hubId, key, asset: op.asset, userId: op.memberId, userType: 'member', tasks: op.tasks, changedAt: at, madeBy: 'hubwarden' });
      tx.delete('appRemovals', hubId, assignmentRemovalId(key));
      return;
    }
    case 'unassign-asset': {
      const key = `${op.asset.type}:${op.asset.id}:${op.memberId}`;
      tx.delete('appAssignments', hubId, key);
      tx.put('appRemovals', hubId, assignmentRemovalId(key), { hubId, rowId: assignmentRemovalId(key), removedAt: at });
      return;
    }
    case 'remove-member':
      tx.delete('appMembers', hubId, op.memberId);
      tx.put('appRemovals', hubId, op.memberId, { hubId, rowId: op.memberId, removedAt: at });
      for (const a of await tx.lookup('appAssignments', PERSON_INDEX.assignmentByUser, `${hubId}\u0000${op.memberId}`)) tx.delete('appAssignments', hubId, a.key);
      tx.delete('memberMatches', hubId, op.memberId);
      await forgetDeparted(tx, hubId, op);
      return;
    case 'cancel-invite':
      tx.delete('appInvites', hubId, op.inviteId);
      tx.put('appRemovals', hubId, inviteRowId(op.inviteId), { hubId, rowId: inviteRowId(op.inviteId), removedAt: at });
      tx.delete('memberMatches', hubId, inviteRowId(op.inviteId));
      await forgetDeparted(tx, hubId, op);
      return;
  }
}

/**
 * The invite is the seat of the directory user it was sent for: recorded as their automatic match
 * at once, so it stays theirs if the IdP changes their email before the next check for updates
 * (match-members.ts keeps an automatic match with its user). Meta files the invite under the email
 * it was sent to (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users),
 * so without the match the person's plan, looking by their new email, found no seat and invited
 * them again, and their leaving did not cancel the first invite. A row already matched is kept.
 */
async function recordInvitedMatch(tx: Transaction, hubId: string, rowId: string, op: Operation, at: string): Promise<void> {
  if (!op.directoryUserId || await tx.get('memberMatches', hubId, rowId)) return;
  tx.put('memberMatches', hubId, rowId, { hubId, memberId: rowId, outcome: 'onboarded', manual: false, directoryUserId: op.directoryUserId, at });
}

/**
 * A deleted user's record is kept only while a seat of theirs remains: one under their last
 * emails, or another row still matched to them (a seat under an older email: matching keeps that
 * match only while this record exists).
 */
async function forgetDeparted(tx: Transaction, hubId: string, op: Operation): Promise<void> {
  if (op.reason !== 'deleted' || !op.directoryUserId) return;
  const d = await tx.get('departedUsers', hubId, op.directoryUserId);
  if (!d) return;
  const removed = op.kind === 'remove-member' ? op.memberId : op.kind === 'cancel-invite' ? inviteRowId(op.inviteId) : undefined;
  const matched = await tx.lookup('memberMatches', PERSON_INDEX.matchByDirectoryUser, `${hubId}\u0000${op.directoryUserId}`);
  let seats = matched.some((m) => m.outcome === 'onboarded' && m.memberId !== removed);
  for (const e of seats ? [] : d.emails) {
    const key = `${hubId}\u0000${emailKey(e)}`;
    if ((await tx.lookup('appMembers', PERSON_INDEX.memberByEmail, key)).length > 0 || (await tx.lookup('appInvites', PERSON_INDEX.inviteByEmail, key)).length > 0) {
      seats = true;
      break;
    }
  }
  if (!seats) tx.delete('departedUsers', hubId, op.directoryUserId);
}
