import { DEFAULT_OFFER_DAYS, isClaimTeam, type HubConfigFile, type HubRole } from '../../config/schema.ts';
import type { AssetType } from '../../connectors/sdk/hub-model.ts';
import { groupKey, INDEX, isActiveUser, type DirectoryGroupRecord, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import type { ReadView } from '../store/store.ts';
import { claimedGroupsOfHub } from '../offers/offer-record.ts';
import type { RoleRules } from './role-rules.ts';
import { emailKey } from '../matching/email-key.ts';

/**
 * A person's effective grant on one hub, from all of their mapped groups: the highest app role and hub role win; each asset's access is what every team grants,
 * combined by the connector's rule for that asset type (roles.ts of the connector definition).
 */
export interface EffectiveGrant {
  hubId: string;
  directoryUserId: string;
  userName: string;
  /** Lower-cased primary email: the key the plan matches app members and invites on. */
  email?: string;
  emails: string[];
  active: boolean;
  /** Why not active, for a removal's why: suspended or offboarded, else deactivated. */
  inactive?: 'deactivated' | 'suspended' | 'offboarded';
  /** Absent: the person should hold no seat on the hub. */
  appRole?: string;
  hubRole?: HubRole;
  assets: Array<{ type: AssetType; id: string; tasks: string[] }>;
  /** Mapped groups (display names) the grant comes from; `(default team)` for defaultTeam. */
  grantedBy: string[];
  /** Why the grant is what it is when it is narrower than asked (unsupported task unions…). */
  problems: string[];
  /**
   * In a mapped team that gives no seat (`seat: false`, or a claim team not claimed): when no
   * team grants a seat, a seat the person already holds is not governed by hubwarden (no removal).
   */
  seatNotGoverned?: true;
  /** The claim teams the person is in, with the seat each offers (claimed or not). */
  offerable: OfferableSeat[];
  /** Lower-cased mapped groups the person is in, sorted (an expired offer is made again when they change). */
  mappedGroups: string[];
}

/** The seat one claim team offers. */
export interface OfferableSeat {
  group: string;
  collection?: string;
  appRole: string;
  assets: Array<{ type: AssetType; id: string; tasks: string[] }>;
  offerDays: number;
}

const HUB_ROLE_RANK: Record<HubRole, number> = { owner: 3, manager: 2, collaborator: 1 };

export const DEFAULT_TEAM_LABEL = '(default team)';

/**
 * Pure: the grant of `user` given the display names of the groups they belong to. The hub role
 * comes from every mapped team; the seat (app role, assets) only from seat teams, and from claim
 * teams whose offer is in `claimed` (group names folded by groupKey).
 */
const firstOf = (email: string | undefined) => (email === undefined ? undefined : emailKey(email));

export function computeGrant(hub: HubConfigFile, user: DirectoryUserRecord, groupNames: readonly string[], rules: RoleRules, claimed: ReadonlySet<string> = new Set()): EffectiveGrant {
  const emails = [...new Set(user.emails.map(emailKey))];
  const grant: EffectiveGrant = {
    hubId: hub.id,
    directoryUserId: user.id,
    userName: user.userName,
    email: firstOf(user.email ?? user.emails[0] ?? (user.userName.includes('@') ? user.userName : undefined)),
    emails,
    active: isActiveUser(user),
    assets: [],
    grantedBy: [],
    problems: [],
    offerable: [],
    mappedGroups: [],
  };
  // Deactivated (or suspended) users hold nothing; deleted users have no record at all.
  if (!grant.active) return { ...grant, inactive: user.offboarded ? 'offboarded' : user.suspended ? 'suspended' : 'deactivated' };
  // Compared folded (groupKey: Unicode NFC, lower case), as the SCIM server compares displayNames.
  const names = new Set(groupNames.map(groupKey));
  const mapped = hub.teams.filter((t) => names.has(groupKey(t.group)));
  // The configured names (not the IdP's spelling), lower-cased as before: offers record them
  // (`membership`), so a group re-sent in another Unicode form changes no membership.
  grant.mappedGroups = mapped.map((t) => t.group.toLowerCase()).sort();
  if (mapped.length === 0) {
    if (!hub.defaultTeam) return grant;
    grant.appRole = hub.defaultTeam.appRole;
    grant.hubRole = hub.defaultTeam.hubRole;
    grant.grantedBy = [DEFAULT_TEAM_LABEL];
    return grant;
  }
  const teams: Array<(typeof mapped)[number] & { appRole: string }> = [];
  let seatless = false;
  for (const team of mapped) {
    if (grant.hubRole === undefined || HUB_ROLE_RANK[team.hubRole] > HUB_ROLE_RANK[grant.hubRole]) grant.hubRole = team.hubRole;
    if (team.seat === false || team.appRole === undefined) {
      seatless = true;
      continue;
    }
    if (isClaimTeam(team)) {
      grant.offerable.push(offerableSeat(team as typeof team & { appRole: string }, rules));
      if (!claimed.has(groupKey(team.group))) {
        seatless = true;
        continue;
      }
    }
    teams.push(team as typeof team & { appRole: string });
  }
  for (const team of teams) {
    if (grant.appRole === undefined || rules.compareRoles(team.appRole, grant.appRole) > 0) grant.appRole = team.appRole;
    grant.grantedBy.push(team.group);
  }
  if (seatless && grant.appRole === undefined) grant.seatNotGoverned = true;
  const perAsset = new Map<string, { type: AssetType; id: string; bundles: string[][] }>();
  for (const team of teams) for (const a of team.assets) {
    const key = `${a.type}:${a.id}`;
    const entry = perAsset.get(key) ?? { type: a.type, id: a.id, bundles: [] };
    entry.bundles.push(rules.accessOf(a.type, a));
    perAsset.set(key, entry);
  }
  for (const { type, id, bundles } of perAsset.values()) {
    try {
      grant.assets.push({ type, id, tasks: rules.combine(type, bundles) });
    } catch (err) {
      // No supported bundle covers the union: keep the largest bundle any one team asked for,
      // so the person never gets less than some team grants, and say why.
      const largest = [...bundles].sort((a, b) => b.length - a.length)[0]!;
      grant.assets.push({ type, id, tasks: [...largest] });
      grant.problems.push(`${type} ${id}: ${(err as Error).message}`);
    }
  }
  return grant;
}

function offerableSeat(team: HubConfigFile['teams'][number] & { appRole: string }, rules: RoleRules): OfferableSeat {
  return {
    group: team.group, ...(team.collection ? { collection: team.collection } : {}), appRole: team.appRole,
    assets: team.assets.map((a) => ({ type: a.type, id: a.id, tasks: rules.accessOf(a.type, a) })),
    offerDays: team.offerDays ?? DEFAULT_OFFER_DAYS,
  };
}

/** Display names of the groups `userId` belongs to on `hubId` (index `groupsByMember`). */
export async function groupNamesOf(view: ReadView, hubId: string, userId: string): Promise<string[]> {
  // The names only: a group's record holds every member, thousands in a large group.
  return (await view.lookupFields('directoryGroups', INDEX.groupsByMember, `${hubId}\u0000${userId}`, ['displayName'])).map((g) => g.displayName);
}

/**
 * Every directory user's grant on the hub (the whole hub: a dry run, a full reconcile). Group
 * membership is read from the groups themselves (one pass), so it does not depend on an index
 * being defined; claimed offers from one listing of the hub's offers.
 */
export async function grantsOfHub(view: ReadView, hub: HubConfigFile, rules: RoleRules): Promise<EffectiveGrant[]> {
  const groupsOf = new Map<string, string[]>();
  for await (const g of view.list('directoryGroups', hub.id)) {
    for (const m of g.members) {
      const list = groupsOf.get(m.value) ?? [];
      list.push(g.displayName);
      groupsOf.set(m.value, list);
    }
  }
  const out: EffectiveGrant[] = [];
  const claimedOf = hub.teams.some(isClaimTeam) ? await claimedGroupsOfHub(view, hub) : undefined;
  for await (const u of view.list('directoryUsers', hub.id)) out.push(computeGrant(hub, u, groupsOf.get(u.id) ?? [], rules, claimedOf?.(u.id)));
  return out;
}
