import type { HubConfigFile } from '../../config/schema.ts';
import type { AppAssignmentRecord, AppInviteRecord, AppMemberRecord, AppSystemUserRecord, ExemptionRecord, MemberMatchRecord } from '../app-state/records.ts';
import type { DepartedUserRecord } from '../dispatch/departed-user.ts';
import { INDEX } from '../desired-state/directory-records.ts';
import { computeGrant, groupNamesOf, type EffectiveGrant } from '../grants/effective-grant.ts';
import type { RoleRules } from '../grants/role-rules.ts';
import { claimedGroupsOf } from '../offers/offer-record.ts';
import type { ReadView, Store } from '../store/store.ts';
import { inviteRowId } from '../standing/row-ids.ts';
import { defineMatchIndex, MATCH_BY_DIRECTORY_USER } from '../standing/standing.ts';
import type { PlanActual, PlanDesired } from './plan.ts';

/** Indexes the per-person plan reads through (so one person's plan does not scan the hub). */
export const PERSON_INDEX = {
  memberByEmail: 'appMembers.email',
  inviteByEmail: 'appInvites.email',
  assignmentByUser: 'appAssignments.user',
  matchByDirectoryUser: MATCH_BY_DIRECTORY_USER,
  /** `${hubId}\0ADMIN` → the hub's admins; no other role is filed (nothing looks one up). */
  memberByRole: 'appMembers.role',
} as const;

export function definePersonIndexes(store: Store): void {
  store.defineIndex('appMembers', PERSON_INDEX.memberByEmail, (m, hub) => (m.email ? [`${hub}\u0000${m.email.toLowerCase()}`] : []));
  // Admins only: filing every member under its role was 10,000 index entries in a 10,000-member
  // hub's first check, for one lookup (the last-admin rule's). The keys admins get are unchanged,
  // so a replica of the previous release finds them during a rolling upgrade.
  store.defineIndex('appMembers', PERSON_INDEX.memberByRole, (m, hub) => (m.role.toUpperCase() === 'ADMIN' ? [`${hub}\u0000ADMIN`] : []));
  store.defineIndex('appInvites', PERSON_INDEX.inviteByEmail, (i, hub) => [`${hub}\u0000${i.email.toLowerCase()}`]);
  store.defineIndex('appAssignments', PERSON_INDEX.assignmentByUser, (a, hub) => [`${hub}\u0000${a.userId}`]);
  defineMatchIndex(store);
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
  const ids = new Set(person.directoryUserIds);
  const emails = new Set(person.emails.map((e) => e.toLowerCase()));
  const grants = new Map<string, EffectiveGrant>();
  const addUser = async (id: string) => {
    if (grants.has(id)) return;
    const u = await view.get('directoryUsers', h, id);
    if (!u || grants.has(id)) return;
    grants.set(id, computeGrant(hub, u, await groupNamesOf(view, h, id), rules, await claimedGroupsOf(view, hub, id)));
    for (const e of u.emails) emails.add(e.toLowerCase());
    if (u.email) emails.add(u.email.toLowerCase());
  };
  for (const id of ids) await addUser(id);
  // A deleted user's seats are found by the emails kept when the IdP deleted them.
  // Reads by key go several at a time (getMany) and independent lookups at once: on PostgreSQL
  // each read is a round trip, and the dispatcher plans a hundred people per transaction.
  const departedRecords: Array<Readonly<DepartedUserRecord>> = [];
  for (const d of await view.getMany('departedUsers', h, [...ids])) {
    if (!d) continue;
    departedRecords.push(d);
    for (const e of d.emails) emails.add(e.toLowerCase());
  }
  const members = new Map<string, AppMemberRecord>();
  const matches = new Map<string, MemberMatchRecord>();
  for (const id of ids) {
    const found = await view.lookup('memberMatches', PERSON_INDEX.matchByDirectoryUser, `${h}\u0000${id}`);
    const rows = await view.getMany('appMembers', h, found.map((m) => m.memberId));
    found.forEach((m, n) => {
      matches.set(m.memberId, m);
      const member = rows[n];
      if (member) members.set(member.id, member);
      if (member?.email) emails.add(member.email.toLowerCase());
    });
  }
  const invites = new Map<string, AppInviteRecord>();
  // A Set's iteration visits what is added during it: emails of users found here are read too.
  for (const e of emails) {
    const [users, byEmail, invited] = await Promise.all([
      view.lookup('directoryUsers', INDEX.userByEmail, `${h}\u0000${e}`),
      view.lookup('appMembers', PERSON_INDEX.memberByEmail, `${h}\u0000${e}`),
      view.lookup('appInvites', PERSON_INDEX.inviteByEmail, `${h}\u0000${e}`),
    ]);
    for (const u of users) await addUser(u.id);
    for (const m of byEmail) members.set(m.id, m);
    for (const i of invited) invites.set(i.id, i);
  }
  const memberIds = [...members.keys()];
  const [memberMatches, inviteMatches, assignmentsOf] = await Promise.all([
    view.getMany('memberMatches', h, memberIds),
    view.getMany('memberMatches', h, [...invites.keys()].map((i) => inviteRowId(i))),
    Promise.all(memberIds.map((id) => view.lookup('appAssignments', PERSON_INDEX.assignmentByUser, `${h}\u0000${id}`))),
  ]);
  memberIds.forEach((id, n) => {
    const match = memberMatches[n];
    if (match) matches.set(id, match);
  });
  for (const match of inviteMatches) if (match) matches.set(match.memberId, match);
  const assignments: AppAssignmentRecord[] = assignmentsOf.flat();
  // Every admin, so the last-admin rule sees how many there are.
  for (const a of await view.lookup('appMembers', PERSON_INDEX.memberByRole, `${h}\u0000ADMIN`)) if (!members.has(a.id)) members.set(a.id, a);
  // The plan asks only whether a member row is a system user: read those rows' keys, not the list.
  const [exempt, system] = await Promise.all([
    view.getMany('exemptions', h, [...members.keys(), ...[...invites.keys()].map((i) => inviteRowId(i))]),
    view.getMany('appSystemUsers', h, [...members.keys()]),
  ]);
  const exemptions = exempt.filter((x): x is Readonly<ExemptionRecord> => x !== undefined) as ExemptionRecord[];
  const systemUsers = system.filter((x): x is Readonly<AppSystemUserRecord> => x !== undefined) as AppSystemUserRecord[];
  const departed = departedRecords.map((d) => ({ directoryUserId: d.directoryUserId, emails: d.emails }));
  const managed = new Map<string, { type: (typeof hub.teams)[number]['assets'][number]['type']; id: string }>();
  for (const t of hub.teams) for (const a of t.assets) managed.set(`${a.type}:${a.id}`, { type: a.type, id: a.id });
  return {
    desired: { hubId: h, grants: [...grants.values()], departed, managedAssets: [...managed.values()] },
    actual: {
      complete: (await view.get('appImports', h, h))?.complete === true,
      members: [...members.values()],
      invites: [...invites.values()],
      systemUsers,
      assignments,
      matches: [...matches.values()],
      exemptions,
    },
    person: { directoryUserIds: [...new Set([...ids, ...grants.keys()])], emails: [...emails] },
  };
}
