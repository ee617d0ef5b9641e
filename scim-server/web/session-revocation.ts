import { appendAudit, type AuditInput } from '../../agent/audit/audit-log.ts';
import { emailKey } from '../../agent/matching/email-key.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { runSlot, slotOf } from '../../agent/schedules/run-once.ts';
import type { ReadView, Store, Transaction } from '../../agent/store/store.ts';
import type { SessionHolder, SessionRecord } from './session-store.ts';

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
  /** The hub whose directory said so (a SCIM push): the entry is filed with that hub's audit. */
  hubId?: string;
}

/**
 * A revocation mark (collection `dashboardSignInMarks`, partition ''): the instant a leaver event
 * ended a person's sessions, kept under each id and email the event named them by (`id:<id>`,
 * `email:<lower-cased email or login>`). A sign-in racing the event (its ID token, or the
 * authorization request that earned its code, from before the event, finishing just after it)
 * would otherwise create a session the event never saw; `signInRevokedAt` refuses it.
 */
export interface SignInMark {
  id: string;
  /** Epoch ms: sign-ins whose proof was issued at or before this are refused. */
  revokedAt: number;
}

declare module '../../agent/store/collections.ts' {
  interface Collections {
    dashboardSignInMarks: SignInMark;
  }
}

/**
 * The oldest ID token a sign-in accepts: openid-client (oauth4webapi) refuses one whose `iat` is
 * more than an hour old, and oidc-sign-in.ts checks it again itself, so this does not rest on the
 * library's choice.
 */
export const ID_TOKEN_MAX_AGE_MS = 60 * 60_000;
/** How long a sign-in may take between its start and its callback (the pending cookie's life). */
export const SIGN_IN_MAX_MS = 10 * 60_000;
/**
 * Marks older than this are pruned. A sign-in is judged by the earlier of its ID token's `iat`
 * and the start of the sign-in; both are checked to be within ID_TOKEN_MAX_AGE_MS and
 * SIGN_IN_MAX_MS of now, so a sign-in judged against a mark older than the longer of the two could
 * only be one already refused as too old: such a mark refuses nothing more. Five minutes more for
 * the IdP's clock running ahead of ours.
 */
export const SIGN_IN_MARK_TTL_MS = Math.max(ID_TOKEN_MAX_AGE_MS, SIGN_IN_MAX_MS) + 5 * 60_000;

function markKeysOf(p: SessionPerson): string[] {
  const keys = new Set<string>();
  for (const id of p.ids ?? []) if (id) keys.add(`id:${id}`);
  for (const e of p.emails ?? []) if (e) keys.add(`email:${emailKey(e)}`);
  return [...keys];
}

/**
 * The marks of the person's removal from an allowed group (`withdrawAdminGroup`): one per
 * person key and group name or id, `group:<group>` NUL `<person key>`.
 */
function groupMarkKeysOf(p: SessionPerson, groups: readonly string[]): string[] {
  return markKeysOf(p).flatMap((k) => groups.map((g) => `group:${g}\u0000${k}`));
}

/**
 * The latest revocation mark of the person signing in (by their ID token's ids and trusted email,
 * as a session records them) that is at or after `issuedAt` (epoch ms), if any: then the
 * sign-in is refused. Also a mark of their removal from one of the allowed groups the sign-in
 * would make them an administrator by (its token had the group, issued before the removal).
 * Read through the transaction that would create the session, so a mark committed meanwhile is
 * seen (or runs it again on PostgreSQL).
 */
export async function signInRevokedAt(view: ReadView, who: Pick<SessionHolder, 'idpUserIds' | 'email' | 'adminGroups'>, issuedAt: number): Promise<number | undefined> {
  const person = { ids: who.idpUserIds ?? [], emails: who.email ? [who.email] : [] };
  const keys = [...markKeysOf(person), ...groupMarkKeysOf(person, who.adminGroups ?? [])];
  if (keys.length === 0) return undefined;
  const marks = await view.getMany('dashboardSignInMarks', '', keys);
  const latest = Math.max(...marks.map((m) => m?.revokedAt ?? -Infinity));
  return latest >= issuedAt ? latest : undefined;
}

/**
 * Writes the marks `keys` (moving an older mark forward) and, unless `prune` is false, prunes marks
 * past SIGN_IN_MARK_TTL_MS, in `tx`.
 */
async function markRevoked(tx: Transaction, keys: string[], now: number, prune = true): Promise<void> {
  const marks = await tx.getMany('dashboardSignInMarks', '', keys);
  keys.forEach((id, n) => {
    if ((marks[n]?.revokedAt ?? -Infinity) < now) tx.put('dashboardSignInMarks', '', id, { id, revokedAt: now });
  });
  if (!prune) return;
  for await (const m of tx.list('dashboardSignInMarks', '')) {
    if (now - m.revokedAt > SIGN_IN_MARK_TTL_MS && !keys.includes(m.id)) tx.delete('dashboardSignInMarks', '', m.id);
  }
}

/**
 * Deletes the marks past SIGN_IN_MARK_TTL_MS (they refuse nothing more); returns how many. The
 * sessions' sweep (session-store.ts) and pruneMarksSoon, after a revocation, run it.
 */
export async function pruneSignInMarks(store: Store, now: number): Promise<number> {
  const expired: string[] = [];
  for await (const m of store.list('dashboardSignInMarks', '')) if (now - m.revokedAt > SIGN_IN_MARK_TTL_MS) expired.push(m.id);
  if (expired.length === 0) return 0;
  return store.transact(async (tx) => {
    // Read again: a mark moved forward meanwhile (the same person, a new event) stays.
    const marks = await tx.getMany('dashboardSignInMarks', '', expired);
    let n = 0;
    marks.forEach((m) => {
      if (m && now - m.revokedAt > SIGN_IN_MARK_TTL_MS) {
        tx.delete('dashboardSignInMarks', '', m.id);
        n++;
      }
    });
    return n;
  });
}

/** How often a process prunes expired marks after revocations (the sessions' sweep's period). */
const PRUNE_EVERY_MS = 10 * 60_000;
const lastPrune = new WeakMap<Store, number>();

/**
 * After a revocation committed (a leaver event, an offboarding, a SCIM push): the expired marks
 * are pruned, at most every PRUNE_EVERY_MS per process and by one replica per period, in a
 * transaction of their own. The sessions' sweep prunes them too, but only at a dashboard sign-in:
 * a deployment whose dashboard nobody signs in to (SCIM and the admin API only) would keep a mark
 * for every person it ever deprovisioned. Retention only: a failure here fails nothing.
 * `now` is the revocation's time (the marks' cutoff, the slot); `clock` is read as the prune goes
 * on: the slot's lease is renewed as of it (run-once.ts), so a prune longer than the lease keeps
 * its slot, where `now` read once renewed it to the same expiry and another replica took it over.
 */
export async function pruneMarksSoon(store: Store, now: number = Date.now(), clock: () => number = Date.now): Promise<void> {
  const last = lastPrune.get(store);
  // Either side of `last`: concurrent revocations pass the `now` each took before its commit, so a
  // slower one's may be a little older than the one that just claimed (it claimed again, and the
  // two claims of one slot made each other run again on PostgreSQL). A clock set far back prunes.
  if (last !== undefined && Math.abs(now - last) < PRUNE_EVERY_MS) return;
  lastPrune.set(store, now);
  try {
    await runSlot(store, 'dashboard-sign-in-marks-sweep', slotOf(now, PRUNE_EVERY_MS), () => pruneSignInMarks(store, now), { clock });
  } catch {
    // retention only: the next period tries again
  }
}

/**
 * How the `…In` functions run inside a caller's transaction (a SCIM write's). `pruneMarks: false`
 * leaves the expired marks to pruneMarksSoon after the commit (every caller here passes it):
 * pruning lists every mark, a read that every other revocation's write to the marks changes, so
 * on PostgreSQL concurrent leavers (a bulk deprovisioning: Okta's event hook beside its SCIM
 * deactivations, offboardings from Okta Workflows) would each run again, one after another.
 */
export interface InTransaction {
  pruneMarks?: boolean;
}

function holdsSession(r: Readonly<SessionRecord>, p: SessionPerson): boolean {
  if (r.via !== 'oidc') return false;
  if (p.ids?.some((id) => id && r.idpUserIds?.includes(id))) return true;
  const email = r.email === undefined ? undefined : emailKey(r.email);
  return email !== undefined && (p.emails ?? []).some((e) => emailKey(e) === email);
}

/**
 * The person's sessions, listed through the transaction that changes them: a session created
 * meanwhile is in the list, or (PostgreSQL, which checks a listed partition at commit) runs the
 * transaction again. Listed outside it, one created between the list and the change was missed.
 */
async function sessionsOf(tx: Transaction, p: SessionPerson, also: (r: Readonly<SessionRecord>) => boolean): Promise<Array<Readonly<SessionRecord>>> {
  const found: Array<Readonly<SessionRecord>> = [];
  for await (const r of tx.list('dashboardSessions', '')) if (holdsSession(r, p) && also(r)) found.push(r);
  return found;
}

/** Each person's sessions that pass `also`, from one listing (a session matching two of them goes with the first). */
async function sessionsOfEach(tx: Transaction, people: readonly SessionPerson[], also: (r: Readonly<SessionRecord>) => boolean): Promise<Array<Array<Readonly<SessionRecord>>>> {
  const found = people.map((): Array<Readonly<SessionRecord>> => []);
  for await (const r of tx.list('dashboardSessions', '')) {
    if (!also(r)) continue;
    const n = people.findIndex((p) => holdsSession(r, p));
    if (n >= 0) found[n]!.push(r);
  }
  return found;
}

/**
 * Ends every dashboard session of the person; returns how many. In the same transaction it marks
 * the person revoked as of `now` (SignInMark), so a sign-in whose ID token or start predates this
 * is refused on every replica. Audited (action `end-dashboard-sessions`) in that transaction, only
 * when sessions ended: the mark alone is audited when it refuses a sign-in (sign-in-audit.ts).
 */
export async function endSessionsOf(store: Store, person: SessionPerson, cause: SessionRevocationCause, now: () => number = Date.now): Promise<number> {
  let at = 0;
  const n = await store.transact((tx) => endSessionsIn(tx, person, cause, (at = now()), { pruneMarks: false }));
  await pruneMarksSoon(store, at, now);
  return n;
}

/**
 * endSessionsOf inside a transaction the caller commits: a SCIM deactivation ends the sessions
 * in the transaction that deactivates the user, so neither is durable without the other.
 */
export async function endSessionsIn(tx: Transaction, person: SessionPerson, cause: SessionRevocationCause, at: number, o: InTransaction = {}): Promise<number> {
  await markRevoked(tx, markKeysOf(person), at, o.pruneMarks ?? true);
  const found = await sessionsOf(tx, person, () => true);
  for (const r of found) tx.delete('dashboardSessions', '', r.id);
  if (found.length > 0) appendAudit(tx, auditOf('end-dashboard-sessions', cause, { sessions: found.length, signInsIssuedUpTo: new Date(at).toISOString() }));
  return found.length;
}

/**
 * Takes `group` (matched by its id or its name, as `allowedGroups` may list either) out of the
 * groups the person's sessions were made administrators by; returns how many sessions changed.
 * The session stays: its administrator rights are re-checked on every request (hub-guard.ts), so
 * with no allowed group left (and the email not in `allowedEmails`) it sees what its hub roles
 * allow, as after a new sign-in. In the same transaction it marks the person's removal from the
 * group as of `now`: a sign-in racing it, whose token (issued before) still has the group, is
 * refused (`signInRevokedAt`); signed in again, the new token has it no more.
 */
export async function withdrawAdminGroup(store: Store, person: SessionPerson, group: { id?: string; name?: string }, cause: SessionRevocationCause, now: () => number = Date.now): Promise<number> {
  let at = 0;
  const n = await store.transact((tx) => withdrawAdminGroupIn(tx, [{ person, cause }], group, (at = now()), { pruneMarks: false }));
  await pruneMarksSoon(store, at, now);
  return n;
}

/**
 * withdrawAdminGroup for several people leaving the group at once (a SCIM push that takes members
 * out of an allowed group, or deletes it), inside a transaction the caller commits: the sessions
 * are listed once, and each person whose sessions changed gets their own audit entry.
 */
export async function withdrawAdminGroupIn(tx: Transaction, people: ReadonlyArray<{ person: SessionPerson; cause: SessionRevocationCause }>, group: { id?: string; name?: string }, at: number, o: InTransaction = {}): Promise<number> {
  const names = [group.id, group.name].filter((g): g is string => Boolean(g));
  const holdsGroup = (r: Readonly<SessionRecord>) => (r.adminGroups ?? []).some((g) => names.includes(g));
  await markRevoked(tx, [...new Set(people.flatMap((p) => groupMarkKeysOf(p.person, names)))], at, o.pruneMarks ?? true);
  const found = await sessionsOfEach(tx, people.map((p) => p.person), holdsGroup);
  let changed = 0;
  found.forEach((sessions, n) => {
    for (const r of sessions) {
      const { adminGroups, ...rest } = r;
      const left = (adminGroups ?? []).filter((g) => !names.includes(g));
      tx.put('dashboardSessions', '', r.id, { ...rest, ...(left.length ? { adminGroups: left } : {}) });
    }
    if (sessions.length > 0) appendAudit(tx, auditOf('withdraw-dashboard-admin-group', people[n]!.cause, { sessions: sessions.length, group: names[names.length - 1] }));
    changed += sessions.length;
  });
  return changed;
}

function auditOf(action: string, cause: SessionRevocationCause, detail: Record<string, unknown>): AuditInput {
  return {
    ...(cause.hubId ? { hubId: cause.hubId } : {}), trigger: cause.trigger, action, why: cause.why, outcome: 'ok',
    ...(cause.subject ? { subject: cause.subject } : {}),
    detail: { ...cause.detail, ...detail },
  };
}
