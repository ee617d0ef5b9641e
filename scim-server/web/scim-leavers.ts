import { adminGroupKey, allowedGroupsNamed, type DirectoryGroupRecord, type DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import type { Store, Transaction } from '../../agent/store/store.ts';
import { endSessionsIn, pruneMarksSoon, withdrawAdminGroupIn, type SessionPerson } from './session-revocation.ts';

/**
 * What a SCIM push says about a person's dashboard access, applied in the transaction that writes
 * the push (so neither is durable without the other, on every replica: sessions live in the store).
 *
 * Okta and Entra deprovision over SCIM: a deactivation (`active: false`, by PATCH or PUT) or, from
 * Entra, a hard `DELETE /Users/{id}` (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/,
 * https://learn.microsoft.com/entra/identity/app-provisioning/how-provisioning-works). Without
 * this, a hub owner or an administrator deprovisioned that way kept the dashboard for up to 12
 * hours unless an Okta event hook, a Lifecycle Workflow or an admin API offboard also fired.
 * The person's sessions end and the revocation mark refuses a sign-in racing the push
 * (session-revocation.ts); a sign-in begun after it, after a reactivation, is let in.
 *
 * An administrator's rights may come from an allowed group (`server.oidc.allowedGroups`, by the
 * group's name as Okta's groups claim lists it, or its id as Entra's does). When that group is
 * pushed over SCIM, the directory group's `displayName` is the name and Entra's `externalId` the
 * object id: a person taken out of it, or all its members when it is deleted, lose the
 * administrator rights it gave their sessions (withdrawAdminGroup), as after Okta's
 * `group.user_membership.remove` event.
 *
 * Audited as the SCIM client (the request's trigger: its token's name) in the hub's audit log.
 * Expired revocation marks are not pruned in the push (`pruneMarks: false`): pruning there would
 * make concurrent pushes conflict on PostgreSQL. They are pruned after it (pruneMarksSoon).
 */
export interface PushContext {
  hubId: string;
  trigger: Trigger;
  /** `server.oidc.allowedGroups` (none when the dashboard has no OIDC sign-in). */
  adminGroups: readonly string[];
}

/** The person a directory user is, as sessions are matched: its IdP id (`externalId`), emails and login. */
function personOf(user: Readonly<DirectoryUserRecord>): SessionPerson {
  const emails = new Set([user.userName, user.email, ...user.emails].filter((e): e is string => Boolean(e)));
  return { ids: user.externalId ? [user.externalId] : [], emails: [...emails] };
}

function subjectOf(user: Readonly<DirectoryUserRecord>) {
  return { ...(user.email ? { email: user.email } : {}), directoryUserId: user.id };
}

/**
 * A user deactivated (`active` true → false) or deleted over SCIM: their dashboard sessions end.
 * `before`: the record before the push. A deactivation may change the login and emails in the
 * same request (Entra sends a user's changed attributes in one PATCH: a leaver process that
 * renames the UPN and mail as it disables the account); the sessions carry the name they signed
 * in with, so they are matched by both.
 */
export async function endSessionsOfDirectoryUser(tx: Transaction, push: PushContext, user: Readonly<DirectoryUserRecord>, how: 'deactivated' | 'deleted', at = Date.now(), before?: Readonly<DirectoryUserRecord>): Promise<number> {
  const now = personOf(user);
  const was = before ? personOf(before) : { ids: [], emails: [] };
  const person = { ids: [...new Set([...now.ids!, ...was.ids!])], emails: [...new Set([...now.emails!, ...was.emails!])] };
  return endSessionsIn(tx, person, {
    trigger: push.trigger, hubId: push.hubId, subject: subjectOf(user),
    why: `SCIM: ${user.userName} was ${how} in the directory of hub ${push.hubId}: their dashboard sessions end`,
  }, at, { pruneMarks: false });
}

/** The allowed group a directory group is (by its name or its IdP id), if any. */
function allowedGroupOf(allowed: readonly string[], group: Readonly<DirectoryGroupRecord>): { id?: string; name?: string } | undefined {
  const id = group.externalId && allowed.includes(group.externalId) ? group.externalId : undefined;
  // As configured, as sessions record it (oidc-sign-in.ts), whatever Unicode form the IdP sent.
  const name = allowedGroupsNamed(allowed, [group.displayName])[0];
  return id || name ? { ...(id ? { id } : {}), ...(name ? { name } : {}) } : undefined;
}

/**
 * A push that takes members out of a group (`after` undefined: the group is deleted): when it is
 * one of the allowed groups, the sessions of those it no longer has lose the rights it gave.
 * A rename of a group allowed by its name (Okta's groups claim lists names) withdraws that name
 * from every member's sessions: a sign-in now finds the new name, which is not allowed, and the
 * sessions would otherwise keep the old one's rights until they expire (a group allowed by its
 * id, as Entra's claim lists them, keeps that id's rights).
 * Returns how many sessions changed. Nothing is read when the group is not an allowed one.
 */
export async function withdrawAdminGroupOnPush(tx: Transaction, push: PushContext, before: Readonly<DirectoryGroupRecord>, after?: Readonly<DirectoryGroupRecord>, at = Date.now()): Promise<number> {
  const group = allowedGroupOf(push.adminGroups, before);
  if (!group) return 0;
  const renamed = after !== undefined && group.name !== undefined && adminGroupKey(after.displayName) !== adminGroupKey(before.displayName);
  let changed = renamed ? await withdrawFrom(tx, push, before.members.map((m) => m.value), { name: group.name! }, at, `is in ${before.displayName}, one of server.oidc.allowedGroups, which the IdP renamed ${after!.displayName}`) : 0;
  const kept = new Set(after?.members.map((m) => m.value));
  const removed = [...new Set(before.members.map((m) => m.value).filter((id) => !kept.has(id)))];
  // Renamed: the name's rights went from every member above; the id's (if allowed) go from those who left.
  const still = renamed ? (group.id ? { id: group.id } : undefined) : group;
  if (removed.length === 0 || !still) return changed;
  changed += await withdrawFrom(tx, push, removed, still, at, `${after ? 'left' : 'was in the deleted group'} ${before.displayName}, one of server.oidc.allowedGroups`);
  return changed;
}

async function withdrawFrom(tx: Transaction, push: PushContext, ids: string[], group: { id?: string; name?: string }, at: number, how: string): Promise<number> {
  const users = (await tx.getMany('directoryUsers', push.hubId, [...new Set(ids)])).filter((u): u is Readonly<DirectoryUserRecord> => u !== undefined);
  return withdrawAdminGroupIn(tx, users.map((user) => ({
    person: personOf(user),
    cause: {
      trigger: push.trigger, hubId: push.hubId, subject: subjectOf(user),
      why: `SCIM: ${user.userName} ${how}: their sessions lose the administrator rights it gave`,
    },
  })), group, at, { pruneMarks: false });
}

/** After a push that may have written revocation marks (committed): the expired ones are pruned (pruneMarksSoon). */
export const pruneMarksAfterPush = (store: Store): Promise<void> => pruneMarksSoon(store);
