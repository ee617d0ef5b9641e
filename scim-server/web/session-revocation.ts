import { appendAudit, type AuditInput } from '../../agent/audit/audit-log.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import type { Store } from '../../agent/store/store.ts';
import type { SessionRecord } from './session-store.ts';

/**
 * Dashboard sessions ended by what the identity provider says about their person, on every replica
 * at once (sessions live in the store, and every request reads its session: hub-guard.ts).
 *
 * A session lasts up to 12 hours, and an OIDC administrator's groups are those the ID token had at
 * sign-in. Without this, someone deactivated in Okta, or taken out of the allowed group, kept the
 * dashboard (an administrator's: every hub) until the session ran out, the very leaver problem
 * hubwarden exists to close. OWASP asks for server-side sessions to be invalidated when the
 * account's rights change (https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html#renew-the-session-id-after-any-privilege-level-change).
 *
 * Only OIDC sessions are matched (an admin token names no person). Ending a session wrongly costs
 * a sign-in; keeping it wrongly keeps a leaver in, so a session is matched by any of the person's
 * ids or emails.
 */
export interface SessionPerson {
  /** The IdP's ids of the person: Okta's user id (its ID token's `sub`), Entra's object id (`oid`). */
  ids?: string[];
  /** Emails and logins of the person (an Okta login, an Entra UPN); matched without case. */
  emails?: string[];
}

/**
 * The person an IdP event or callout names (its user or object id, email and login) as sessions
 * are matched: an Okta event's User target, a Lifecycle Workflows subject.
 */
export function sessionPersonOf(p: { externalId?: string; email?: string; userName?: string }): SessionPerson {
  return { ids: p.externalId ? [p.externalId] : [], emails: [p.email, p.userName].filter((e): e is string => Boolean(e)) };
}

/** Who asked, and why (the audit entry's trigger and reason). */
export interface SessionRevocationCause {
  trigger: Trigger;
  why: string;
  subject?: AuditInput['subject'];
  detail?: Record<string, unknown>;
}

function holdsSession(r: Readonly<SessionRecord>, p: SessionPerson): boolean {
  if (r.via !== 'oidc') return false;
  if (p.ids?.some((id) => id && r.idpUserIds?.includes(id))) return true;
  const email = r.email;
  return email !== undefined && (p.emails ?? []).some((e) => e.toLowerCase() === email);
}

async function sessionKeysOf(store: Store, p: SessionPerson, also: (r: Readonly<SessionRecord>) => boolean): Promise<string[]> {
  const keys: string[] = [];
  for await (const r of store.list('dashboardSessions', '')) if (holdsSession(r, p) && also(r)) keys.push(r.id);
  return keys;
}

/**
 * Ends every dashboard session of the person; returns how many. Audited (action
 * `end-dashboard-sessions`) in the transaction that deletes them, only when there were any.
 */
export async function endSessionsOf(store: Store, person: SessionPerson, cause: SessionRevocationCause): Promise<number> {
  const keys = await sessionKeysOf(store, person, () => true);
  if (keys.length === 0) return 0;
  return store.transact(async (tx) => {
    let ended = 0;
    for (const key of keys) {
      const r = await tx.get('dashboardSessions', '', key);
      if (!r || !holdsSession(r, person)) continue;
      tx.delete('dashboardSessions', '', key);
      ended++;
    }
    if (ended > 0) appendAudit(tx, auditOf('end-dashboard-sessions', cause, { sessions: ended }));
    return ended;
  });
}

/**
 * Takes `group` (matched by its id or its name, as `allowedGroups` may list either) out of the
 * groups the person's sessions were made administrators by; returns how many sessions changed.
 * The session stays: its administrator rights are re-checked on every request (hub-guard.ts), so
 * with no allowed group left (and the email not in `allowedEmails`) it sees what its hub roles
 * allow, as after a new sign-in.
 */
export async function withdrawAdminGroup(store: Store, person: SessionPerson, group: { id?: string; name?: string }, cause: SessionRevocationCause): Promise<number> {
  const names = [group.id, group.name].filter((g): g is string => Boolean(g));
  const holdsGroup = (r: Readonly<SessionRecord>) => (r.adminGroups ?? []).some((g) => names.includes(g));
  const keys = await sessionKeysOf(store, person, holdsGroup);
  if (keys.length === 0) return 0;
  return store.transact(async (tx) => {
    let changed = 0;
    for (const key of keys) {
      const r = await tx.get('dashboardSessions', '', key);
      if (!r || !holdsSession(r, person) || !holdsGroup(r)) continue;
      const { adminGroups, ...rest } = r;
      const left = (adminGroups ?? []).filter((g) => !names.includes(g));
      tx.put('dashboardSessions', '', key, { ...rest, ...(left.length ? { adminGroups: left } : {}) });
      changed++;
    }
    if (changed > 0) appendAudit(tx, auditOf('withdraw-dashboard-admin-group', cause, { sessions: changed, group: names[names.length - 1] }));
    return changed;
  });
}

function auditOf(action: string, cause: SessionRevocationCause, detail: Record<string, unknown>): AuditInput {
  return {
    trigger: cause.trigger, action, why: cause.why, outcome: 'ok',
    ...(cause.subject ? { subject: cause.subject } : {}),
    detail: { ...cause.detail, ...detail },
  };
}
