import type { HubConfigFile } from '../../config/schema.ts';
import { connectors } from '../../connectors/registry.ts';
import type { AppAssignmentRecord, AppInviteRecord, AppMemberRecord, AppSystemUserRecord, ExemptionRecord, MemberMatchRecord } from '../app-state/records.ts';
import type { DepartedUserRecord } from '../dispatch/departed-user.ts';
import { matchingEmailsOf, usersWithMatchingEmail, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { computeGrant, groupNamesOf, type EffectiveGrant } from '../grants/effective-grant.ts';
import type { RoleRules } from '../grants/role-rules.ts';
import { claimedGroupsOf } from '../offers/offer-record.ts';
import type { ReadView, Store } from '../store/store.ts';
import { inviteIdOf, inviteRowId } from '../standing/row-ids.ts';
import { defineDisputeIndex, defineMatchIndex, defineRowEmailIndexes, DISPUTED_BY_CANDIDATE, INVITE_BY_EMAIL, MATCH_BY_DIRECTORY_USER, MEMBER_BY_EMAIL } from '../standing/standing.ts';
import type { PlanActual, PlanDesired } from './plan.ts';
import { membersHiddenIn } from './removal.ts';
import { assignmentsUnreadIn } from './partial-hold.ts';
import { planPairsOf, removalsInFlight } from './removal-in-flight.ts';
import { emailKey } from '../matching/email-key.ts';

/** Indexes the per-person plan reads through (so one person's plan does not scan the hub). */
export const PERSON_INDEX = {
  memberByEmail: MEMBER_BY_EMAIL,
  inviteByEmail: INVITE_BY_EMAIL,
  assignmentByUser: 'appAssignments.user',
  matchByDirectoryUser: MATCH_BY_DIRECTORY_USER,
  /** `${hubId}\0${directoryUserId}` → automatic matches disputing a row between that user and others. */
  disputedByCandidate: DISPUTED_BY_CANDIDATE,
  /**
   * `${hubId}\0ADMIN` → the hub's admins (a member whose role is a connector's `roles.admin`); no
   * other role is filed (nothing looks one up). The key's `ADMIN` is the index's word, not a role.
   */
  memberByRole: 'appMembers.role',
} as const;

/** Every registered connector's admin role (`roles.admin`), upper-cased: what the admin index files. */
const REGISTERED_ADMIN_ROLES: readonly string[] = connectors.map((c) => c.roles.admin);

/**
 * `adminRoles`: the admin roles of the connectors hubs may use (default: every registered one's).
 * A member holding any of them is filed as an admin; the plan keeps those that are its hub's own
 * admin role (`rules.isAdmin`), so an app whose ordinary role shares another app's admin name is
 * not counted.
 */
export function definePersonIndexes(store: Store, adminRoles: readonly string[] = REGISTERED_ADMIN_ROLES): void {
  defineRowEmailIndexes(store);
  // Admins only: filing every member under its role was 10,000 index entries in a 10,000-member
  // hub's first check, for one lookup (the last-admin rule's). The keys admins get are unchanged,
  // so a replica of the previous release finds them during a rolling upgrade. The admin role is
  // the connector's, compared case-insensitively as `isAdminRole` does: a fixed 'ADMIN' here left
  // an app whose admin role has another name with no admin in any person's slice, so the plan
  // took the person for the hub's last admin and held every removal and demotion of an admin.
  // PostgreSQL rebuilds an index when this source changes, not when the roles do: a connector
  // renaming its admin role must rename this index (agent/store/postgres/indexes.ts).
  const admin = new Set(adminRoles.map((r) => r.toUpperCase()));
  store.defineIndex('appMembers', PERSON_INDEX.memberByRole, (m, hub) => (admin.has(m.role.toUpperCase()) ? [`${hub}\u0000ADMIN`] : []));
  store.defineIndex('appAssignments', PERSON_INDEX.assignmentByUser, (a, hub) => [`${hub}\u0000${a.userId}`]);
  defineMatchIndex(store);
  // A disputed row is still possibly the person's (match-members.ts): their plan must see it, as
  // the hub's does, or it invites them again at their new address.
  defineDisputeIndex(store);
}

export interface Person {
  directoryUserIds: string[];
  emails: string[];
}

/**
 * The slice of desired and actual state one person's plan needs: their grants, their member
 * rows, invites, assignments, matches and exemptions, plus every admin (the last-admin rule
 * counts them) and which of those rows are system users. Read by index and key only, never a
 * whole partition. Requires `defineDirectoryIndexes` and `definePersonIndexes` on the store.
 */
export async function personInput(view: ReadView, hub: HubConfigFile, person: Person, rules: RoleRules): Promise<{ desired: PlanDesired; actual: PlanActual; person: Person }> {
  const h = hub.id;
  const ids = [...new Set(person.directoryUserIds)];
  const emails = new Set(person.emails.map(emailKey));
  const grants = new Map<string, EffectiveGrant>();
  // The reads go in rounds, each asked for at once: what the directory user ids name, what the
  // emails and matched members name, then what the members and invites name (a round more for
  // each further user or email found by email). On PostgreSQL a read is a round trip and reads
  // asked for together share one (store/postgres/read-batch.ts); read one after another, a plan
  // was eight round trips, each waiting its turn on a busy event loop, twice on the way from a
  // pushed person to their invite (the dispatcher's plan and the operation's re-plan just before
  // the call). Rounds, not order, change: every record read is the one read before, and the maps
  // below fill in the same order, so the plan is the same.
  const addUsers = (found: ReadonlyArray<UserWithGroups | undefined>) => {
    for (const f of found) {
      if (!f || grants.has(f.user.id)) continue;
      grants.set(f.user.id, computeGrant(hub, f.user, f.groups, rules, f.claimed));
      // A user the IdP sent without emails (Entra sends `emails` only from `mail`, empty without a
      // mailbox: https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes)
      // is invited at an email-like userName (effective-grant.ts): their slice must look there too,
      // or it misses the seat that invite became and plans another invite instead of its changes.
      for (const e of matchingEmailsOf(f.user)) emails.add(emailKey(e));
      if (f.user.email) emails.add(emailKey(f.user.email));
    }
  };
  const looked = new Set<string>();
  const lookUp = () => {
    const next = [...emails].filter((e) => !looked.has(e));
    for (const e of next) looked.add(e);
    return Promise.all(next.map(async (e) => {
      const [users, byEmail, invited] = await Promise.all([
        // Every user matching gives the email to (a user sent without emails, by an email-like
        // userName, too): the plan's holders of an address are matching's, or the slice saw one
        // holder where the hub has two and governed (removed) the other's seat by it.
        usersWithMatchingEmail(view, h, e),
        view.lookup('appMembers', PERSON_INDEX.memberByEmail, `${h}\u0000${e}`),
        view.lookup('appInvites', PERSON_INDEX.inviteByEmail, `${h}\u0000${e}`),
      ]);
      return { users, byEmail, invited };
    }));
  };

  // Round 1: the users, their groups and claims, their departure records and matches; the emails
  // given; every admin (the last-admin rule counts them); whether the snapshot is complete.
  const [users, departedRows, found, givenEmails, filedAdmins, imported] = await Promise.all([
    usersWithGroups(view, hub, ids),
    view.getMany('departedUsers', h, ids),
    Promise.all(ids.map(async (id) => {
      const [matched, disputed] = await Promise.all([
        view.lookup('memberMatches', PERSON_INDEX.matchByDirectoryUser, `${h}\u0000${id}`),
        view.lookup('memberMatches', PERSON_INDEX.disputedByCandidate, `${h}\u0000${id}`),
      ]);
      return [...matched, ...disputed];
    })),
    lookUp(),
    view.lookup('appMembers', PERSON_INDEX.memberByRole, `${h}\u0000ADMIN`),
    view.get('appImports', h, h),
  ]);
  addUsers(users);
  // A deleted user's seats are found by the emails kept when the IdP deleted them.
  const departedRecords = departedRows.filter((d): d is Readonly<DepartedUserRecord> => d !== undefined);
  for (const d of departedRecords) for (const e of d.emails) emails.add(emailKey(e));

  // Round 2: the matched members, the users' and departed emails, the admins' exemptions and
  // system-user rows. A person with no member row yet needs no third round.
  // The index files every connector's admin role: keep this hub's.
  const admins = filedAdmins.filter((a) => rules.isAdmin(a.role));
  const adminIds = admins.map((a) => a.id);
  // Invites matched to the person (by an owner, or by an email they no longer have) are their
  // seat as much as matched members are: without them the person's plan saw no seat and invited
  // them again under their current email, while the hub's plan (which lists every invite) did not.
  // Meta files an invite under the email it was sent to
  // (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users),
  // so the person's current emails alone do not find it.
  const matchedInviteIds = [...new Set(found.flat().map((m) => inviteIdOf(m.memberId)).filter((id): id is string => id !== undefined))];
  const [memberRows, matchedInvites, userEmails, adminExempt, adminSystem] = await Promise.all([
    Promise.all(found.map((f) => view.getMany('appMembers', h, f.map((m) => m.memberId)))),
    matchedInviteIds.length > 0 ? view.getMany('appInvites', h, matchedInviteIds) : Promise.resolve([]),
    lookUp(),
    view.getMany('exemptions', h, adminIds),
    view.getMany('appSystemUsers', h, adminIds),
  ]);
  // The plan asks only whether a member row is a system user: read those rows' keys, not the list.
  const exemptionOf = new Map<string, Readonly<ExemptionRecord> | undefined>(adminIds.map((id, n) => [id, adminExempt[n]]));
  const systemOf = new Map<string, Readonly<AppSystemUserRecord> | undefined>(adminIds.map((id, n) => [id, adminSystem[n]]));
  const members = new Map<string, AppMemberRecord>();
  const matches = new Map<string, MemberMatchRecord>();
  found.forEach((f, k) => f.forEach((m, n) => {
    matches.set(m.memberId, m);
    const member = memberRows[k]![n];
    if (member) members.set(member.id, member);
    if (member?.email) emails.add(emailKey(member.email));
  }));
  const invites = new Map<string, AppInviteRecord>();
  for (const i of matchedInvites) {
    if (!i) continue;
    invites.set(i.id, i);
    emails.add(emailKey(i.email));
  }
  // Each email's users, members and invites, in the order the emails were met; emails of users
  // found this way (and members' emails not looked up yet) take another round.
  let results = [...givenEmails, ...userEmails];
  while (results.length > 0) {
    addUsers(await usersWithGroups(view, hub, results.flatMap((r) => r.users.map((u) => u.id)).filter((id) => !grants.has(id))));
    for (const r of results) {
      for (const m of r.byEmail) members.set(m.id, m);
      for (const i of r.invited) invites.set(i.id, i);
    }
    results = await lookUp();
  }

  // Round 3: what the members and invites name.
  const memberIds = [...members.keys()];
  for (const a of admins) if (!members.has(a.id)) members.set(a.id, a);
  const rowIds = [...members.keys(), ...[...invites.keys()].map((i) => inviteRowId(i))];
  const exemptUnread = rowIds.filter((id) => !exemptionOf.has(id));
  const systemUnread = [...members.keys()].filter((id) => !systemOf.has(id));
  const [memberMatches, inviteMatches, assignmentsOf, exempt, system] = await Promise.all([
    view.getMany('memberMatches', h, memberIds),
    view.getMany('memberMatches', h, [...invites.keys()].map((i) => inviteRowId(i))),
    Promise.all(memberIds.map((id) => view.lookup('appAssignments', PERSON_INDEX.assignmentByUser, `${h}\u0000${id}`))),
    view.getMany('exemptions', h, exemptUnread),
    view.getMany('appSystemUsers', h, systemUnread),
  ]);
  exemptUnread.forEach((id, n) => exemptionOf.set(id, exempt[n]));
  systemUnread.forEach((id, n) => systemOf.set(id, system[n]));
  memberIds.forEach((id, n) => {
    const match = memberMatches[n];
    if (match) matches.set(id, match);
  });
  for (const match of inviteMatches) if (match) matches.set(match.memberId, match);
  const assignments: AppAssignmentRecord[] = assignmentsOf.flat();
  const exemptions = rowIds.map((id) => exemptionOf.get(id)).filter((x): x is Readonly<ExemptionRecord> => x !== undefined) as ExemptionRecord[];
  const systemUsers = [...members.keys()].map((id) => systemOf.get(id)).filter((x): x is Readonly<AppSystemUserRecord> => x !== undefined) as AppSystemUserRecord[];
  // The users the slice's matches name that it has not read (a row met by its email, matched to a
  // person whose own email changed since: match-members.ts EMAIL_CHANGED): live (the plan leaves
  // their seat alone) or deleted (their departed record, as the hub's plan reads it). Taken for
  // deleted unread, such a seat was removed by another user's plan when they took its old address.
  const unread = [...new Set([...matches.values()].map((m) => m.directoryUserId).filter((id): id is string => id !== undefined && !grants.has(id) && !ids.includes(id)))];
  const unreadMatched: string[] = [];
  if (unread.length > 0) {
    const [live, gone] = await Promise.all([view.getMany('directoryUsers', h, unread), view.getMany('departedUsers', h, unread)]);
    unread.forEach((id, n) => { if (live[n]) unreadMatched.push(id); });
    for (const d of gone) if (d) departedRecords.push(d);
  }
  const departed = departedRecords.map((d) => ({ directoryUserId: d.directoryUserId, emails: d.emails }));
  const managed = new Map<string, { type: (typeof hub.teams)[number]['assets'][number]['type']; id: string }>();
  for (const t of hub.teams) for (const a of t.assets) managed.set(`${a.type}:${a.id}`, { type: a.type, id: a.id });
  const desired: PlanDesired = { hubId: h, grants: [...grants.values()], departed, managedAssets: [...managed.values()], ...(unreadMatched.length > 0 ? { unreadMatched } : {}) };
  const actual: PlanActual = {
    complete: imported?.complete === true,
    membersHidden: membersHiddenIn(imported),
    assignmentsUnread: assignmentsUnreadIn(imported),
    members: [...members.values()],
    invites: [...invites.values()],
    systemUsers,
    assignments,
    matches: [...matches.values()],
    exemptions,
  };
  // A leaver's seat whose removal is in flight while their rehire has its email (removal-in-flight.ts):
  // read as the hub's plan reads it, so the removal's re-plan (this slice) still asks for it.
  actual.removalsInFlight = await removalsInFlight(view, h, planPairsOf(desired, actual));
  return {
    desired,
    actual,
    person: { directoryUserIds: [...new Set([...ids, ...grants.keys()])], emails: [...emails] },
  };
}

interface UserWithGroups { user: Readonly<DirectoryUserRecord>; groups: string[]; claimed: Set<string> }

/** Directory users with what their grant needs (group names, claimed offers), read at once; undefined where absent. */
async function usersWithGroups(view: ReadView, hub: HubConfigFile, ids: readonly string[]): Promise<Array<UserWithGroups | undefined>> {
  const unique = [...new Set(ids)];
  const [users, groups, claimed] = await Promise.all([
    view.getMany('directoryUsers', hub.id, unique),
    Promise.all(unique.map((id) => groupNamesOf(view, hub.id, id))),
    Promise.all(unique.map((id) => claimedGroupsOf(view, hub, id))),
  ]);
  return users.map((user, n) => (user ? { user, groups: groups[n]!, claimed: claimed[n]! } : undefined));
}
