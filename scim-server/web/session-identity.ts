import type { AuditInput } from '../../agent/audit/audit-log.ts';
import { emailKey } from '../../agent/matching/email-key.ts';
import type { ReadView } from '../../agent/store/store.ts';
import type { Session } from './session-store.ts';

/**
 * A dashboard session is bound to who it signed in as, not only to the address it signed in with.
 *
 * A session lasts up to 12 hours and finds its hub role, My access and own seats by its email among
 * the directory users the IdP pushed over SCIM (hub-guard.ts). Okta and Entra may give an address
 * to someone else within that time: the old user renamed, a new hire given the address (Okta does
 * not keep primary emails unique: https://developer.okta.com/docs/reference/api/users/#profile-object).
 * Found by email alone, the old session then acted with the new person's hub role and saw their
 * access. So a sign-in records the OIDC issuer (its `sub`, and Entra's `oid`, are kept already as
 * `idpUserIds`) and, per hub, the SCIM ids of the directory users its email named
 * (`Session.directoryUsers`), and every request that resolves the hub role checks them against
 * what the email names now, from the lookup it makes anyway (no extra read unless something
 * changed). OWASP asks for sessions to be invalidated when the account's identity or rights change:
 * https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html
 *
 * - The email names a directory user the sign-in did not (a new user given the address, or one
 *   whose address was changed to it; also a user on a hub where the sign-in found none): the
 *   session ends. It may be the same person newly provisioned: a new sign-in binds them again.
 * - A bound directory user no longer has the email (renamed), and no bound user still has it: the
 *   same person (same SCIM id) under a new address. The session follows them to it (its email and,
 *   when it was the email, its actor) when every such user has one and the same new address; else
 *   it ends. While some hubs still have the old address (the pushes arrive per hub), it stays as
 *   it is: the renamed hub then finds nobody by it, which grants nothing.
 * - A different issuer than the configured one: the session ends.
 * - A bound user deleted or deactivated grants nothing (hub-access.ts); SCIM ends those sessions.
 */
export type DirectoryUsersByHub = Readonly<Record<string, readonly string[]>>;

export type IdentityVerdict =
  | { kind: 'same' }
  /** A session from before binding, bound now to what its email names (see `legacy` below). */
  | { kind: 'bind'; directoryUsers: Record<string, string[]> }
  /** The bound directory users now have this address (lower-cased): the session follows them. */
  | { kind: 'moved'; email: string }
  | { kind: 'ended'; why: string; hubId?: string };

/**
 * The verdict for `session` given `holders` (hub id → ids of the directory users its email names
 * now, as hub-guard.ts resolved them) and the configured OIDC issuer. Admin-token sessions name
 * no person: always `same`.
 */
export async function checkIdentity(view: ReadView, session: Session, holders: ReadonlyMap<string, readonly string[]>, issuer: string | undefined): Promise<IdentityVerdict> {
  if (session.via !== 'oidc') return { kind: 'same' };
  if (session.directoryUsers === undefined) return legacy(view, session, holders);
  if (session.issuer !== issuer) return { kind: 'ended', why: 'the session signed in with another identity provider than the configured one' };
  const bound = session.directoryUsers;
  for (const [hubId, ids] of holders) {
    if (ids.some((id) => !(bound[hubId] ?? []).includes(id))) {
      return { kind: 'ended', hubId, why: 'the email it signed in with now names another directory user than the one it signed in as' };
    }
  }
  // Bound users the email no longer names: renamed (or deleted, which grants nothing anyway).
  const moved: string[] = [];
  for (const [hubId, ids] of Object.entries(bound)) {
    const now = holders.get(hubId) ?? [];
    const missing = ids.filter((id) => !now.includes(id));
    if (missing.length === 0) continue;
    for (const u of await view.getMany('directoryUsers', hubId, missing)) {
      if (!u) continue;
      const address = u.email ?? u.emails[0];
      if (!address) return { kind: 'ended', hubId, why: 'the directory user it signed in as has no email any more' };
      moved.push(emailKey(address));
    }
  }
  if (moved.length === 0) return { kind: 'same' };
  if (new Set(moved).size > 1) return { kind: 'ended', why: 'the directory users it signed in as now have different emails' };
  // Still named on another hub: the rename has not reached every hub yet.
  if ([...holders.values()].some((ids) => ids.length > 0)) return { kind: 'same' };
  return { kind: 'moved', email: moved[0]! };
}

/**
 * A session created before sessions were bound (no `directoryUsers`; kept in the store across the
 * upgrade, PostgreSQL for replicas): bound on first use to what its email names now, unless one of
 * those directory users was created or changed after the session signed in. A reassignment of
 * the address writes the user that now has it (SCIM sets `meta.lastModified`, RFC 7643 §3.1), so
 * such a session may be the old holder's: it ends. Signing every old session out would also be
 * safe, and cost everyone a sign-in at the upgrade; this costs one only to those whose directory
 * user changed in the session's lifetime (at most 12 hours).
 */
async function legacy(view: ReadView, session: Session, holders: ReadonlyMap<string, readonly string[]>): Promise<IdentityVerdict> {
  const directoryUsers: Record<string, string[]> = {};
  for (const [hubId, ids] of holders) {
    if (ids.length === 0) continue;
    for (const u of await view.getMany('directoryUsers', hubId, ids)) {
      if (u && (Date.parse(u.created) > session.createdAt || Date.parse(u.lastModified) > session.createdAt)) {
        return { kind: 'ended', hubId, why: 'the session signed in before sessions were bound to their directory user, and the directory user its email names changed since' };
      }
    }
    directoryUsers[hubId] = [...ids];
  }
  return { kind: 'bind', directoryUsers };
}

/** The audit entry of a session ended by `checkIdentity`, as leaver sessions' ends are (`end-dashboard-sessions`). */
export function identityEndedAudit(session: Session, verdict: Extract<IdentityVerdict, { kind: 'ended' }>): AuditInput {
  return {
    ...(verdict.hubId ? { hubId: verdict.hubId } : {}),
    trigger: { type: 'dashboard', actor: session.actor, detail: session.via }, action: 'end-dashboard-sessions', outcome: 'ok',
    why: `${verdict.why}: the session ends`,
    ...(session.email ? { subject: { email: session.email } } : {}),
    detail: { sessions: 1, ...(session.idpUserIds?.length ? { idpUserIds: session.idpUserIds } : {}) },
  };
}

/** The audit entry of a session that follows its directory user to a new email. */
export function identityMovedAudit(session: Session, email: string): AuditInput {
  return {
    trigger: { type: 'dashboard', actor: session.actor, detail: session.via }, action: 'move-dashboard-session', outcome: 'ok',
    why: 'the directory user the session signed in as has a new email: the session now finds its hub roles by it',
    subject: { email },
    detail: { from: session.email, to: email },
  };
}
