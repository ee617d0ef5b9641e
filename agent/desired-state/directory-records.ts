/**
 * Desired state: the directory users and groups an identity provider pushed over SCIM for a hub.
 * The SCIM server writes these; the agent plans from them. Partition = hub id.
 */
export interface DirectoryUserRecord {
  hubId: string;
  /** Server-assigned SCIM id: stable, case-sensitive. */
  id: string;
  userName: string;
  externalId?: string;
  active: boolean;
  displayName?: string;
  /** Primary (else work, else first) email as sent; matching lower-cases it. */
  email?: string;
  /** Every email value sent, for matching. */
  emails: string[];
  /** The SCIM resource as sent, core and extension attributes, without id, meta and password. */
  scim: Record<string, unknown>;
  created: string;
  lastModified: string;
  /** Incremented on every change; the ETag. */
  version: number;
  /**
   * Suspended in the IdP (Okta's `user.lifecycle.suspend` event hook: a suspension changes
   * nothing over SCIM, https://developer.okta.com/docs/reference/api/event-types/): held nothing,
   * like an inactive user, until unsuspended. Kept across SCIM writes; a SCIM reactivation
   * (active false → true) ends it.
   */
  suspended?: { at: string; by: string };
  /**
   * Offboarded by an explicit leaver action (a Lifecycle Workflows task, Okta Workflows or the
   * admin API, the CLI) while the IdP may still push the person active: a leaver workflow often
   * runs before the account is disabled, and the next plan would have invited them again. Holds
   * nothing, like an inactive user. Kept across SCIM writes; a SCIM reactivation (active
   * false → true: the IdP disabled and re-enabled the person, or unassigned and re-assigned the
   * app) ends it. agent/dispatch/offboard-hold.ts.
   */
  /**
   * `hubs`: the offboarding came from a caller limited to these hubs (a hub-scoped admin token):
   * the hold is theirs alone, and does not take away what the person holds beyond them
   * (agent/access/hub-access.ts `offboardedAmong`).
   */
  offboarded?: { at: string; by: string; hubs?: string[] };
}

/** Whether the directory user holds seats: active in the IdP, not suspended there, not offboarded. */
export const isActiveUser = (u: Pick<DirectoryUserRecord, 'active' | 'suspended' | 'offboarded'>): boolean => u.active && !u.suspended && !u.offboarded;

/**
 * Deactivated by the IdP (SCIM `active` false, RFC 7643 §4.1.1), neither suspended nor offboarded
 * (marks that may be undone): such a user no longer claims a seat by email when another user has
 * it (a rehire, agent/matching/match-members.ts). The same users as a grant's `inactive: 'deactivated'`.
 */
export const isDeactivatedUser = (u: Pick<DirectoryUserRecord, 'active' | 'suspended' | 'offboarded'>): boolean => !u.active && !u.suspended && !u.offboarded;

/**
 * The IdP-side marks (suspended, offboarded) a directory write keeps from the previous record.
 * They come from event hooks and leaver actions, not from SCIM, so a SCIM write keeps them, unless
 * it reactivates the user (active false → true): the IdP disabled and re-enabled the person, or
 * unassigned and re-assigned the app, and Okta's deactivate-then-reactivate also ends a suspension.
 */
export function holdsKept(previous: Pick<DirectoryUserRecord, 'active' | 'suspended' | 'offboarded'> | undefined, nowActive: boolean): Pick<DirectoryUserRecord, 'suspended' | 'offboarded'> {
  if (!previous || (previous.active === false && nowActive)) return {};
  return { ...(previous.suspended ? { suspended: previous.suspended } : {}), ...(previous.offboarded ? { offboarded: previous.offboarded } : {}) };
}

/**
 * The user as they will be once the IdP re-activates them: every mark isActiveUser reads is
 * cleared. Kept beside isActiveUser so a new mark is cleared in the one place that lists them.
 */
export function asIfActive<T extends Pick<DirectoryUserRecord, 'active' | 'suspended' | 'offboarded'>>(u: T): T {
  const { suspended: _suspended, offboarded: _offboarded, ...rest } = u;
  return { ...rest, active: true } as T;
}

export interface DirectoryGroupMember {
  value: string;
  display?: string;
}

export interface DirectoryGroupRecord {
  hubId: string;
  id: string;
  displayName: string;
  externalId?: string;
  members: DirectoryGroupMember[];
  /** Other attributes as sent, without id, meta, displayName, members. */
  scim: Record<string, unknown>;
  created: string;
  lastModified: string;
  version: number;
}

declare module '../store/collections.ts' {
  interface Collections {
    directoryUsers: DirectoryUserRecord;
    directoryGroups: DirectoryGroupRecord;
  }
}

/**
 * The emails app members are matched to this user by: every email sent, or, when the IdP sent none
 * (Entra sends `emails` only from `mail`, empty for a user without a mailbox:
 * https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes),
 * a userName that is an email. The same fallback picks the address the plan invites
 * (agent/grants/effective-grant.ts `email`) and governs the seat by, so matching finds the member
 * such an invite becomes instead of calling it unmatched.
 */
export function matchingEmailsOf(user: Pick<DirectoryUserRecord, 'emails' | 'userName'>): string[] {
  if (user.emails.some((e) => e.trim() !== '')) return user.emails;
  return user.userName.includes('@') ? [user.userName] : [];
}

/**
 * The directory users of hub `hubId` whose matching emails (`matchingEmailsOf`) include `key` (an
 * emailKey): the email index, and a user sent without emails whose email-like userName it is (the
 * userName index files it lower-cased and under NFC, as emailKey folds it). Matching (hub-matching.ts
 * `matchRows`) and standing (`claimantOfEmail`) find an email's users so; a lookup of the email
 * index alone missed such a user, so a person's plan or a rehire's re-plan saw one holder of an
 * address that matching gives to another. Requires `defineDirectoryIndexes`.
 */
export async function usersWithMatchingEmail(view: ReadView, hubId: string, key: string): Promise<Array<Readonly<DirectoryUserRecord>>> {
  if (key === '') return [];
  const at = `${hubId}\u0000${key}`;
  const [byEmail, byUserName] = await Promise.all([view.lookup('directoryUsers', INDEX.userByEmail, at), view.lookup('directoryUsers', INDEX.userByUserName, at)]);
  const found = new Map<string, Readonly<DirectoryUserRecord>>();
  for (const u of [...byEmail, ...byUserName]) if (u.hubId === hubId && matchingEmailsOf(u).some((e) => emailKey(e) === key)) found.set(u.id, u);
  return [...found.values()];
}

/** Index names the SCIM server and the agent share (defined by `defineDirectoryIndexes`). */
export const INDEX = {
  /**
   * `${hubId}\0${userName lower-cased}` → user (uniqueness, Okta's userName eq lookups), filed
   * also under foldName (NFC, then lower-cased) when that differs: the SCIM server looks names up
   * folded, and so does the agent's lookup of a person by login (dispatch/find-person.ts).
   */
  userByUserName: 'directoryUsers.userName',
  /** `${hubId}\0${emailKey(email)}` → users (matching app members by email). */
  userByEmail: 'directoryUsers.email',
  /** `${hubId}\0${displayName lower-cased}` → group, and under foldName as userByUserName is. */
  groupByDisplayName: 'directoryGroups.displayName',
  /** `${hubId}\0${userId}` → groups the user is a member of. */
  groupsByMember: 'directoryGroups.member',
} as const;

import type { ReadView, Store } from '../store/store.ts';
import { emailKey } from '../matching/email-key.ts';

/**
 * A name as the SCIM server compares it: Unicode NFC, then lower-cased. RFC 7643 §9.4 has strings
 * "appropriately prepared" before uniqueness tests and filter comparisons, and "josé" arrives
 * precomposed (U+00E9) from one source and decomposed ("e" + U+0301) from another (macOS input,
 * some HR exports): compared code unit by code unit they were two people, so the IdP's
 * `userName eq` lookup missed the user it had and its create made a second one. NFC is the
 * normalization RFC 8265 §3.3 (PRECIS usernames) prescribes.
 */
export function foldName(name: string): string {
  return nfc(name).toLowerCase();
}

/** Unicode NFC, skipped for ASCII (nothing to compose, and most names are ASCII). */
function nfc(name: string): string {
  return /^[\u0000-\u007f]*$/.test(name) ? name : name.normalize('NFC');
}

/**
 * The key an IdP group's name is compared by with a configured one (`hubs[].teams[].group`: teams,
 * hub roles, claim teams and their offers): foldName, as the SCIM server compares displayNames and
 * as the config refuses two teams for one name. "Café Marketing" sent decomposed ("e" + U+0301,
 * macOS input, some sync tools) and configured precomposed is one group (RFC 7643 §9.4, RFC 8265
 * §3.3); compared lower-cased only, the person got no team, and a member whose group was re-sent in
 * the other form lost its role, assets and seat. Keys only: names are kept and shown as written.
 */
export function groupKey(name: string): string {
  return foldName(name);
}

/**
 * The key a group in `server.oidc.allowedGroups` (global administrators) is compared by with the
 * IdP's (ID token groups claim, SCIM displayName, Okta event): Unicode NFC only, so "Café Admins"
 * sent decomposed is the group configured precomposed (RFC 8265 §3.3), while case still counts, as
 * it always did for this allow-list: it may list group ids as well as names, and it makes global
 * administrators, so it is not widened to names that differ in case.
 */
export function adminGroupKey(name: string): string {
  return nfc(name);
}

/** The entries of `allowed` (as configured) that one of `groups` (as the IdP sent them) names (adminGroupKey). */
export function allowedGroupsNamed(allowed: readonly string[], groups: readonly string[]): string[] {
  const sent = new Set(groups.map(adminGroupKey));
  return allowed.filter((a) => sent.has(adminGroupKey(a)));
}

export function defineDirectoryIndexes(store: Store): void {
  // Both keys spelled out (a PostgreSQL store rebuilds an index whose key function's text changes,
  // store/postgres/indexes.ts): as sent for the agent's lookups, folded (foldName) for the SCIM server's.
  store.defineIndex('directoryUsers', INDEX.userByUserName, (u, hub) => [...new Set([`${hub}\u0000${u.userName.toLowerCase()}`, `${hub}\u0000${u.userName.normalize('NFC').toLowerCase()}`])]);
  // Through emailKey, declared (`uses`): a PostgreSQL store rebuilds the index when emailKey
  // changes (store/postgres/indexes.ts), as it did when it took Unicode NFC (December 2026).
  store.defineIndex('directoryUsers', INDEX.userByEmail, (u, hub) => [...new Set(u.emails.map((e) => `${hub}\u0000${emailKey(e)}`))], { uses: [emailKey] });
  store.defineIndex('directoryGroups', INDEX.groupByDisplayName, (g, hub) => [...new Set([`${hub}\u0000${g.displayName.toLowerCase()}`, `${hub}\u0000${g.displayName.normalize('NFC').toLowerCase()}`])]);
  store.defineIndex('directoryGroups', INDEX.groupsByMember, (g, hub) => g.members.map((m) => `${hub}\u0000${m.value}`));
}
