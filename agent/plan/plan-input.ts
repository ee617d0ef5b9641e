import { isClaimTeam, type HubConfigFile } from '../../config/schema.ts';
import type { AssetRef } from '../../connectors/sdk/hub-model.ts';
import '../app-state/records.ts';
import '../dispatch/departed-user.ts';
import { computeGrant, grantsOfHub, type EffectiveGrant } from '../grants/effective-grant.ts';
import type { RoleRules } from '../grants/role-rules.ts';
import { claimedGroupsOfHub } from '../offers/offer-record.ts';
import { collect, type ReadView } from '../store/store.ts';
import type { PlanActual, PlanDesired } from './plan.ts';
import { membersHiddenIn } from './removal.ts';
import { assignmentsUnreadIn } from './partial-hold.ts';
import { emailKey } from '../matching/email-key.ts';
import { groupKey } from '../desired-state/directory-records.ts';

/**
 * The grants a whole-hub plan can look up besides those giving a seat: the directory users its
 * snapshot's matches name, and the emails of its members and invites (`plan` finds who governs a
 * row by its match, else by its email; every other grant matters only if it gives a seat).
 */
export interface GrantNeeds {
  directoryUserIds: ReadonlySet<string>;
  emails: ReadonlySet<string>;
}

export function grantNeedsOf(actual: PlanActual): GrantNeeds {
  const directoryUserIds = new Set<string>();
  for (const m of actual.matches) if (m.directoryUserId) directoryUserIds.add(m.directoryUserId);
  const emails = new Set<string>();
  for (const m of actual.members) if (m.email) emails.add(emailKey(m.email));
  for (const i of actual.invites) emails.add(emailKey(i.email));
  return { directoryUserIds, emails };
}

/**
 * The hub's desired state as the plan wants it, read from the store (the whole hub). With
 * `needs`, only the grants the plan can use are kept (`hubGrants`): the plan is the same, and
 * memory follows the hub's seats, not its directory.
 */
export async function desiredOf(view: ReadView, hub: HubConfigFile, rules: RoleRules, needs?: GrantNeeds): Promise<PlanDesired> {
  const managed = new Map<string, AssetRef>();
  for (const t of hub.teams) for (const a of t.assets) managed.set(`${a.type}:${a.id}`, { type: a.type, id: a.id });
  const grants = needs ? await hubGrants(view, hub, rules, needs) : await grantsOfHub(view, hub, rules);
  const departed: PlanDesired['departed'] = [];
  for await (const d of view.list('departedUsers', hub.id)) departed.push({ directoryUserId: d.directoryUserId, emails: d.emails });
  return { hubId: hub.id, grants, departed, managedAssets: [...managed.values()] };
}

/**
 * The grants of the hub's directory users that give a seat or that `needs` names, reading the
 * directory page by page: a hub of 250,000 directory users of whom 50,000 hold or are owed a
 * seat keeps 50,000 grants (issue 13: memory that does not grow with the data). Group membership
 * is taken from the mapped groups only (computeGrant ignores the others), and a user in none of
 * them, with no default team and not needed, is skipped without computing a grant (it would give
 * no seat). Otherwise the same grants, in the same order, as `grantsOfHub`.
 */
export async function hubGrants(view: ReadView, hub: HubConfigFile, rules: RoleRules, needs: GrantNeeds): Promise<EffectiveGrant[]> {
  const mapped = new Set(hub.teams.map((t) => groupKey(t.group)));
  const groupsOf = new Map<string, string[]>();
  for await (const g of view.list('directoryGroups', hub.id)) {
    if (!mapped.has(groupKey(g.displayName))) continue;
    for (const m of g.members) {
      const list = groupsOf.get(m.value);
      if (list) list.push(g.displayName);
      else groupsOf.set(m.value, [g.displayName]);
    }
  }
  const claimedOf = hub.teams.some(isClaimTeam) ? await claimedGroupsOfHub(view, hub) : undefined;
  // The ids and emails a grant is looked up by in `plan` (its emails, else its primary email).
  const needed = (g: Pick<EffectiveGrant, 'directoryUserId' | 'email' | 'emails'>) =>
    needs.directoryUserIds.has(g.directoryUserId) || g.emails.some((e) => needs.emails.has(e)) || (g.email !== undefined && needs.emails.has(g.email));
  const out: EffectiveGrant[] = [];
  for await (const u of view.list('directoryUsers', hub.id)) {
    const groups = groupsOf.get(u.id);
    if (!groups && !hub.defaultTeam) {
      // As computeGrant names them (lower-cased), without building the grant.
      const email = u.email ?? u.emails[0] ?? (u.userName.includes('@') ? u.userName : undefined);
      if (!needed({ directoryUserId: u.id, email: email === undefined ? undefined : emailKey(email), emails: u.emails.map(emailKey) })) continue;
    }
    const grant = computeGrant(hub, u, groups ?? [], rules, claimedOf?.(u.id));
    if (grant.appRole || needed(grant)) out.push(grant);
  }
  return out;
}

/** The hub's app snapshot as the plan wants it (the whole hub). */
export async function actualOf(view: ReadView, hubId: string): Promise<PlanActual> {
  const imported = await view.get('appImports', hubId, hubId);
  return {
    complete: imported?.complete === true,
    membersHidden: membersHiddenIn(imported),
    assignmentsUnread: assignmentsUnreadIn(imported),
    members: await collect(view.list('appMembers', hubId)),
    invites: await collect(view.list('appInvites', hubId)),
    systemUsers: await collect(view.list('appSystemUsers', hubId)),
    assignments: await collect(view.list('appAssignments', hubId)),
    matches: await collect(view.list('memberMatches', hubId)),
    exemptions: await collect(view.list('exemptions', hubId)),
  };
}
