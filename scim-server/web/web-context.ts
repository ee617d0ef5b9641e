import type { Request, Response } from 'express';
import type { AgentApi } from '../../agent/api.ts';
import type { ReadView, Store } from '../../agent/store/store.ts';
import type { AdminTokens } from '../admin/admin-tokens.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { readCookie, setCookie } from './cookies.ts';
import type { AuditInput } from '../../agent/audit/audit-log.ts';
import type { RefusalAudits } from './sign-in-audit.ts';
import type { Session, SessionHolder, SessionStart, SessionStore } from './session-store.ts';
import type { FailureLimiter } from '../auth-failures.ts';
import type { ForbiddenLog } from './forbidden-log.ts';

/** Where sign-ins and failures are logged (winston child logger in production). */
export interface DashboardLog {
  info(message: string, meta?: object): unknown;
  warn(message: string, meta?: object): unknown;
  error(message: string, meta?: object): unknown;
}

/** What every dashboard route needs. */
export interface WebContext {
  config: LoadedConfig;
  agent: AgentApi;
  /** Read-only view of the store for the pages the admin API has no route for (assets, partners, directory). */
  store: ReadView;
  log: DashboardLog;
  sessions: SessionStore;
  /** The store itself, for what the dashboard keeps across replicas (sessions, the failure limiter). */
  sessionStore: Store;
  /** Where the router is mounted (`/ui`). */
  basePath: string;
  /** `server.adminTokens`, labelled with the keyring the server loaded (one list for the admin API, the dashboard and /metrics). */
  adminTokens: AdminTokens;
  /** Cookies get `Secure` (and the `__Host-` prefix) when the public URL is https. */
  secure: boolean;
  /**
   * Counted in the store across replicas (scim-server/auth-failures.ts): wrong admin tokens (shared
   * with the admin API and SCIM), My access claims per person, audited sign-in refusals.
   */
  failures: FailureLimiter;
  /** The fleet's budget of audited sign-in refusals that name nobody (sign-in-audit.ts), counted in `failures`. */
  signInRefusals: RefusalAudits;
  /** The 403s this process answered, logged once a minute per person (forbidden-log.ts). */
  forbidden: ForbiddenLog;
  /** Changes refused for a missing or wrong CSRF token or another site's Origin, logged the same way (session-guard.ts). */
  csrfRefused: ForbiddenLog;
  /** My access claims refused as not the person's (403, 404), logged the same way (my-access.ts). */
  claimRefused: ForbiddenLog;
}

export const sessionCookieName = (ctx: WebContext) => (ctx.secure ? '__Host-hubwarden-session' : 'hubwarden-session');

/**
 * The header a page's background refresh sends (the automation page's live task list): such a
 * request is no use by the person, so it does not keep the session from ending 30 minutes unused
 * (OWASP ASVS 4.0.3 V3.3.2 counts inactivity; a tab left open polled its session alive until the
 * 12-hour limit).
 */
export const BACKGROUND_HEADER = 'x-hubwarden-background';

export function sessionOf(ctx: WebContext, req: Request): Promise<Session | undefined> {
  return ctx.sessions.get(readCookie(req, sessionCookieName(ctx)), { use: req.headers[BACKGROUND_HEADER] === undefined });
}

/** SameSite=Lax, not Strict: the IdP's redirect back to the callback is a cross-site top-level GET. */
export async function startSession(ctx: WebContext, res: Response, actor: string, via: Session['via'], who?: SessionHolder, start?: SessionStart): Promise<Session> {
  const session = await ctx.sessions.create(actor, via, who, start);
  setCookie(res, sessionCookieName(ctx), session.id, { secure: ctx.secure, sameSite: 'Lax', path: '/' });
  return session;
}

/**
 * `audit`: a sign-out's entry, written with the session's end (a sign-in replacing a session writes none).
 * The session ends in the store first: one the store refuses to end (a failover) keeps its cookie,
 * so the person sees the sign-out fail, rather than a browser that forgot a session every replica
 * still honours (OWASP Session Management Cheat Sheet, "Manual Session Expiration":
 * https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html).
 */
export async function endSession(ctx: WebContext, req: Request, res: Response, audit?: AuditInput): Promise<void> {
  const id = readCookie(req, sessionCookieName(ctx));
  if (id) await ctx.sessions.destroy(id, audit);
  setCookie(res, sessionCookieName(ctx), '', { secure: ctx.secure, sameSite: 'Lax', path: '/', maxAge: 0 });
}
