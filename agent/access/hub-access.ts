import { HUB_ROLES, type HubConfigFile, type HubRole } from '../../config/schema.ts';
import { asIfActive, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { computeGrant, groupNamesOf } from '../grants/effective-grant.ts';
import { roleRulesOfHub } from '../grants/role-rules.ts';
import { emailKey } from '../matching/email-key.ts';
import { directoryUsersNamed, maySignIn, ownUsersAmong } from '../offers/claimant.ts';
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
 *
 * An email several active directory users share (Okta and Entra do not keep emails unique) is
 * not one person: the role is only that of the one the sign-in names (its `sub`/`oid` is their
 * `externalId`, agent/offers/claimant.ts `ownUsersAmong`, the rule claims follow), and when it
 * names none of them the lowest any of them gives (`signInOnHub`).
 */
export interface PersonOnHub {
  hubId: string;
  /** Absent: a directory user with no mapped group and no default team, or deactivated. */
  hubRole?: HubRole;
  /** The directory users of this hub with the person's email (usually one). */
  directoryUserIds: string[];
  /** Every email of those directory users, lower-cased (a seat with any of them is the person's own). */
  emails: string[];
  /**
   * Those of `directoryUserIds` the sign-in says are the person (`SignInOnHub.own`): empty when it
   * names none of several. Only these are theirs where the person gains by it: taking away a seat
   * matched to someone ranked above them (scim-server/web/scoped-agent.ts), as removing one's own
   * seat stays one's own.
   */
  ownDirectoryUserIds: string[];
}

/**
 * What each hub role may do in the dashboard (and nothing else does): `manage` is members,
 * matching, exemptions, removals, reports and approvals, tasks, the audit log, assets, partners,
 * the dry-run plan and check for updates; `settings` is the hub's settings and health, and the
 * retry of its failed tasks (TASK_RETRY_RIGHT).
 * Everyone signed in has My access, whatever their role.
 */
export type HubRight = 'manage' | 'settings';

const RIGHTS: Record<HubRole, readonly HubRight[]> = {
  owner: ['manage', 'settings'],
  manager: ['manage'],
  collaborator: [],
};

/**
 * The right a retry of a failed task needs on its hub (owners; administrators have every right):
 * the hub's health, where its failed tasks are counted, is theirs. The dashboard's check of the
 * retry route and its Retry button both read it (scim-server/web/ui-api.ts, pages.ts).
 */
export const TASK_RETRY_RIGHT: HubRight = 'settings';

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

/**
 * The lowest of several hub roles, or undefined when there are none or any of them is none: what
 * a person who may be any of several directory users certainly holds.
 */
export function lowestHubRole(roles: Iterable<HubRole | undefined>): HubRole | undefined {
  let worst: HubRole | undefined;
  let any = false;
  for (const r of roles) {
    if (r === undefined) return undefined;
    if (!any || HUB_ROLES.indexOf(r) > HUB_ROLES.indexOf(worst!)) worst = r;
    any = true;
  }
  return worst;
}

/**
 * Whether an explicit leaver action holds the person with this email: a directory user of any
 * hub found by it (`found`: findPerson's answer for the email, as an offboarding finds them;
 * scim-server/web/hub-guard.ts reads it for the session's binding too) is marked offboarded
 * (agent/dispatch/offboard-hold.ts). They hold nothing until the IdP deactivates and reactivates
 * them, and the leaver workflow often runs before the IdP disables the account, so the IdP may
 * still sign them in: whatever the config's allow-lists say, such a person is no administrator.
 * A hold set by a caller limited to some hubs (a hub-scoped admin token, `offboarded.hubs`) does
 * not count: the holder of one hub's token may end the person's seats and sessions there, not
 * their administration of every hub (least privilege; the IdP's deactivation still ends it).
 */
export const offboardedAmong = (found: ReadonlyArray<{ user?: Pick<DirectoryUserRecord, 'offboarded'> }>): boolean => found.some((f) => f.user?.offboarded !== undefined && f.user.offboarded.hubs === undefined);

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
 * A signed-in person on one hub: who the directory says they may be, and who the sign-in says they are.
 */
export interface SignInOnHub {
  /**
   * Every directory user of the hub with the email (the email index): the own-seat rules count
   * each of them as the person, the strict side there (`PersonOnHub.directoryUserIds`, `emails`).
   */
  users: Array<Readonly<DirectoryUserRecord>>;
  /**
   * Those of `users` whose seats, invites, offers and hub role are the person's: all of them
   * when at most one directory user the email names is active (as before), else the one the
   * sign-in's IdP id names; the inactive ones when the sign-in names only inactive ones. Undefined when it names none: nothing there is shown as theirs.
   */
  own?: Array<Readonly<DirectoryUserRecord>>;
  /**
   * With `own`: the directory users the email names whom the sign-in says are someone else (a
   * seat matched to one of them is not the person's). Empty without `own`.
   */
  namesakes: ReadonlySet<string>;
  /**
   * The highest role of `own`; without `own`, the lowest any active directory user of the email
   * gives (undefined if any gives none): never more than the person certainly has, so a namesake
   * in the owners' group makes nobody an owner, and an owner with a stale active duplicate keeps
   * what both give.
   */
  hubRole?: HubRole;
}

/**
 * `SignInOnHub` for `email` and the sign-in's IdP ids (`sub`, Entra's `oid`; none for a session
 * that kept none). Undefined when no directory user of the hub has the email. Who the person is
 * among directory users sharing the email is decided as for claims (ownUsersAmong over every
 * directory user the email names, offers/claimant.ts), so hub role, My access and Claim agree.
 */
export async function signInOnHub(view: ReadView, hub: HubConfigFile, email: string, idpUserIds: readonly string[]): Promise<SignInOnHub | undefined> {
  const key = emailKey(email);
  if (!key) return undefined;
  // One read for both sets: the email index (`directoryUsers.email`), and users sent without
  // emails whose userName it is (find-person.ts), who may be the person too.
  const named = await directoryUsersNamed(view, hub, key);
  const users = named.filter((u) => u.emails.some((e) => emailKey(e) === key));
  if (users.length === 0) return undefined;
  const rules = roleRulesOfHub(hub);
  const rolesOf = async (of: ReadonlyArray<Readonly<DirectoryUserRecord>>) => {
    const roles: Array<HubRole | undefined> = [];
    for (const u of of) roles.push(computeGrant(hub, u, await groupNamesOf(view, hub.id, u.id), rules).hubRole);
    return roles;
  };
  const found = ownUsersAmong(named, idpUserIds);
  if ('ambiguous' in found) {
    // A namesake a leaver action holds may be the one signing in: their role (none) counts.
    const hubRole = lowestHubRole(await rolesOf(named.filter((u) => maySignIn(u))));
    return { users, namesakes: new Set(), ...(hubRole ? { hubRole } : {}) };
  }
  const ownIds = new Set(found.users.map((u) => u.id));
  const own = users.filter((u) => ownIds.has(u.id));
  const hubRole = highestHubRole(await rolesOf(own));
  return { users, own, namesakes: new Set(named.filter((u) => !ownIds.has(u.id)).map((u) => u.id)), ...(hubRole ? { hubRole } : {}) };
}

/**
 * The person's standing for the dashboard on every hub where a directory user has their email
 * (hubs where they have none are left out). `idpUserIds`: the sign-in's ids of the person, which
 * tell apart directory users sharing the email (`signInOnHub`); without them such an email gets
 * the lowest role of its users. Reads O(their directory users and groups) per hub: index
 * lookups, never a hub's whole directory.
 */
export async function personOnHubs(view: ReadView, hubs: Iterable<HubConfigFile>, email: string, idpUserIds: readonly string[] = []): Promise<PersonOnHub[]> {
  const out: PersonOnHub[] = [];
  if (!email.trim()) return out;
  for (const hub of hubs) {
    const p = await signInOnHub(view, hub, email, idpUserIds);
    if (!p) continue;
    // The own-seat side: every directory user with the email, whichever the sign-in names.
    const emails = new Set([emailKey(email)]);
    for (const u of p.users) for (const e of [...u.emails, ...(u.email ? [u.email] : [])]) emails.add(emailKey(e));
    out.push({ hubId: hub.id, ...(p.hubRole ? { hubRole: p.hubRole } : {}), directoryUserIds: p.users.map((u) => u.id), emails: [...emails], ownDirectoryUserIds: (p.own ?? []).map((u) => u.id) });
  }
  return out;
}
