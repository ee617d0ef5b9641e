import type { AppAssignmentRecord, AppInviteRecord, AppMemberRecord, AppSystemUserRecord, ExemptionRecord, MemberMatchRecord } from '../app-state/records.ts';
import type { AssetRef } from '../../connectors/sdk/hub-model.ts';
import type { EffectiveGrant } from '../grants/effective-grant.ts';
import type { RoleRules } from '../grants/role-rules.ts';
import type { HeldOperation, Operation, OperationReason, PlanResult } from './operation.ts';
import { inviteStatusAt } from '../app-state/invite-status.ts';
import { exemptionInForce } from '../standing/exemption.ts';
import { inviteRowId } from '../standing/row-ids.ts';
import { cancelInviteOperation, closeLapsedInviteOperation, memberRoleKeyOf, removeMemberOperation } from './removal.ts';
import { describeReason, givesAtLeast, inviteAssetsOf, protect, reinviteOperation, roleChangeEffect, sameTasks } from './plan-effects.ts';
import { emailKey } from '../matching/email-key.ts';
import { claimantAmong } from '../matching/claimant.ts';
import { inFlightKey } from './removal-in-flight.ts';

/** Desired state of one hub: every directory user's grant, and users the IdP deleted. */
export interface PlanDesired {
  hubId: string;
  grants: EffectiveGrant[];
  /** Deleted directory users (their records are gone; their emails still identify their seats). */
  departed: Array<{ directoryUserId: string; emails: string[] }>;
  /** Assets named in the hub's teams: the only ones the plan unassigns from. */
  managedAssets: AssetRef[];
  /** A person's plan: directory users (live) that matches of rows in its slice name, not read into it. */
  unreadMatched?: string[];
}

/** The app snapshot (agent/app-state/records.ts). */
export interface PlanActual {
  /** Did the last import read every page? Without it nothing is removed. */
  complete: boolean;
  /**
   * The last import found the member listing filtered by the credential (people assigned to
   * assets it does not list, check-for-updates/read-app.ts membersHidden): anyone may hold a seat
   * it does not show, so nobody is invited (or re-invited) until it lists every member.
   */
  membersHidden?: boolean;
  /** The last import kept some asset holders as last seen (partial-hold.ts assignmentsUnreadIn): no asset access is lowered. */
  assignmentsUnread?: boolean;
  members: readonly AppMemberRecord[];
  invites: readonly AppInviteRecord[];
  systemUsers: readonly AppSystemUserRecord[];
  assignments: readonly AppAssignmentRecord[];
  matches: readonly MemberMatchRecord[];
  exemptions: readonly ExemptionRecord[];
  /**
   * (row, directory user) pairs whose removal is in flight (removal-in-flight.ts, keys by
   * `inFlightKey`): read by both plan inputs for the rows where it decides anything.
   */
  removalsInFlight?: ReadonlySet<string>;
}

export interface PlanPolicy {
  /** ISO time: lapsed exemptions and expired invites are judged against it. */
  now: string;
  rules: RoleRules;
  /** How often an expired invite is sent again (once). */
  maxResends?: number;
  /** Plan only for these people (a per-person reconcile); counts still use the whole snapshot. */
  scope?: { directoryUserIds: string[]; emails: string[] };
  /**
   * The hub's `safety.drift`. Required, so every plan (hub, person, settle pass, the re-check
   * before a call) decides alike: under `report` a grant hubwarden did not make is not unassigned.
   */
  drift: 'correct' | 'report';
}

/** Why the unassign of a grant hubwarden did not make waits (`safety.drift: report`). */
export const NOT_MADE_BY_HUBWARDEN_WHY = 'a grant hubwarden did not make (it was in the app when hubwarden first read it, or made by hand); left with safety.drift = report';

type Governing = { grant?: EffectiveGrant; reason: OperationReason; directoryUserId?: string };
const assetKey = (a: AssetRef) => `${a.type}:${a.id}`;

/**
 * The plan: pure (desired, actual, policy) → operations.
 * No I/O, no clock but `policy.now`, so it is tested table-style and printed by `hubwarden plan`.
 */
export function plan(desired: PlanDesired, actual: PlanActual, policy: PlanPolicy): PlanResult {
  const ops: Operation[] = [];
  const held: HeldOperation[] = [];
  const rules = policy.rules;
  const maxResends = policy.maxResends ?? 1;

  const byUserId = new Map(desired.grants.map((g) => [g.directoryUserId, g]));
  const byEmail = new Map<string, EffectiveGrant>();
  // An email two directory users share names no one person: a row found only by it is disputed
  // (check for updates reports it for an owner to match), and the plan leaves it alone rather
  // than act on whichever account it met first (a deactivated twin would remove the other's seat).
  // An email only one of them claims (the others deactivated: a leaver and their rehire) names
  // that one, as matching gives it the seat (match-members.ts `SOLE_ACTIVE`).
  const sharedEmails = new Set<string>();
  const holdersOf = new Map<string, EffectiveGrant[]>();
  for (const g of desired.grants) {
    for (const e of g.emails.length > 0 ? g.emails : g.email ? [g.email] : []) {
      const holders = holdersOf.get(e);
      if (!holders) holdersOf.set(e, [g]);
      else if (!holders.some((h) => h.directoryUserId === g.directoryUserId)) holders.push(g);
    }
  }
  for (const [e, holders] of holdersOf) {
    const claimant = claimantAmong(holders, (h) => h.inactive === 'deactivated');
    if (claimant) byEmail.set(e, claimant);
    else {
      byEmail.set(e, holders[0]!);
      sharedEmails.add(e);
    }
  }
  const inFlight = actual.removalsInFlight ?? new Set<string>();
  const departedById = new Set(desired.departed.map((d) => d.directoryUserId));
  const unreadMatched = new Set(desired.unreadMatched);
  const departedEmails = new Set(desired.departed.flatMap((d) => d.emails.map(emailKey)));
  const exempt = new Set(actual.exemptions.filter((x) => exemptionInForce(x, policy.now)).map((x) => x.memberId));
  const systemIds = new Set(actual.systemUsers.map((s) => s.id));
  const matchOf = new Map(actual.matches.map((m) => [m.memberId, m]));
  const managed = new Set(desired.managedAssets.map(assetKey));
  const scopeIds = policy.scope ? new Set(policy.scope.directoryUserIds) : undefined;
  const scopeEmails = policy.scope ? new Set(policy.scope.emails.map(emailKey)) : undefined;
  const inScope = (g: Governing, email?: string) =>
    !scopeIds || (g.directoryUserId !== undefined && scopeIds.has(g.directoryUserId)) || (email !== undefined && scopeEmails!.has(emailKey(email)));

  /** Who governs an app row: its match record, else its email; undefined = not ours to touch. */
  function governing(rowId: string, email: string | undefined): Governing | undefined {
    const m = matchOf.get(rowId);
    if (m && (m.outcome === 'guest' || m.outcome === 'exempted')) return undefined;
    // An owner's un-match ("this seat is not that directory user": a recycled or shared address)
    // leaves the row unmatched, and an unmatched row is the owner's to decide (README, Matching:
    // "An unmatched member is not removed automatically"); finding its email below would govern
    // it by the very user the owner un-matched it from.
    if (m?.manual && m.outcome === 'unmatched') return undefined;
    // A disputed row (match-members.ts: several directory users claim it, e.g. one user's email
    // moved on and another's now names the row) is the owner's to decide, whatever its email says.
    if (m && m.outcome === 'unmatched' && m.candidates?.length) return undefined;
    const e = email === undefined ? undefined : emailKey(email);
    const byRowEmail = e && !sharedEmails.has(e) ? byEmail.get(e) : undefined;
    // The leaver's removal of this seat is in flight (queued, reported, held for approval) and a
    // rehire's account has its email: still the leaver's seat, removed as decided (matching keeps
    // it theirs too, match-members.ts `REMOVAL_IN_FLIGHT`); the rehire is invited once it is gone.
    // Governed by the rehire's email instead, the removal's re-plan dropped it and the rehire
    // inherited the leaver's seat with its role and assets. Only while the leaver is still not
    // active (deactivated, suspended, offboarded) or deleted: active again, the removal is dropped.
    if (m?.directoryUserId && !m.manual && m.outcome === 'onboarded' && inFlight.has(inFlightKey(rowId, m.directoryUserId))) {
      const g = byUserId.get(m.directoryUserId);
      if (g && !g.active) return { grant: g, reason: 'deactivated', directoryUserId: g.directoryUserId };
      if (!g && (!policy.scope || departedById.has(m.directoryUserId))) return { reason: 'deleted', directoryUserId: m.directoryUserId };
    }
    if (m?.directoryUserId) {
      const g = byUserId.get(m.directoryUserId);
      // Matched automatically, and now another live directory user's email names the row too (a
      // second account created with the person's email): check for updates makes it disputed
      // (match-members.ts), and until it does the stale match must not act on it either: the
      // first account's deactivation removed the seat the other, active one was owed.
      // It stays the matched person's seat meanwhile (as a disputed row is each candidate's): no second invite.
      if (g && !m.manual && e && (sharedEmails.has(e) || (byRowEmail !== undefined && byRowEmail.directoryUserId !== g.directoryUserId))) {
        seated.add(g.directoryUserId);
        return undefined;
      }
      if (g) return { grant: g, reason: g.active ? 'unassigned' : 'deactivated', directoryUserId: g.directoryUserId };
      // The matched user was deleted, but a live directory user holds the row's email now (the
      // IdP deleted the person and created them again: a new SCIM id, RFC 7644 §3.3). Matching
      // gives the row to that user at the next check for updates (match-members.ts: a deleted user
      // keeps a row only while no live user's email names it); until then the stale match made
      // the returning person's seat "a deleted user's" and removed it. A person's plan reads only
      // their slice, so a matched user it did not read is known deleted only by their record.
      // A live user a person's slice met only as a row's match (person-input.ts): not deleted, and the seat theirs meanwhile.
      if (unreadMatched.has(m.directoryUserId)) { seated.add(m.directoryUserId); return undefined; }
      const deleted = !policy.scope || departedById.has(m.directoryUserId);
      if (deleted && e && sharedEmails.has(e)) return undefined; // several live users claim it: disputed, an owner's to decide
      if (deleted && byRowEmail) return { grant: byRowEmail, reason: byRowEmail.active ? 'unassigned' : 'deactivated', directoryUserId: byRowEmail.directoryUserId };
      return { reason: 'deleted', directoryUserId: m.directoryUserId };
    }
    if (!e || sharedEmails.has(e)) return undefined;
    const g = byRowEmail;
    if (g) return { grant: g, reason: g.active ? 'unassigned' : 'deactivated', directoryUserId: g.directoryUserId };
    if (departedEmails.has(e)) {
      const d = desired.departed.find((x) => x.emails.some((y) => emailKey(y) === e));
      return { reason: 'deleted', directoryUserId: d?.directoryUserId };
    }
    return undefined;
  }

  const seated = new Set<string>(); // directory user ids with a member row or a live invite
  const seatedEmails = new Set<string>();
  const memberEmails = new Set(actual.members.map((m) => (m.email === undefined ? undefined : emailKey(m.email))).filter((e): e is string => !!e));

  // Each member's assignments, indexed once: a scan of every assignment per member is
  // members × assignments (10k × 10k at the check-for-updates benchmark sizes: ~20 s of CPU per reconcile).
  const assignmentsOf = new Map<string, Map<string, AppAssignmentRecord>>();
  for (const a of actual.assignments) {
    if (a.userType !== 'member') continue;
    let mine = assignmentsOf.get(a.userId);
    if (!mine) assignmentsOf.set(a.userId, (mine = new Map()));
    mine.set(assetKey(a.asset), a);
  }

  // A disputed row may be any of its candidates' seat: none of them is invited again meanwhile.
  const disputedSeat = (rowId: string) => { for (const c of matchOf.get(rowId)?.candidates ?? []) seated.add(c); };
  // An exempted row is not governed (hubwarden leaves it alone), but it is still the seat of the
  // person it is matched to: after the IdP changes their email (SCIM PATCH of `emails`, RFC 7644
  // §3.5.2) the row keeps the old address, and without this they were invited again at the new one.
  const exemptedSeat = (rowId: string) => {
    const m = matchOf.get(rowId);
    if (m?.outcome === 'exempted' && m.directoryUserId) seated.add(m.directoryUserId);
  };

  // Members: role, assets, removal.
  for (const member of actual.members) {
    // A system user listed among the members (an app whose automation account is an ordinary
    // member) holds its seat: its address is never invited again, and it is never changed.
    if (member.email) seatedEmails.add(emailKey(member.email));
    if (systemIds.has(member.id)) continue;
    const gov = governing(member.id, member.email);
    disputedSeat(member.id);
    exemptedSeat(member.id);
    if (!gov) continue;
    if (gov.directoryUserId) seated.add(gov.directoryUserId);
    if (exempt.has(member.id) || !inScope(gov, member.email)) continue;
    const who = member.email ?? member.id;
    const base = { email: member.email === undefined ? undefined : emailKey(member.email), directoryUserId: gov.directoryUserId, grantedBy: gov.grant?.grantedBy };
    const grant = gov.grant;
    if (grant?.seatNotGoverned) continue; // a seat-less team or an unclaimed offer: the seat is held for another reason
    if (member.removalPending) {
      // The app is removing this seat already: removed again it is a second removal, changed it is
      // work on a seat that goes; kept it is no seat (its email and person stay seated above, so
      // no new invite either until the app has removed it). Reported for an owner either way.
      if (!grant?.appRole) {
        held.push({ operation: removeMemberOperation(member, { reason: gov.reason, because: describeReason(gov.reason, gov.grant), directoryUserId: gov.directoryUserId, grantedBy: gov.grant?.grantedBy }),
          why: `${who} is already marked for removal in the app: not removed a second time` });
      } else {
        const email = emailKey(grant.email ?? member.email ?? '');
        held.push({ operation: { kind: 'invite', key: `invite:${email || grant.directoryUserId}`, email, role: grant.appRole, effect: 'grant', reason: 'assigned', directoryUserId: grant.directoryUserId, grantedBy: grant.grantedBy,
          summary: `keep ${who} as ${grant.appRole} (${grant.grantedBy.join(', ')})` },
        why: `${who} is marked for removal in the app: the seat is not counted as kept and the person is not added again while the app removes it; an owner must follow up (undo the removal in the app, or let it finish: the next plan invites them)` });
      }
      continue;
    }
    if (!grant?.appRole) {
      ops.push(removeMemberOperation(member, { reason: gov.reason, because: describeReason(gov.reason, gov.grant), directoryUserId: gov.directoryUserId, grantedBy: gov.grant?.grantedBy }));
      continue;
    }
    if (grant.appRole !== member.role.toUpperCase()) {
      ops.push({ ...base, kind: 'change-member-role', key: memberRoleKeyOf(member.id, grant.appRole), memberId: member.id, from: member.role, to: grant.appRole,
        effect: roleChangeEffect(rules, member.role, grant.appRole), reason: 'group-change',
        summary: `change ${who}'s role ${member.role} → ${grant.appRole} (${grant.grantedBy.join(', ')})` });
    }
    // An admin's seat gets its team's assets like any other (TikTok's connector contract: "BOUND,
    // missing an asset or holding the wrong role on it: /bc/asset/assign/"), even where the app's
    // admins reach every asset anyway (roles.adminReachesAllAssets only marks the views): the
    // explicit assignment is what the person keeps if demoted, and the holders listing shows it.
    const assigned = assignmentsOf.get(member.id) ?? new Map<string, AppAssignmentRecord>();
    const wanted = new Set<string>();
    for (const want of grant.assets) {
      const k = assetKey(want);
      wanted.add(k);
      const have = assigned.get(k);
      if (have && sameTasks(have.tasks, want.tasks)) continue;
      const upgrade = !have || givesAtLeast(rules, want.type, have.tasks, want.tasks);
      ops.push({ ...base, kind: 'assign-asset', key: `assign:${k}:${member.id}:${want.tasks.join('+')}`, memberId: member.id,
        asset: { type: want.type, id: want.id }, tasks: want.tasks, ...(have ? { from: have.tasks } : {}),
        effect: !have ? 'grant' : upgrade ? 'upgrade' : 'downgrade', reason: have ? 'group-change' : 'assigned',
        summary: `${have ? 'change' : 'assign'} ${want.type} ${want.id} for ${who}: ${have ? `[${have.tasks.join(', ')}] → ` : ''}[${want.tasks.join(', ')}]` });
    }
    // A grant on a team's asset that the person's teams do not give is unassigned when hubwarden
    // made it (TikTok's connector contract: "BOUND, holding an asset no team gives → POST
    // /bc/asset/unassign/ for grants hubwarden made itself. Other grants only when
    // safety.drift: correct"); one it found in the app (at the first import, or made by hand
    // since) is left as the hub's drift policy leaves hand-made state. A record without `madeBy`
    // is from a release before it was kept, when every such grant was unassigned: taken as
    // hubwarden's, so an upgrade changes nothing for existing grants.
    for (const [k, have] of assigned) {
      if (wanted.has(k) || !managed.has(k)) continue;
      const op: Operation = { ...base, kind: 'unassign-asset', key: `unassign:${k}:${member.id}`, memberId: member.id, asset: have.asset, from: have.tasks,
        effect: 'downgrade', reason: 'group-change', summary: `unassign ${have.asset.type} ${have.asset.id} from ${who} (had [${have.tasks.join(', ')}])` };
      if (have.madeBy === 'other' && policy.drift !== 'correct') held.push({ operation: op, why: NOT_MADE_BY_HUBWARDEN_WHY });
      else ops.push(op);
    }
  }

  // Invites: role of pending ones, cancel, re-invite expired ones, close lapsed ones no one is owed.
  const isLive = (i: AppInviteRecord) => inviteStatusAt(i, policy.now) === 'pending';
  const liveInviteEmails = new Set(actual.invites.filter(isLive).map((i) => emailKey(i.email)));
  const reinvitedTo = new Set<string>();
  const unownedLapse = new Map<string, { invite: AppInviteRecord; lapse: string }>(); // address → its lapsed invite
  // Live invites first: a person's seat (a member row, a live invite, at any of their emails) is
  // known before any lapsed invite of theirs is judged. Judged in listing order, a lapsed invite
  // at one of a person's emails was re-sent while they held a seat at another: a second seat.
  const invitesLiveFirst = [...actual.invites.filter(isLive), ...actual.invites.filter((i) => !isLive(i))];
  let seatedBeforeLapsed: ReadonlySet<string> | undefined;
  for (const invite of invitesLiveFirst) {
    if (!seatedBeforeLapsed && !isLive(invite)) seatedBeforeLapsed = new Set(seated);
    const email = emailKey(invite.email);
    if (invite.status === 'accepted') continue;
    if (memberEmails.has(email)) continue; // accepted since: the member row governs
    // A lapsed invite is history once the person has a live one (re-sent, or invited in the app).
    if (!isLive(invite) && liveInviteEmails.has(email)) continue;
    const rowId = inviteRowId(invite.id);
    const gov = governing(rowId, invite.email);
    // A declined invite is a failed one, as an expired one is: re-sent once, then held for an owner
    // (README: "re-sent once, then reported"). Skipped here, the person looked seatless and the
    // new-seat pass below invited them afresh after every decline, without end. So is one that
    // left pending_users before its expiry (`canceled`): Meta lists invites only while they are
    // pending (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users),
    // so a person's decline and an admin's cancellation in Business Manager look alike. hubwarden's
    // own cancellations delete the record (snapshot-update.ts) and never come here.
    const declined = invite.status === 'declined';
    const canceled = invite.status === 'canceled';
    const expired = !isLive(invite);
    const lapse = declined ? 'was declined' : canceled ? 'was declined, or cancelled in the app, before it expired' : 'expired';
    // A live invite is a seat whoever governs it (an exempted or guest invite too): no second invite.
    if (!expired) {
      seatedEmails.add(email);
      disputedSeat(rowId);
    }
    // As an exempted invite governed by its email is a seat, expired or not (below).
    exemptedSeat(rowId);
    if (!gov) {
      // A lapsed invite no one directory user governs (an email several share, an invite an owner
      // un-matched, a guest's): the new-seat pass below would invite its address afresh after
      // every decline, without end, where a governed one is re-sent once and then held.
      // An exempted one is left alone, and its address is its seat (as below).
      if (expired && (exempt.has(rowId) || matchOf.get(rowId)?.outcome === 'exempted')) seatedEmails.add(email);
      else if (expired) unownedLapse.set(email, { invite, lapse });
      continue;
    }
    if (gov.directoryUserId && !expired) seated.add(gov.directoryUserId);
    if (exempt.has(rowId)) {
      if (gov.directoryUserId) seated.add(gov.directoryUserId);
      continue;
    }
    if (!inScope(gov, email)) continue;
    const base = { email, directoryUserId: gov.directoryUserId, grantedBy: gov.grant?.grantedBy };
    const grant = gov.grant;
    if (grant?.seatNotGoverned) continue;
    if (!grant?.appRole) {
      const why = { reason: gov.reason, because: describeReason(gov.reason, gov.grant), directoryUserId: gov.directoryUserId, grantedBy: gov.grant?.grantedBy };
      // A lapsed invite of a person owed no seat is closed (removal.ts), else they are never invited afresh.
      ops.push(expired ? closeLapsedInviteOperation(invite, why, lapse) : cancelInviteOperation(invite, why));
      continue;
    }
    if (expired) {
      // The person holds a seat already (a member row or a live invite, at another of their
      // emails): the lapsed invite is history, not a reason for a second seat.
      if (gov.directoryUserId && seatedBeforeLapsed?.has(gov.directoryUserId)) continue;
      if (gov.directoryUserId) seated.add(gov.directoryUserId);
      seatedEmails.add(email);
      if (invite.resendCount >= maxResends) {
        held.push({ operation: { ...base, kind: 'reinvite', key: `reinvite:${invite.id}`, inviteId: invite.id, email, role: grant.appRole, resendCount: invite.resendCount, effect: 'grant', reason: 'expired-invite', summary: `re-invite ${email}` },
          why: `the invite ${lapse} and was already re-sent ${invite.resendCount} time(s); an owner must follow up` });
        continue;
      }
      // Sent again to the address the person has now: an invite matched to them (sent before the
      // IdP changed their email, SCIM PATCH of `emails`, RFC 7644 §3.5.2) went to one they no
      // longer have, which may be a dead mailbox or, recycled, someone else's.
      const to = !grant.email || grant.emails.includes(email) || grant.email === email ? email : grant.email;
      // A seat at the current address already (a live invite, a member): the lapsed one is history.
      if (to !== email && (liveInviteEmails.has(to) || memberEmails.has(to))) continue;
      // One re-send per address: a person's lapsed invites at an old and at the current address
      // (or two at one) all go to the current one, and each re-sent was a second invite there.
      if (reinvitedTo.has(to)) continue;
      reinvitedTo.add(to);
      seatedEmails.add(to);
      ops.push(reinviteOperation(invite, to, grant, `re-invite ${to} as ${grant.appRole}: the invite ${lapse}${to !== email ? ` (sent to ${email}, no longer their email)` : ''}`, gov.directoryUserId));
      continue;
    }
    if (grant.appRole !== invite.role.toUpperCase()) {
      ops.push({ ...base, kind: 'change-invite-role', key: `invite-role:${invite.id}:${grant.appRole}`, inviteId: invite.id, from: invite.role, to: grant.appRole, ...inviteAssetsOf(grant),
        effect: roleChangeEffect(rules, invite.role, grant.appRole), reason: 'group-change', summary: `change the pending invite of ${email}: ${invite.role} → ${grant.appRole}` });
    }
  }

  // New seats. One invite per address: directory users sharing an email (an old and a new
  // account, both active) are one mailbox, and each invited was two invites to it under one key.
  // The address names no one of them, so it is invited at the lowest role any of them is owed
  // (as a sign-in with a shared email gets the lowest hub role, agent/access/); once accepted the
  // seat is disputed and an owner decides whose it is.
  const invitees = new Map<string, EffectiveGrant>();
  for (const grant of desired.grants) {
    if (!grant.appRole || seated.has(grant.directoryUserId)) continue;
    if (grant.emails.some((e) => seatedEmails.has(e)) || (grant.email && seatedEmails.has(grant.email))) continue;
    if (!inScope({ reason: 'assigned', directoryUserId: grant.directoryUserId }, grant.email)) continue;
    const to = grant.email ?? `\u0000${grant.directoryUserId}`;
    const other = invitees.get(to);
    if (!other || rules.compareRoles(grant.appRole, other.appRole!) < 0) invitees.set(to, grant);
  }
  for (const grant of invitees.values()) {
    if (!grant.appRole) continue;
    const op: Operation = { kind: 'invite', key: `invite:${grant.email ?? grant.directoryUserId}`, email: grant.email ?? '', role: grant.appRole, ...inviteAssetsOf(grant), effect: 'grant', reason: 'assigned',
      directoryUserId: grant.directoryUserId, grantedBy: grant.grantedBy, summary: `invite ${grant.email ?? grant.userName} as ${grant.appRole} (${grant.grantedBy.join(', ')})` };
    const lapsed = grant.email ? unownedLapse.get(grant.email) : undefined;
    if (!grant.email) held.push({ operation: op, why: `directory user ${grant.userName} has no email to invite` });
    else if (!lapsed) ops.push(op);
    else if (lapsed.invite.resendCount < maxResends) {
      // Re-sent, as a governed lapsed invite is: its count goes up, so a second lapse is held.
      ops.push(reinviteOperation(lapsed.invite, grant.email, grant, `re-invite ${grant.email} as ${grant.appRole}: the invite ${lapsed.lapse}`));
    } else {
      held.push({ operation: op, why: `an invite to ${grant.email} ${lapsed.lapse} and was already re-sent ${lapsed.invite.resendCount} time(s), and no one directory user governs it (an email several share, or an invite an owner un-matched or took for a guest's): not invited again at that address; an owner must follow up` });
    }
  }

  return protect(ops, held, actual, policy);
}
