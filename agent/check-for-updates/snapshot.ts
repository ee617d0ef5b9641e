/**
 * From one complete reading of the app to the hub's snapshot records (agent/app-state/records.ts).
 * Pure: the previous snapshot and the clock come in as arguments.
 *
 * What carries over from the previous snapshot: when a member was first seen, which invite a
 * member came from, whether hubwarden sent an invite and how often it re-sent it. Invites the
 * agent sent while this reading ran are kept (the listing started before they existed; dropping
 * them would make the next plan invite the same person twice), as are the seats, roles and asset
 * tasks it recorded meanwhile, and what it removed meanwhile stays removed.
 */
import type { AppReading } from './read-app.ts';
import type {
  AppAssetRecord, AppAssignmentRecord, AppInviteRecord, AppMemberRecord, AppPartnerRecord, AppSystemUserRecord, PartnerUserRecord,
} from '../app-state/records.ts';
import { assignmentKey } from '../app-state/records.ts';
import { withoutUndefined } from '../matching/match-members.ts';
import { emailKey } from '../matching/email-key.ts';
import { inviteStatusAt } from '../app-state/invite-status.ts';
import { assignmentRemovalId, inviteRowId } from '../standing/row-ids.ts';
import { grantMadeBy } from '../app-state/grant-maker.ts';

export interface HubSnapshot {
  members: AppMemberRecord[];
  invites: AppInviteRecord[];
  systemUsers: AppSystemUserRecord[];
  assets: AppAssetRecord[];
  assignments: AppAssignmentRecord[];
  partners: AppPartnerRecord[];
  partnerUsers: PartnerUserRecord[];
}

/** A partner relation's key: a business may be our agency and our client at once (AppPartnerRecord). */
export const partnerKey = (p: { businessId: string; relation: string }): string => `${p.businessId}:${p.relation}`;
export const partnerUserKey = (u: { partnerBusinessId: string; userId: string }): string => `${u.partnerBusinessId}:${u.userId}`;
const lower = (email: string | undefined) => (email === undefined ? undefined : emailKey(email));
/** The id prefix of an invite the agent recorded before it knew Meta's id (tasks/operations/snapshot-update.ts). */
const PROVISIONAL_INVITE = 'pending:';

export interface BuildInput {
  hubId: string;
  reading: AppReading;
  previous: HubSnapshot;
  /** When the reading started (ISO): records the agent wrote after it are its own fresh changes. */
  startedAt: string;
  /** Rows (member ids, `invite:<id>`) the agent removed after the reading started (snapshot-store.ts, removedDuring). */
  removed?: ReadonlySet<string>;
  /** Grants hubwarden tried to make without recording them (app-state/grant-maker.ts assignsTriedOn): hubwarden's if listed. */
  assignsTried?: ReadonlySet<string>;
  now: string;
}

/**
 * The previous record when only `lastSeenAt` would change: a check that finds a member as it was
 * rewrites nothing (11,000 records an hour on a 10,000-member hub), and the record's `lastSeenAt`
 * says when it last changed; the last import's time says when it was last seen (effectiveLastSeen).
 */
function unlessUnchanged<T extends { lastSeenAt: string }>(prev: T | undefined, next: T): T {
  if (!prev) return next;
  return JSON.stringify({ ...prev, lastSeenAt: '' }) === JSON.stringify({ ...next, lastSeenAt: '' }) ? prev : next;
}

export function buildSnapshot({ hubId, reading: paged, previous, startedAt, now, removed, assignsTried = new Set() }: BuildInput): HubSnapshot {
  // A listing whose pages shifted while it was read (a person added or removed meanwhile) can
  // list someone twice: one record each, the later page's (newer). Kept twice, the person was
  // two rows: counted, matched, and reported (drift, audit) twice.
  const listed: AppReading = {
    ...paged,
    members: onceEach(paged.members, (m) => m.id),
    invites: onceEach(paged.invites, (i) => i.id),
    systemUsers: onceEach(paged.systemUsers, (s) => s.id),
    assets: onceEach(paged.assets, (a) => `${a.type}:${a.id}`),
    assignments: onceEach(paged.assignments, assignmentKey),
    partners: onceEach(paged.partners, partnerKey),
    partnerUsers: onceEach(paged.partnerUsers, partnerUserKey),
  };
  // A seat or invite the agent removed while the reading ran may still be listed in it: the
  // listing is older than the removal, so the row stays gone (not a member added by hand).
  const kept = removed?.size ? {
    ...listed,
    members: listed.members.filter((m) => !removed.has(m.id)),
    invites: listed.invites.filter((i) => !removed.has(inviteRowId(i.id))),
  } : listed;
  const prevMembers = new Map(previous.members.map((m) => [m.id, m]));
  // The invites are read before the members (read-app.ts): a person who accepted between the two
  // reads is listed pending AND as a member new since the last snapshot. The member listing is the
  // newer: the invite was accepted, and is taken as no longer listed (found below by the member's
  // email or invite id, as an acceptance between two checks is). Kept pending, the seat of a
  // person who accepted hubwarden's invite was reported as joined by hand.
  const reading = { ...kept, invites: withoutJoined(kept.invites, kept.members.filter((m) => !prevMembers.has(m.id))) };
  const prevInvites = new Map(previous.invites.map((i) => [i.id, i]));
  const listedInviteIds = new Set(reading.invites.map((i) => i.id));

  // Invites hubwarden sent that left the pending list: the person accepted, if a member with that
  // email is there now (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users: they become a business user only when they accept).
  const vanishedInvitesByEmail = new Map<string, AppInviteRecord>();
  for (const invite of previous.invites) {
    if (!listedInviteIds.has(invite.id) && invite.status === 'pending') vanishedInvitesByEmail.set(lower(invite.email)!, invite);
  }

  // An invite still held under its provisional id (`pending:<email>`: accepted before any check
  // listed it under the app's id) that a new member says it came from: the member names the app's
  // id, which the snapshot never held, and the email the invite was sent to (`invitedEmail`, Meta:
  // BusinessRoleRequest `email`). Accepted under another email, it was found by neither: recorded
  // as cancelled in the app (drift, re-sent once) and, not renamed to the member, its directory
  // user's match did not follow the seat (renamed-rows.ts), so the person looked unmatched.
  const provisionalAccepted = new Map<string, AppInviteRecord>(); // member id → the provisional invite
  for (const m of reading.members) {
    if (prevMembers.has(m.id) || !m.invitedEmail || (m.inviteId !== undefined && prevInvites.has(m.inviteId))) continue;
    const invite = vanishedInvitesByEmail.get(lower(m.invitedEmail)!);
    if (invite?.id.startsWith(PROVISIONAL_INVITE)) provisionalAccepted.set(m.id, invite);
  }

  const members = reading.members.map((m): AppMemberRecord => {
    const prev = prevMembers.get(m.id);
    // Written by the agent while this reading ran (a role it changed after the page was read):
    // newer than the reading, and not drift. As for invites below.
    if (prev && prev.lastSeenAt >= startedAt) return prev;
    const accepted = !prev ? vanishedInvitesByEmail.get(lower(m.email) ?? '') : undefined;
    return unlessUnchanged(prev, withoutUndefined({
      hubId, id: m.id, email: m.email, name: m.name, role: m.role, tasks: m.tasks, removalPending: m.removalPending,
      // The provisional id the snapshot knows the invite by: acceptance, the rename of its row and
      // who sent it (grant-maker.ts) all find the invite through it.
      inviteId: provisionalAccepted.get(m.id)?.id ?? m.inviteId ?? prev?.inviteId ?? accepted?.id,
      firstSeenAt: prev?.firstSeenAt ?? now, lastSeenAt: now,
    }));
  });
  // A seat the agent recorded while this reading ran (an invite the app answered "already a
  // member", tasks/operations/snapshot-update.ts) whose page was read before it: newer than the
  // listing. Dropped, it was reported as leaving the app, then as joining by hand at the next check.
  // A member listing the credential filters (read-app.ts membersHidden: the assignments name members
  // it lacks) is no evidence that anyone left: every member it does not list is kept as last seen.
  // Dropped, a hidden person was reported as removed by hand and, seatless, invited again.
  const listedMemberIds = new Set(reading.members.map((m) => m.id));
  const filtered = (reading.hiddenMembers?.length ?? 0) > 0;
  for (const prev of previous.members) if (!listedMemberIds.has(prev.id) && (filtered || prev.lastSeenAt >= startedAt) && !removed?.has(prev.id)) members.push(prev);
  const memberEmails = new Set(members.map((m) => lower(m.email)).filter(Boolean));
  // The invites the listed members say they came from (Meta: BusinessUser `business_role_request`,
  // connectors/meta-business/mappers/member.ts). A person may accept under another email than the
  // one invited (the account they sign in with): the invite is accepted all the same. Found by
  // email only, it was recorded as cancelled in the app, reported as drift, and re-sent once to
  // the person who already held the seat.
  const acceptedInviteIds = new Set(reading.members.map((m) => m.inviteId).filter((id): id is string => id !== undefined));
  for (const invite of provisionalAccepted.values()) acceptedInviteIds.add(invite.id);

  // An invite the agent recorded before it knew Meta's id (`pending:<email>`, or a re-sent one) is
  // the listed invite with the same email: it keeps hubwarden's bookkeeping (sent by us, re-sends).
  const unlistedByEmail = new Map<string, AppInviteRecord>();
  for (const invite of previous.invites) if (!listedInviteIds.has(invite.id) && invite.status === 'pending') unlistedByEmail.set(lower(invite.email)!, invite);
  const listedEmails = new Set(reading.invites.map((i) => lower(i.email)));

  // An expired or declined invite is history once the person has a newer pending invite (the
  // agent re-sent it: Meta keeps listing the old one) or a seat. Kept, it would look like a new
  // failed invite and be re-sent again, and again.
  const liveEmails = new Set<string | undefined>(memberEmails);
  for (const i of reading.invites) if (i.status === 'pending') liveEmails.add(lower(i.email));
  for (const i of previous.invites) if (i.status === 'pending' && i.lastSeenAt >= startedAt) liveEmails.add(lower(i.email));
  const current = reading.invites.filter((i) => i.status === 'pending' || !liveEmails.has(lower(i.email)));

  const invites = current.map((i): AppInviteRecord => {
    const listed = prevInvites.get(i.id);
    // Written by the agent while this reading ran (a role it changed on the invite after the page
    // was read): newer than the listing, as for members above. Taken from the listing, the old
    // role came back and the next plan changed the invite's role again.
    if (listed && listed.lastSeenAt >= startedAt) return listed;
    // A provisional record (`pending:<email>`, Meta's id not known yet) is the listed invite of its
    // email whatever that invite's status: declined or expired before this check, it is still the
    // invite hubwarden sent. Without its bookkeeping it was reported as invited by hand and "not
    // sent by hubwarden", and its re-send count started again.
    const unlisted = unlistedByEmail.get(lower(i.email)!);
    const prev = listed ?? (i.status === 'pending' || unlisted?.id.startsWith(PROVISIONAL_INVITE) ? unlisted : undefined);
    // An app that gives no expiry (AppInvite.assumedLifetimeMs): an invite first listed now, not
    // sent by the agent (which records one at sending, snapshot-update.ts), lasts that long from
    // now. Without it, one made in the app stayed pending for ever: a seat, never re-sent.
    const assumed = i.status === 'pending' && i.assumedLifetimeMs !== undefined ? new Date(Date.parse(now) + i.assumedLifetimeMs).toISOString() : undefined;
    const expiresAt = i.expiresAt ?? prev?.expiresAt ?? assumed;
    const status = inviteStatusAt({ status: i.status, expiresAt }, now);
    return unlessUnchanged(listed, withoutUndefined({
      hubId, id: i.id, email: i.email, role: i.role, tasks: i.tasks, status,
      createdAt: i.createdAt ?? prev?.createdAt, expiresAt,
      sentByHubwarden: prev?.sentByHubwarden ?? false, resendCount: prev?.resendCount ?? 0, lastSeenAt: now,
    }));
  });
  for (const prev of previous.invites) {
    if (listedInviteIds.has(prev.id)) continue;
    if (prev.status === 'pending' && listedEmails.has(lower(prev.email))) continue; // the listed invite took its place
    if (prev.lastSeenAt >= startedAt) {
      invites.push(prev); // written by the agent during this reading
    } else if (prev.status !== 'pending' && prev.status !== 'accepted') {
      invites.push(prev); // already known expired/declined/canceled: kept until the plan re-sends or reports it
    } else if (!memberEmails.has(lower(prev.email)) && !acceptedInviteIds.has(prev.id)) {
      // Gone from pending_users without a member to show for it (Meta lists invites only while
      // pending, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users): past its expiry it expired, before it someone cancelled it.
      const expired = prev.expiresAt !== undefined && prev.expiresAt <= now;
      invites.push({ ...prev, status: expired ? 'expired' : 'canceled', lastSeenAt: now });
    }
    // else: accepted; the member record carries the inviteId now.
  }

  // A section that could not be read keeps what the previous snapshot knew of it (read-app.ts).
  const unread = new Set(reading.unavailable.map((u) => u.section));
  const madeBy = grantMaker(previous, members, prevMembers, assignsTried);
  // The system-user listing unread (kept as last seen, below): a holder it held last time and the
  // member listing does not hold now is still a system user, as holdersByListing (read-app.ts)
  // types one the listing names; left to the connector's type, its grant was stored as a person's.
  const lastSystem = unread.has('system users') ? new Set(previous.systemUsers.map((s) => s.id)) : new Set<string>();
  const listedMembers = new Set(reading.members.map((m) => m.id));
  const typed = (a: AppReading['assignments'][number]) => (a.userType === 'member' && lastSystem.has(a.userId) && !listedMembers.has(a.userId) ? { ...a, userType: 'system-user' as const } : a);
  const assignments = unread.has('assignments') ? [...previous.assignments] : reading.assignments.map(typed).map((a): AppAssignmentRecord => withoutUndefined({
    hubId, key: assignmentKey(a), asset: { type: a.asset.type, id: a.asset.id }, userId: a.userId, userType: a.userType, businessId: a.businessId, tasks: a.tasks,
    madeBy: madeBy(a),
  }));

  // Asset types that could not be listed keep what we knew of them (reported in the run). So do
  // the assets a type listed only in part could not list (say the client assets, when the app
  // refused that part), with their assignments: not listed is not gone, and dropped, their holders
  // were reported as removed by hand and granted again.
  const unreadable = new Set<string>(reading.unreadableAssetTypes.map((u) => u.type));
  const unlisted = unlistedAssets(reading, previous.assets);
  // So do the assets listed whose holders the credential may not read (unreadableAssignments).
  const holdersUnread = new Set((reading.unreadableAssignments ?? []).map((u) => `${u.asset.type}:${u.asset.id}`));
  if (!unread.has('assignments')) {
    for (const prev of previous.assignments) {
      const at = `${prev.asset.type}:${prev.asset.id}`;
      if (unreadable.has(prev.asset.type) || unlisted.has(at) || holdersUnread.has(at)) assignments.push(prev);
    }
    keepAgentsAssignments(assignments, previous.assignments, startedAt, removed);
  }
  const assets = reading.assets.map((a): AppAssetRecord => withoutUndefined({ hubId, type: a.type, id: a.id, name: a.name, ownership: a.ownership, permittedTasks: a.permittedTasks }));
  for (const prev of previous.assets) if (unreadable.has(prev.type) || unlisted.has(`${prev.type}:${prev.id}`)) assets.push(prev);

  const failedPartners = new Set(reading.partnerFailures.filter((f) => !f.assetType).map((f) => f.partnerBusinessId));
  const partnerUsers = reading.partnerUsers.map((u): PartnerUserRecord => withoutUndefined({
    hubId, key: partnerUserKey(u), partnerBusinessId: u.partnerBusinessId, userId: u.userId, name: u.name, email: u.email, userType: u.userType, assignments: u.assignments,
  }));
  // Partners whose people could not be read keep what we knew of them (reported in the run).
  for (const prev of previous.partnerUsers) if (failedPartners.has(prev.partnerBusinessId)) partnerUsers.push(prev);
  // A partner read but for some asset types (its token may not read them): its people keep the
  // assignments we knew on those types, never read as "nobody holds them" (that would plan removals).
  const unreadByPartner = new Map<string, Set<string>>();
  for (const f of reading.partnerFailures) {
    if (!f.assetType || failedPartners.has(f.partnerBusinessId)) continue;
    const types = unreadByPartner.get(f.partnerBusinessId) ?? new Set<string>();
    types.add(f.assetType);
    unreadByPartner.set(f.partnerBusinessId, types);
  }
  const partnerUserByKey = new Map(partnerUsers.map((u) => [u.key, u]));
  for (const prev of previous.partnerUsers) {
    const types = unreadByPartner.get(prev.partnerBusinessId);
    const kept = types ? prev.assignments.filter((a) => types.has(a.asset.type)) : [];
    if (kept.length === 0) continue;
    const current = partnerUserByKey.get(prev.key);
    if (current) {
      const at = partnerUsers.indexOf(current);
      partnerUsers[at] = { ...current, assignments: [...current.assignments.filter((a) => !types!.has(a.asset.type)), ...kept] };
      partnerUserByKey.set(prev.key, partnerUsers[at]);
    } else {
      const record = { ...prev, assignments: kept };
      partnerUsers.push(record);
      partnerUserByKey.set(prev.key, record);
    }
  }

  return {
    members,
    invites,
    systemUsers: unread.has('system users') ? [...previous.systemUsers] : reading.systemUsers.map((s) => withoutUndefined({ hubId, id: s.id, name: s.name, role: s.role })),
    assets,
    assignments,
    partners: unread.has('partners') ? [...previous.partners] : partnersRead(hubId, reading, previous),
    partnerUsers: unread.has('partners') ? [...previous.partnerUsers] : partnerUsers,
  };
}

/**
 * The partners as read, except the shares of our assets of a type the credential could not list
 * (`unreadable`) when the listing shows none of that type: those keep what we knew. An app may read
 * such shares asset by asset (Meta reads a pixel's partners on the pixel), so a credential that
 * cannot list the assets cannot see their shares either; taken as read, every one of them was
 * audited "no longer shared", and "shared" again once the credential could list them.
 */
function partnersRead(hubId: string, reading: AppReading, previous: HubSnapshot): AppPartnerRecord[] {
  const partners = reading.partners.map((p): AppPartnerRecord => withoutUndefined({ hubId, key: partnerKey(p), businessId: p.businessId, name: p.name, relation: p.relation, assets: p.assets }));
  const unseen = unseenShareTypes(reading);
  if (unseen.size === 0) return partners;
  const byKey = new Map(partners.map((p, i) => [p.key, i]));
  for (const prev of previous.partners) {
    if (prev.relation !== 'agency') continue;
    const kept = prev.assets.filter((a) => unseen.has(a.type));
    if (kept.length === 0) continue;
    const key = partnerKey(prev);
    const at = byKey.get(key);
    if (at === undefined) {
      byKey.set(key, partners.push({ ...prev, key, assets: kept }) - 1);
    } else {
      partners[at] = { ...partners[at]!, assets: [...partners[at]!.assets, ...kept] };
    }
  }
  return partners;
}

/**
 * The asset types whose shares a reading of the partners could not see: types the credential could
 * not list, of which the listing shows no share with a partner. Their shares keep what was known.
 */
export function unseenShareTypes(reading: Pick<AppReading, 'partners' | 'unreadableAssetTypes'>): Set<string> {
  const shown = new Set(reading.partners.flatMap((p) => p.relation === 'agency' ? p.assets.map((a) => a.type) : []));
  return new Set(reading.unreadableAssetTypes.map((u) => u.type).filter((type) => !shown.has(type)));
}

/** Who made each listed grant (app-state/grant-maker.ts), with what the previous snapshot knew. */
function grantMaker(previous: HubSnapshot, members: readonly AppMemberRecord[], prevMembers: ReadonlyMap<string, AppMemberRecord>, assignsTried: ReadonlySet<string>): (a: { asset: { type: string; id: string }; userId: string; userType: string }) => AppAssignmentRecord['madeBy'] {
  const madeBefore = new Map(previous.assignments.map((a) => [a.key, a.madeBy]));
  const sentByHubwarden = new Set(previous.invites.filter((i) => i.sentByHubwarden).map((i) => i.id));
  const invitedByHubwarden = new Set(members.filter((m) => !prevMembers.has(m.id) && m.inviteId !== undefined && sentByHubwarden.has(m.inviteId)).map((m) => m.id));
  return (a) => grantMadeBy(assignmentKey(a), a, madeBefore, invitedByHubwarden, assignsTried);
}

/**
 * Asset tasks the agent assigned or removed after the reading started (an assign-asset or
 * unassign-asset it completed meanwhile, tasks/operations/snapshot-update.ts), and the tasks of a
 * seat it removed meanwhile, win over the listing, which is older: as for roles and invites above.
 * Taken from the listing, the agent's own grant was reported as tasks "removed in the app" by hand
 * (audited as drift, and held under `safety.drift: report`), and a removal it had made came back.
 */
function keepAgentsAssignments(assignments: AppAssignmentRecord[], previous: readonly AppAssignmentRecord[], startedAt: string, removed: ReadonlySet<string> | undefined): void {
  const gone = (a: AppAssignmentRecord) => removed !== undefined && (removed.has(assignmentRemovalId(a.key)) || (a.userType === 'member' && removed.has(a.userId)));
  const at = new Map<string, number>();
  let kept = 0;
  for (const a of assignments) {
    if (gone(a)) continue;
    at.set(a.key, kept);
    assignments[kept++] = a;
  }
  assignments.length = kept;
  for (const prev of previous) {
    if (prev.changedAt === undefined || prev.changedAt < startedAt) continue;
    const i = at.get(prev.key);
    if (i !== undefined) assignments[i] = prev;
    else assignments.push(prev);
  }
}

/**
 * Keys (`type:id`) of the known assets a partial listing could not cover: of a type listed only in
 * part (`incompleteAssetTypes`), of the refused part's ownership (any, when it names none), and
 * missing from the listing.
 */
function unlistedAssets(reading: AppReading, known: readonly AppAssetRecord[]): Set<string> {
  const out = new Set<string>();
  if (!reading.incompleteAssetTypes?.length) return out;
  const listed = new Set(reading.assets.map((a) => `${a.type}:${a.id}`));
  for (const prev of known) {
    const key = `${prev.type}:${prev.id}`;
    if (listed.has(key)) continue;
    if (reading.incompleteAssetTypes.some((g) => g.type === prev.type && (g.ownership === undefined || g.ownership === prev.ownership))) out.add(key);
  }
  return out;
}

/** The listed invites but the pending ones of `joined` (members new in this reading: by the invite id they name, or by email). */
function withoutJoined(invites: AppReading['invites'], joined: AppReading['members']): AppReading['invites'] {
  if (joined.length === 0) return invites;
  const ids = new Set(joined.map((m) => m.inviteId).filter((id): id is string => id !== undefined));
  const emails = new Set(joined.flatMap((m) => [lower(m.email), lower(m.invitedEmail)]).filter((e): e is string => e !== undefined));
  return invites.filter((i) => i.status !== 'pending' || !(ids.has(i.id) || emails.has(lower(i.email)!)));
}

/** Each item once by `key`, the last listing of it winning, in the order first listed (no copy when nothing repeats). */
function onceEach<T>(items: T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) byKey.set(key(item), item);
  return byKey.size === items.length ? items : [...byKey.values()];
}
