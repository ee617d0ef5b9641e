import { randomBytes } from 'node:crypto';

/** Who signed in and how; the actor goes into every audit entry the session causes. */
export interface Session {
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
  /** Synchronizer token (OWASP CSRF cheat sheet): sent back in X-CSRF-Token or a `_csrf` field. */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionLimits {
  /** A session unused this long ends (ms). */
  idleMs: number;
  /** A session ends this long after sign-in, used or not (ms). */
  absoluteMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 2 * 60 * 60_000, absoluteMs: 12 * 60 * 60_000 };

const token = () => randomBytes(32).toString('base64url');

/**
 * Server-side sessions kept in this process's memory. The cookie carries only an opaque random
 * id (256 bits), so there is nothing to sign or forge; a restart signs everyone out, which is
 * acceptable for an admin console (docs/dashboard.md says so).
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();

  constructor(
    private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A new session with new ids: a sign-in never reuses an id an attacker may have planted. */
  create(actor: string, via: Session['via'], who: { admin: boolean; email?: string } = { admin: via === 'admin-token' }): Session {
    this.#sweep();
    const now = this.clock();
    const session: Session = { id: token(), actor, via, admin: who.admin, ...(who.email ? { email: who.email.toLowerCase() } : {}), csrf: token(), createdAt: now, lastSeenAt: now };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session for a cookie value (and marks it used), or undefined. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    const now = this.clock();
    if (now - session.lastSeenAt > this.limits.idleMs || now - session.createdAt > this.limits.absoluteMs) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  destroy(id: string): void {
    this.#sessions.delete(id);
  }

  get size(): number {
    return this.#sessions.size;
  }

  #sweep(): void {
    const now = this.clock();
    for (const [id, s] of this.#sessions) {
      if (now - s.lastSeenAt > this.limits.idleMs || now - s.createdAt > this.limits.absoluteMs) this.#sessions.delete(id);
    }
  }
}
