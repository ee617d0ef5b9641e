import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendAudit, type AuditInput } from '../../agent/audit/audit-log.ts';
import { emailKey } from '../../agent/matching/email-key.ts';
import { runSlot, slotOf } from '../../agent/schedules/run-once.ts';
import type { Store } from '../../agent/store/store.ts';
import { pruneSignInMarks, signInRevokedAt } from './session-revocation.ts';

/** Who signed in and how; the actor goes into every audit entry the session causes. */
export interface Session {
  /** The cookie's value: an opaque random id, known only to the browser (the store keeps its SHA-256). */
  id: string;
  /** `alice@example.com` for OIDC, `admin-token:1a2b3c` for a token sign-in. */
  actor: string;
  via: 'oidc' | 'admin-token';
  /**
   * A global administrator (an admin token, or an OIDC person in `allowedGroups`/`allowedEmails`):
   * sees and acts on every hub. Anyone else sees the hubs their hub role lets them (hub-guard.ts).
   */
  admin: boolean;
  /** The signed-in person's email (lower-cased) when the IdP gave one it did not mark unverified: hub roles and My access are found by it. */
  email?: string;
  /** OIDC: the person's groups that were in `allowedGroups` at sign-in (an administrator's rights are re-checked against the config on every request, hub-guard.ts). */
  adminGroups?: string[];
  /**
   * OIDC: the IdP's ids of the person (the ID token's `sub`, and Entra's `oid` when sent), by
   * which an Okta deactivation or an Entra leaver workflow ends the session (session-revocation.ts).
   */
  idpUserIds?: string[];
  /** OIDC: the issuer it signed in with (`server.oidc.issuer`); another one configured since ends it (session-identity.ts). */
  issuer?: string;
  /**
   * OIDC: per hub id, the SCIM ids of the directory users its email named at sign-in. The session
   * is bound to them: the email naming anyone else ends it, and their new email is followed
   * (session-identity.ts). Absent on a session from before binding: bound on first use.
   */
  directoryUsers?: Record<string, string[]>;
  /**
   * Synchronizer token (OWASP CSRF cheat sheet): sent back in X-CSRF-Token or a `_csrf` field.
   * Derived from the session id (`csrfOf`), never stored.
   */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
}

/**
 * A session as the store keeps it (collection `dashboardSessions`, partition ''): keyed by the
 * SHA-256 of its id, without its CSRF token.
 */
export interface SessionRecord extends Omit<Session, 'id' | 'csrf'> {
  /** Hex SHA-256 of the cookie's id. */
  id: string;
}

declare module '../../agent/store/collections.ts' {
  interface Collections {
    dashboardSessions: SessionRecord;
  }
}

export interface SessionLimits {
  /** A session unused this long ends (ms). */
  idleMs: number;
  /** A session ends this long after sign-in, used or not (ms). */
  absoluteMs: number;
}

/** What a new session records about who signed in (Session's fields of the same names). */
export type SessionHolder = Pick<Session, 'admin' | 'email' | 'adminGroups' | 'idpUserIds' | 'issuer' | 'directoryUsers'>;

/** What a sign-in writes beside its session, in the one transaction that creates it. */
export interface SessionStart {
  /**
   * Epoch ms when the IdP's proof of the person was issued (the earlier of the ID token's `iat`
   * and the sign-in's start): refused when a leaver event marked the person at or after it
   * (session-revocation.ts `signInRevokedAt`).
   */
  issuedAt?: number;
  /** The sign-in's audit entry. */
  audit?: AuditInput;
  /** The refusal's audit entry, given the mark's instant (epoch ms). */
  refusedAudit?: (revokedAt: number) => AuditInput;
}

/** A sign-in refused by a revocation mark: no session was created (the refusal is audited). */
export class SignInRevoked extends Error {
  constructor(readonly revokedAt: number) {
    super('sign-in refused: the person was offboarded after this sign-in began');
  }
}

/**
 * 30 minutes unused, 12 hours at most: OWASP ASVS 4.0.3 V3.3.2 at level 2 ("12 hours or 30 minutes
 * of inactivity", https://github.com/OWASP/ASVS/blob/v4.0.3/4.0/en/0x12-V3-Session-management.md).
 * The dashboard changes people's access, so it takes level 2; use moves the idle clock forward.
 */
export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, absoluteMs: 12 * 60 * 60_000 };

/** Expired sessions are deleted at most this often (by one replica per slot on a shared store). */
const SWEEP_EVERY_MS = 10 * 60_000;

const token = () => randomBytes(32).toString('base64url');
const digest = (id: string) => createHash('sha256').update(id, 'utf8').digest('hex');

/**
 * The session's CSRF token: HMAC-SHA256 keyed with the session id (OWASP CSRF Prevention Cheat
 * Sheet, "HMAC based token": https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
 * Derived on every read instead of stored: a copy of the store (a backup, `store inspect`, a
 * PostgreSQL row) held it in clear, and with it a page on another site could make a signed-in
 * browser's forged request pass the check. The store's SHA-256 of the id does not give it.
 */
const csrfOf = (id: string) => createHmac('sha256', id).update('hubwarden dashboard csrf v1').digest('base64url');

/** A record as kept: no CSRF token (a session stored before it was derived may carry one). */
function recordOf(session: Omit<Session, 'csrf'> & { csrf?: string }, key: string): SessionRecord {
  const { csrf: _derived, ...rest } = session;
  return { ...rest, id: key };
}

/**
 * Server-side sessions, kept in the store so that any replica serves any signed-in person
 * (several replicas behind one load balancer, no sticky sessions). The cookie carries only an
 * opaque random id (256 bits), so there is nothing to sign or forge; the store keeps the SHA-256
 * of the id, never the id itself, so a copy of the database (a backup, a read replica, `store
 * inspect`) holds no session anyone could present (OWASP Session Management Cheat Sheet:
 * https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html). A fast
 * hash is enough: the id is 256 random bits, not a password.
 *
 * Idle and absolute expiry as before. Use moves `lastSeenAt` forward at most every
 * `touchEveryMs` (a minute, or a tenth of the idle limit when shorter), so browsing the dashboard
 * does not write to the store on every request; a session may therefore end up to that much
 * before its idle limit. Expired sessions are refused when read and deleted by a sweep.
 */
export class SessionStore {
  private readonly touchEveryMs: number;
  private lastSweep = 0;

  constructor(
    private readonly store: Store,
    private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
    private readonly clock: () => number = Date.now,
  ) {
    this.touchEveryMs = Math.min(60_000, Math.floor(limits.idleMs / 10));
  }

  /**
   * A new session with new ids: a sign-in never reuses an id an attacker may have planted.
   * Rejects with SignInRevoked, creating nothing, when `start.issuedAt` is at or before a
   * revocation mark of the person; the mark is read in the transaction that writes the session.
   */
  async create(actor: string, via: Session['via'], who: SessionHolder = { admin: via === 'admin-token' }, start: SessionStart = {}): Promise<Session> {
    const now = this.clock();
    const session: Session = {
      id: token(), actor, via, admin: who.admin, ...(who.email ? { email: emailKey(who.email) } : {}),
      ...(who.adminGroups?.length ? { adminGroups: [...who.adminGroups] } : {}),
      ...(who.idpUserIds?.length ? { idpUserIds: [...who.idpUserIds] } : {}),
      ...(who.issuer ? { issuer: who.issuer } : {}),
      ...(who.directoryUsers ? { directoryUsers: Object.fromEntries(Object.entries(who.directoryUsers).map(([h, ids]) => [h, [...ids]])) } : {}),
      csrf: '', createdAt: now, lastSeenAt: now,
    };
    session.csrf = csrfOf(session.id);
    const record = recordOf(session, digest(session.id));
    const revokedAt = await this.store.transact(async (tx) => {
      const mark = start.issuedAt === undefined ? undefined : await signInRevokedAt(tx, who, start.issuedAt);
      if (mark !== undefined) {
        if (start.refusedAudit) appendAudit(tx, start.refusedAudit(mark));
        return mark;
      }
      tx.put('dashboardSessions', '', record.id, record);
      if (start.audit) appendAudit(tx, start.audit);
      return undefined;
    });
    if (revokedAt !== undefined) throw new SignInRevoked(revokedAt);
    await this.sweepNow(now).catch(() => {}); // retention only: a failed sweep must not fail a sign-in
    return session;
  }

  /**
   * The live session for a cookie value (and marks it used), or undefined. `use: false`: a page's
   * own background refresh, which is no use by the person and leaves the idle clock where it is.
   */
  async get(id: string | undefined, o: { use?: boolean } = {}): Promise<Session | undefined> {
    if (!id) return undefined;
    const key = digest(id);
    const record = await this.store.get('dashboardSessions', '', key);
    if (!record) return undefined;
    const now = this.clock();
    if (this.expired(record, now)) {
      await this.store.transact((tx) => tx.delete('dashboardSessions', '', key));
      return undefined;
    }
    let lastSeenAt = record.lastSeenAt;
    if (o.use !== false && now - record.lastSeenAt >= this.touchEveryMs) {
      lastSeenAt = now;
      await this.store.transact(async (tx) => {
        // Read again: it may have been signed out (or touched by another replica) meanwhile.
        const current = await tx.get('dashboardSessions', '', key);
        if (current && current.lastSeenAt < now) tx.put('dashboardSessions', '', key, recordOf({ ...current, lastSeenAt: now }, key));
      });
    }
    const { id: _key, ...kept } = recordOf(record, key);
    return { ...kept, id, csrf: csrfOf(id), lastSeenAt };
  }

  /** Ends the session; `audit` (a sign-out's entry) is written with its end, only if it was there. */
  async destroy(id: string, audit?: AuditInput): Promise<void> {
    const key = digest(id);
    await this.store.transact(async (tx) => {
      if (audit && (await tx.get('dashboardSessions', '', key))) appendAudit(tx, audit);
      tx.delete('dashboardSessions', '', key);
    });
  }

  /**
   * Changes what the session records about who it is (a binding on first use, a followed email:
   * session-identity.ts), with `audit`, only if the session is still there; returns it changed,
   * or undefined when it ended meanwhile.
   */
  async rebind(session: Session, change: Partial<Pick<Session, 'actor' | 'email' | 'issuer' | 'directoryUsers'>>, audit?: AuditInput): Promise<Session | undefined> {
    const key = digest(session.id);
    const kept = await this.store.transact(async (tx) => {
      const current = await tx.get('dashboardSessions', '', key);
      if (!current) return undefined;
      // Another request (or replica) did it first: a binding stays the first one, and an email
      // already followed is not followed (nor audited) twice.
      if ((change.directoryUsers && current.directoryUsers) || (change.email !== undefined && current.email !== session.email)) return current;
      const next = { ...current, ...change, ...(change.email !== undefined ? { email: emailKey(change.email) } : {}) };
      tx.put('dashboardSessions', '', key, next);
      if (audit) appendAudit(tx, audit);
      return next;
    });
    if (!kept) return undefined;
    const { id: _key, ...rest } = kept;
    return { ...rest, id: session.id, csrf: session.csrf, lastSeenAt: session.lastSeenAt };
  }

  /** Sessions kept (live or not yet swept). */
  count(): Promise<number> {
    return this.store.count('dashboardSessions', '');
  }

  /** Deletes expired sessions; returns how many. */
  async sweep(): Promise<number> {
    const now = this.clock();
    const expired: string[] = [];
    for await (const r of this.store.list('dashboardSessions', '')) if (this.expired(r, now)) expired.push(r.id);
    if (expired.length === 0) return 0;
    return this.store.transact(async (tx) => {
      let n = 0;
      for (const key of expired) {
        const r = await tx.get('dashboardSessions', '', key);
        if (r && this.expired(r, now)) {
          tx.delete('dashboardSessions', '', key);
          n++;
        }
      }
      return n;
    });
  }

  /** At sign-in, at most every SWEEP_EVERY_MS per process, and by one replica per slot; expired revocation marks too. */
  private async sweepNow(now: number): Promise<void> {
    if (now - this.lastSweep < SWEEP_EVERY_MS && this.lastSweep !== 0) return;
    this.lastSweep = now;
    await runSlot(this.store, 'dashboard-sessions-sweep', slotOf(now, SWEEP_EVERY_MS), async () => {
      await this.sweep();
      // Revocation marks a SCIM push wrote without pruning (scim-leavers.ts).
      await pruneSignInMarks(this.store, now);
    }, { clock: this.clock });
  }

  private expired(r: Readonly<SessionRecord>, now: number): boolean {
    return now - r.lastSeenAt > this.limits.idleMs || now - r.createdAt > this.limits.absoluteMs;
  }
}
