import '../../app-state/records.ts';
import type { PersonReading } from '../../../connectors/sdk/connector.ts';
import type { AssetRef } from '../../../connectors/sdk/hub-model.ts';
import { assignmentKey, type AppAssignmentRecord, type AppInviteRecord, type AppMemberRecord } from '../../app-state/records.ts';
import { inviteStatusAt } from '../../app-state/invite-status.ts';
import { withoutUndefined } from '../../matching/match-members.ts';
import { PERSON_INDEX } from '../../plan/person-input.ts';
import type { Transaction } from '../../store/store.ts';
import type { Trigger } from '../../desired-state/delta.ts';
import { carryDecisions } from '../../check-for-updates/renamed-rows.ts';
import { inviteRowId } from '../../standing/row-ids.ts';
import { assignsTriedOn, grantMadeBy } from '../../app-state/grant-maker.ts';
import { emailKey } from '../../matching/email-key.ts';

export interface RefreshedPerson {
  hubId: string;
  email?: string;
  /** The member row the failed operation named, if any. */
  memberId?: string;
  inviteId?: string;
  /** The assets whose assignments were re-read. */
  assets: AssetRef[];
  reading: PersonReading;
  now: Date;
  /**
   * When the re-read began. A seat or invite the agent recorded since (`lastSeenAt` at or after
   * it: another task's change, committed while this person was being read) is newer than the
   * reading, so its absence there proves nothing: it is kept, as a check for updates keeps what
   * was written during its reading (agent/check-for-updates/snapshot.ts). Without this, an invite
   * another task had just sent was marked cancelled and re-sent (cancel + invite). Default: none.
   */
  readStartedAt?: Date;
  /** Who asked (the failed task): audits an owner's decision carried to a replacing row. */
  audit?: { trigger: Trigger; taskId: string };
}

const assetKey = (a: AssetRef) => `${a.type}:${a.id}`;

/**
 * Replaces one person's part of the app snapshot by what a targeted re-read found
 * (`HubConnector.readPerson`), by the same rules a full check for updates applies to everyone
 * (agent/check-for-updates/snapshot.ts): a seat or invite that is gone is dropped, an invite
 * that left the pending list without a seat to show for it was cancelled (or expired), an
 * invite that became a seat links the seat to it, hubwarden's bookkeeping (who sent an invite,
 * how often it was re-sent) carries over. Assets the re-read found gone leave the snapshot.
 * Reads and stages through `tx` (the caller's transaction).
 */
export async function applyPersonReading(tx: Transaction, p: RefreshedPerson): Promise<{ members: number; invites: number; assignments: number; missingAssets: number }> {
  const { hubId, reading } = p;
  const at = p.now.toISOString();
  const email = p.email === undefined ? undefined : emailKey(p.email);
  const byEmail = async <T>(index: string, collection: 'appMembers' | 'appInvites') =>
    (email ? await tx.lookup(collection, index, `${hubId}\u0000${email}`) : []) as T[];

  // Seats.
  const known = new Map<string, Readonly<AppMemberRecord>>((await byEmail<AppMemberRecord>(PERSON_INDEX.memberByEmail, 'appMembers')).map((m) => [m.id, m]));
  if (p.memberId) {
    const m = await tx.get('appMembers', hubId, p.memberId);
    if (m) known.set(m.id, m);
  }
  const since = p.readStartedAt?.toISOString();
  const newerThanReading = (r: { lastSeenAt: string }) => since !== undefined && r.lastSeenAt >= since;
  const found = new Set(reading.members.map((m) => m.id));
  for (const [id, m] of known) {
    if (found.has(id) || newerThanReading(m)) continue;
    tx.delete('appMembers', hubId, id);
    for (const a of await tx.lookup('appAssignments', PERSON_INDEX.assignmentByUser, `${hubId}\u0000${id}`)) tx.delete('appAssignments', hubId, a.key);
    tx.delete('memberMatches', hubId, id);
  }

  // Invites: listed ones replace what we knew; the rest left the pending list.
  const knownInvites = new Map<string, Readonly<AppInviteRecord>>((await byEmail<AppInviteRecord>(PERSON_INDEX.inviteByEmail, 'appInvites')).map((i) => [i.id, i]));
  if (p.inviteId) {
    const i = await tx.get('appInvites', hubId, p.inviteId);
    if (i) knownInvites.set(i.id, i);
  }
  const listed = new Map(reading.invites.map((i) => [i.id, i]));
  const sentByHubwarden = new Set([...knownInvites.values()].filter((i) => i.sentByHubwarden).map((i) => i.id));
  const provisional = [...knownInvites.values()].find((i) => !listed.has(i.id) && i.status === 'pending');
  let acceptedInviteId: string | undefined;
  const replacedRows: Array<{ from: string; to: string; email: string }> = [];
  for (const prev of knownInvites.values()) {
    if (listed.has(prev.id)) continue;
    if (prev.status !== 'pending') continue; // already known expired/declined/cancelled
    if (newerThanReading(prev)) continue; // recorded by another task while this person was read
    const replaced = reading.invites.some((i) => i.status === 'pending' && emailKey(i.email) === emailKey(prev.email));
    if (replaced || reading.members.length > 0) {
      // Taken over by the listed invite (a provisional id), or accepted: the seat carries it now.
      if (!replaced && !prev.id.startsWith('pending:')) acceptedInviteId = prev.id;
      tx.delete('appInvites', hubId, prev.id);
      const lower = emailKey(prev.email);
      const to = replaced
        ? inviteRowId(reading.invites.find((i) => i.status === 'pending' && emailKey(i.email) === lower)!.id)
        : (reading.members.find((m) => m.inviteId === prev.id) ?? reading.members.find((m) => m.email !== undefined && emailKey(m.email) === lower) ?? (reading.members.length === 1 ? reading.members[0] : undefined))?.id;
      replacedRows.push({ from: inviteRowId(prev.id), to: to ?? '', email: lower });
      continue;
    }
    const expired = prev.expiresAt !== undefined && prev.expiresAt <= at;
    tx.put('appInvites', hubId, prev.id, { ...prev, status: expired ? 'expired' : 'canceled', lastSeenAt: at });
  }
  for (const i of reading.invites) {
    const prev = knownInvites.get(i.id) ?? (i.status === 'pending' ? provisional : undefined);
    const expiresAt = i.expiresAt ?? prev?.expiresAt;
    const status = inviteStatusAt({ status: i.status, expiresAt }, at);
    tx.put('appInvites', hubId, i.id, withoutUndefined({
      hubId, id: i.id, email: i.email, role: i.role, tasks: i.tasks, status,
      createdAt: i.createdAt ?? prev?.createdAt, expiresAt,
      sentByHubwarden: prev?.sentByHubwarden ?? false, resendCount: prev?.resendCount ?? 0, lastSeenAt: at,
    }));
  }

  for (const m of reading.members) {
    const prev = known.get(m.id);
    tx.put('appMembers', hubId, m.id, withoutUndefined({
      hubId, id: m.id, email: m.email, name: m.name, role: m.role, tasks: m.tasks, removalPending: m.removalPending,
      inviteId: m.inviteId ?? prev?.inviteId ?? acceptedInviteId, firstSeenAt: prev?.firstSeenAt ?? at, lastSeenAt: at,
    }));
  }

  // The replaced invite's automatic match, exemption and owner's decision follow the row that
  // replaced it, as at a check for updates (renamed-rows.ts): deleted with the invite, the seat
  // was unmatched once the IdP changed the person's email before the next check (Meta files the
  // row under the email the invite was sent to, and a member under their own:
  // https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users),
  // so it was never removed when they left.
  await carryDecisions(tx, hubId, replacedRows.filter((r) => r.to !== ''), p.audit ?? { trigger: { type: 'agent' }, taskId: '' });
  for (const { from } of replacedRows) tx.delete('memberMatches', hubId, from);

  // Assignments of the people found, on the assets re-read; assets that are gone leave the snapshot.
  // Each keeps who made it, by the rule a check for updates applies (app-state/grant-maker.ts).
  const gone = new Set(reading.missingAssets.map(assetKey));
  const reread = new Set(p.assets.map(assetKey));
  const madeBefore = new Map<string, AppAssignmentRecord['madeBy']>();
  for (const id of found) {
    for (const a of await tx.lookup('appAssignments', PERSON_INDEX.assignmentByUser, `${hubId}\u0000${id}`)) {
      madeBefore.set(a.key, a.madeBy);
      if (reread.has(assetKey(a.asset))) tx.delete('appAssignments', hubId, a.key);
    }
  }
  const invitedByHubwarden = new Set<string>();
  for (const m of reading.members) {
    const inviteId = m.inviteId ?? known.get(m.id)?.inviteId ?? acceptedInviteId;
    if (!known.has(m.id) && inviteId !== undefined && sentByHubwarden.has(inviteId)) invitedByHubwarden.add(m.id);
  }
  // Read only when a grant is new to the snapshot (one index look-up for the hub).
  const assignsTried = reading.assignments.some((a) => !madeBefore.has(assignmentKey(a))) ? await assignsTriedOn(tx, hubId) : new Set<string>();
  for (const a of reading.assignments) {
    const key = assignmentKey(a);
    const madeBy = grantMadeBy(key, a, madeBefore, invitedByHubwarden, assignsTried);
    tx.put('appAssignments', hubId, key, withoutUndefined({ hubId, key, asset: { type: a.asset.type, id: a.asset.id }, userId: a.userId, userType: a.userType, businessId: a.businessId, tasks: a.tasks, madeBy }));
  }
  for (const key of gone) tx.delete('appAssets', hubId, key);
  return { members: reading.members.length, invites: reading.invites.length, assignments: reading.assignments.length, missingAssets: gone.size };
}
