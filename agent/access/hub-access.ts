import { HUB_ROLES, type HubConfigFile, type HubRole } from '../../config/schema.ts';
import { asIfActive, INDEX, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { computeGrant, groupNamesOf } from '../grants/effective-grant.ts';
import { roleRulesOfHub } from '../grants/role-rules.ts';
import { findPerson } from '../dispatch/find-person.ts';
import type { ReadView } from '../store/store.ts';

/**
 * What a signed-in person may manage: their hub role on each hub, resolved from the directory.
 *
 * A person is found by email among each hub's directory users (index `directoryUsers.email`,
 * every email the IdP pushed, any case). Their hub role there is the highest over the mapped
 * groups of those directory users (`teams[].hubRole`: owner > manager > collaborator, the
 * default team's when they are in no mapped group), computed by the same `computeGrant` that
 * gives app roles, so a deactivated directory user holds no role. Hub roles come from the
 * directory only: a role typed into the match dialog (`matchMember`'s `hubRole`) labels a member
 * row and grants nothing here.
 */
export interface PersonOnHub {
  hubId: string;
  /** Absent: a directory user with no mapped group and no default team, or deactivated. */
  hubRole?: HubRole;
  /** The directory users of this hub with the person's email (usually one). */
  directoryUserIds: string[];
  /** Every email of those directory users, lower-cased (a seat with any of them is the person's own). */
  emails: string[];
}

/**
 * What each hub role may do in the dashboard (and nothing else does): `manage` is members,
 * matching, exemptions, removals, reports and approvals, tasks, the audit log, assets, partners,
 * the dry-run plan and check for updates; `settings` is the hub's settings and health.
 * Everyone signed in has My access, whatever their role.
 */
export type HubRight = 'manage' | 'settings';

const RIGHTS: Record<HubRole, readonly HubRight[]> = {
  owner: ['manage', 'settings'],
  manager: ['manage'],
  collaborator: [],
};

/** Whether `role` carries `right` (no role carries none). */
export function roleMay(role: HubRole | undefined, right: HubRight): boolean {
  return role !== undefined && RIGHTS[role].includes(right);
}

/** The highest of several hub roles (owner > manager > collaborator), or undefined for none. */
export function highestHubRole(roles: Iterable<HubRole | undefined>): HubRole | undefined {
  let best: HubRole | undefined;
  for (const r of roles) if (r !== undefined && (best === undefined || HUB_ROLES.indexOf(r) < HUB_ROLES.indexOf(best))) best = r;
  return best;
}

/** The directory users of `hubId` with this email (lower-cased lookup in the email index). */
export async function directoryUsersByEmail(view: ReadView, hubId: string, email: string): Promise<Array<Readonly<DirectoryUserRecord>>> {
  return view.lookup('directoryUsers', INDEX.userByEmail, `${hubId}\u0000${email.trim().toLowerCase()}`);
}

/**
 * Whether an explicit leaver action holds the person with this email: a directory user of any
 * hub found by it (as an offboarding finds them: find-person.ts) is marked offboarded
 * (agent/dispatch/offboard-hold.ts). They hold nothing until the IdP deactivates and reactivates
 * them, and the leaver workflow often runs before the IdP disables the account, so the IdP may
 * still sign them in: whatever the config's allow-lists say, such a person is no administrator.
 */
export async function offboardedPerson(view: ReadView, hubs: Iterable<HubConfigFile>, email: string): Promise<boolean> {
  if (!email.trim()) return false;
  return (await findPerson(view, hubs, { email: email.trim() })).some((f) => f.user?.offboarded !== undefined);
}

/**
 * One directory user's hub role (undefined: no such user, deactivated, or in no mapped group and no
 * default team). `evenIfInactive`: the role their groups give, also while the IdP has them
 * deactivated, suspended or offboarded (they hold nothing now, and get it all back when the IdP re-activates
 * them): the rank a seat placed under them will have then.
 */
export async function hubRoleOfUser(view: ReadView, hub: HubConfigFile, directoryUserId: string, o: { evenIfInactive?: boolean } = {}): Promise<HubRole | undefined> {
  const found = await view.get('directoryUsers', hub.id, directoryUserId);
  if (!found) return undefined;
  const user = o.evenIfInactive ? asIfActive(found) : found;
  return computeGrant(hub, user, await groupNamesOf(view, hub.id, user.id), roleRulesOfHub(hub)).hubRole;
}

/**
 * The person's standing for the dashboard on every hub where a directory user has their email
 * (hubs where they have none are left out). Reads O(their directory users and groups) per hub:
 * two index lookups, never a hub's whole directory.
 */
export async function personOnHubs(view: ReadView, hubs: Iterable<HubConfigFile>, email: string): Promise<PersonOnHub[]> {
  const out: PersonOnHub[] = [];
  if (!email.trim()) return out;
  for (const hub of hubs) {
    const users = await directoryUsersByEmail(view, hub.id, email);
    if (users.length === 0) continue;
    const rules = roleRulesOfHub(hub);
    const roles: Array<HubRole | undefined> = [];
    for (const u of users) roles.push(computeGrant(hub, u, await groupNamesOf(view, hub.id, u.id), rules).hubRole);
    const hubRole = highestHubRole(roles);
    const emails = new Set([email.trim().toLowerCase()]);
    for (const u of users) for (const e of [...u.emails, ...(u.email ? [u.email] : [])]) emails.add(e.trim().toLowerCase());
    out.push({ hubId: hub.id, ...(hubRole ? { hubRole } : {}), directoryUserIds: users.map((u) => u.id), emails: [...emails] });
  }
  return out;
}
