import type { HubConfigFile } from '../../config/schema.ts';
import { isActiveUser, isDeactivatedUser, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { claimantAmong } from '../matching/claimant.ts';
import { findPerson } from '../dispatch/find-person.ts';
import type { ReadView } from '../store/store.ts';

/**
 * A person claiming their own offer (My access), as their sign-in names them: the trusted email
 * the IdP vouched for, and the IdP's ids of the person (the ID token's `sub`, Entra's `oid`).
 */
export interface SignedInClaimant {
  email: string;
  idpUserIds: readonly string[];
}

/**
 * Which of a hub's directory users a signed-in person is, for claiming offers: offers are made
 * to one directory user, and a sign-in names a person by email. Okta does not keep primary
 * emails unique (https://developer.okta.com/docs/reference/api/users/#profile-object) and Entra's
 * `mail` is not unique either, so one email may find two people; claiming as "whoever has the
 * email" let each claim the seats offered to the other.
 *
 * - Exactly one directory user of the email may be signing in (`maySignIn`, the usual case): the
 *   person is that one. Not a namesake the IdP deactivated (a leaver and their rehire, RFC 7643
 *   §4.1.1 `active`: taken for both, My access listed the leaver's seat, whose removal is in
 *   flight, match-members.ts `REMOVAL_IN_FLIGHT`, as the rehire's), nor one it suspended (it
 *   cannot sign in, and keeps its groups: taken for the person, a manager sharing a suspended
 *   owner's email removed the owner's seat as her own). With none that may sign in, the one the IdP
 *   has not deactivated when only one (agent/matching/claimant.ts `claimantAmong`, the rule
 *   matching's `SOLE_ACTIVE` and standing follow), else every directory user it finds (an inactive
 *   one's offers are withdrawn, never claimable).
 * - Several active ones: the person is the one whose `externalId` is one of the sign-in's IdP ids,
 *   the link the leaver sessions already rely on (scim-server/web/leaver-sessions.ts: Okta's SCIM
 *   `externalId` is the Okta user id, its ID token's `sub`). Entra's `externalId` is what the app's
 *   attribute mapping sends (by default `mailNickname`, which no sign-in id equals; the object id,
 *   `oid`, when mapped so). Exactly one must match; otherwise the sign-in does not say which person
 *   it is, and it is none of them.
 * - Either way, when the sign-in's IdP ids name only inactive (deactivated, suspended) users of the
 *   email, the person is those, none of the active ones.
 * - A user a leaver action offboarded counts among the active ones here (`maySignIn`): they hold
 *   nothing, but the leaver workflow often runs before the IdP disables the account, so the IdP
 *   may still sign them in (agent/access/hub-access.ts `offboardedAmong`). Taken for "at most one
 *   active", a leaver whose sign-in names no directory user (Entra's default `externalId`) was
 *   their active namesake: that person's hub role and offers.
 *
 * Only for what the person gains (claiming, offers shown as theirs, and their hub role and My
 * access: agent/access/hub-access.ts `signInOnHub`): the own-seat rules keep treating every
 * directory user with the email as the person (scim-server/web/hub-guard.ts `self`), the strict
 * side there.
 */
export type OwnUsers = { users: Array<Readonly<DirectoryUserRecord>> } | { ambiguous: number };

/**
 * Whether the IdP may be signing this directory user in: active, or held only by a leaver action
 * (offboarded while the IdP still has them active and unsuspended).
 */
export const maySignIn = (u: Pick<DirectoryUserRecord, 'active' | 'suspended'>): boolean => u.active && !u.suspended;

export function ownUsersAmong(found: ReadonlyArray<Readonly<DirectoryUserRecord>>, idpUserIds: readonly string[]): OwnUsers {
  const named = (u: Readonly<DirectoryUserRecord>) => u.externalId !== undefined && u.externalId !== '' && idpUserIds.includes(u.externalId);
  const active = found.filter((u) => isActiveUser(u));
  // The sign-in names only deactivated (or suspended) ones: it is none of the active ones. Taken
  // for "every user it finds", someone removed from the hub (unassigned in the IdP, suspended
  // here) gained the active namesake's hub role and offers; among several active, their lowest role.
  if (active.length > 0 && !active.some(named) && found.some(named)) return { users: found.filter((u) => !isActiveUser(u)) };
  const signing = found.filter((u) => maySignIn(u));
  // Exactly one may be signing in: the person is that one. A namesake the IdP suspended cannot
  // sign in and keeps its groups (an owner's rank counts while suspended): taken for the person
  // too (claimantAmong sets aside only deactivated users), a manager sharing a suspended owner's
  // email removed the owner's seat as her own (scoped-agent.ts `aboveViewer`, docs/security.md 198).
  if (signing.length === 1) return { users: [signing[0]!] };
  if (signing.length === 0) {
    const claimant = claimantAmong(found, isDeactivatedUser);
    return { users: claimant ? [claimant] : [...found] };
  }
  const byId = signing.filter(named);
  return byId.length === 1 ? { users: byId } : { ambiguous: signing.length };
}

/**
 * The directory users of `hub` this email names, as offers are found for it (offer-api.ts) and an
 * offboarding finds them (find-person.ts: the email index, and a user sent without emails whose
 * userName it is).
 */
export async function directoryUsersNamed(view: ReadView, hub: HubConfigFile, email: string): Promise<Array<Readonly<DirectoryUserRecord>>> {
  return (await findPerson(view, [hub], { email })).flatMap((f) => (f.user ? [f.user] : []));
}

/** Why a claim (or My access's Claim button) is refused when ownUsersAmong finds no one person. */
export const AMBIGUOUS_CLAIMANT = 'more than one active directory user has this email (a leaver action\'s hold counts: the IdP may still sign them in) and the sign-in does not say which one the person is';
