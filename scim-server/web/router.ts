import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { isOwnHost, misdirectedText } from '../own-host.ts';
import { isStoreContention } from '../../agent/store/store-contention.ts';
import { isStoreUnavailable } from '../../agent/store/store-unavailable.ts';
import { Problem, sendProblem, toProblem } from '../admin/problem.ts';
import type { AgentApi } from '../../agent/api.ts';
import { childLogger } from '../../agent/log/logger.ts';
import { Keyring } from '../../agent/secrets/keyring.ts';
import { adminTokensFrom, type AdminTokens } from '../admin/admin-tokens.ts';
import type { Store } from '../../agent/store/store.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { registerCsvExports } from './csv-export.ts';
import { registerMyAccess } from './my-access.ts';
import { registerOidcSignIn } from './oidc-sign-in.ts';
import { registerPages } from './pages.ts';
import { SessionStore } from './session-store.ts';
import { FailureLimiter } from '../auth-failures.ts';
import { RefusalAudits } from './sign-in-audit.ts';
import { CLAIM_REFUSED_LINE, ForbiddenLog } from './forbidden-log.ts';
import { CSRF_REFUSED_LINE } from './session-guard.ts';
import { registerTokenSignIn } from './token-sign-in.ts';
import { registerAdminAdapter } from './ui-api.ts';
import { registerUiReadRoutes } from './ui-read-routes.ts';
import type { DashboardLog, WebContext } from './web-context.ts';
import { defineDirectoryIndexes } from '../../agent/desired-state/directory-records.ts';
import { definePersonIndexes } from '../../agent/plan/person-input.ts';
import { defineStandingIndexes } from '../../agent/standing/standing.ts';

export interface WebRouterDeps {
  config: LoadedConfig;
  agent: AgentApi;
  /**
   * The store: assets, partners and the directory search read its records (read only); sessions
   * are kept in it, so any replica serves any signed-in person.
   */
  store: Store;
  /**
   * The `secrets.keyFile` keyring (main.ts loads it at start): pending OIDC sign-ins are sealed
   * with a key derived from it, so replicas sharing the key file finish each other's. Default: the
   * key file the config names, read on the first OIDC sign-in.
   */
  keyring?: Keyring;
  /** `server.adminTokens` as the server built them (compose.ts); default: built here, with `keyring`. */
  adminTokens?: AdminTokens;
  log?: DashboardLog;
  /** Where the app mounts the router (default `/ui`); links, cookies and the OIDC redirect URI use it. */
  basePath?: string;
  /** Tests pass their own to inspect or expire sessions (default: kept in `store`). */
  sessions?: SessionStore;
  /**
   * The limiter shared with SCIM and the admin API (compose.ts builds one; default: counted in
   * `store`): wrong admin tokens, My access claims and audited sign-in refusals, each budget spent
   * by all the replicas together. Tests pass one with smaller budgets or their own clock.
   */
  failures?: FailureLimiter;
}

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');

/**
 * Security headers of every dashboard response: no inline script or style, no framing
 * (clickjacking on the confirmation dialogs), no referrer to other sites (hub ids in URLs stay
 * here; `no-referrer` would make Chromium send `Origin: null` on our own form posts), no handle
 * for another site's page, and nothing with hub data cached by the browser or a proxy.
 */
const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  // A page of another site that opens the dashboard (window.open) gets no handle on it, and its
  // responses are not loaded by other sites' pages (https://html.spec.whatwg.org/multipage/browsers.html#cross-origin-opener-policies,
  // https://fetch.spec.whatwg.org/#cross-origin-resource-policy-header). Sign-in is a redirect, not a pop-up.
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  next();
};

/**
 * On an https `publicUrl`, browsers are told to reach the dashboard over https only for a year
 * (RFC 6797 §6.1), so a network attacker cannot strip TLS from a later visit before the
 * `__Host-` session cookie is sent. Not sent over plain http, where RFC 6797 §7.2 says it is ignored.
 */
const strictTransport: RequestHandler = (_req, res, next) => {
  res.setHeader('Strict-Transport-Security', 'max-age=31536000');
  next();
};

/**
 * Only requests that name hubwarden's own host reach the dashboard (own-host.ts: DNS rebinding).
 * `req.host` is X-Forwarded-Host when `server.trustProxy` trusts the peer, else the Host header.
 */
function ownHostOnly(publicUrl: string): RequestHandler {
  return (req, res, next) => {
    if (isOwnHost(req.host, req.socket.remoteAddress, publicUrl)) return next();
    res.status(421).type('text/plain').send(misdirectedText(publicUrl));
  };
}

const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * The web dashboard, mounted by the app at `/ui`: sign-in (OIDC and admin token),
 * the pages, their scripts and styles, `/ui/api` (the admin API behind the session) and My
 * access. Every route past sign-in checks the viewer's hub role on the server (hub-guard.ts).
 */
export function createWebRouter(deps: WebRouterDeps): Router {
  const log = deps.log ?? childLogger('dashboard');
  const basePath = deps.basePath ?? '/ui';
  const failures = deps.failures ?? new FailureLimiter({}, Date.now, deps.store);
  // The indexes the dashboard reads (the viewer's directory users and seats, hub-guard.ts; My
  // access): a lookup of an index not defined fails (store.ts), so they are defined here too.
  defineDirectoryIndexes(deps.store);
  definePersonIndexes(deps.store);
  defineStandingIndexes(deps.store);
  const ctx: WebContext = {
    config: deps.config, agent: deps.agent, store: deps.store, sessionStore: deps.store, log, basePath,
    adminTokens: deps.adminTokens ?? adminTokensFrom(deps.config, deps.keyring),
    sessions: deps.sessions ?? new SessionStore(deps.store),
    failures, signInRefusals: new RefusalAudits(failures), forbidden: new ForbiddenLog(log),
    csrfRefused: new ForbiddenLog(log, Date.now, CSRF_REFUSED_LINE), claimRefused: new ForbiddenLog(log, Date.now, CLAIM_REFUSED_LINE),
    secure: new URL(deps.config.file.server.publicUrl).protocol === 'https:',
  };
  const router = Router();
  router.use(securityHeaders);
  router.use(ownHostOnly(deps.config.file.server.publicUrl));
  if (ctx.secure) router.use(strictTransport);
  router.use('/static', express.static(STATIC_DIR, { index: false, maxAge: '1h', fallthrough: false }));
  router.use(noStore);
  registerTokenSignIn(router, ctx);
  // Called once, on the first OIDC sign-in: registerOidcSignIn keeps the one PendingCookie it makes.
  registerOidcSignIn(router, ctx, () => (deps.keyring ? Promise.resolve(deps.keyring) : Keyring.load(deps.config.pathOf(deps.config.file.secrets.keyFile))));
  registerAdminAdapter(router, ctx);
  registerUiReadRoutes(router, ctx);
  registerCsvExports(router, ctx);
  registerPages(router, ctx);
  registerMyAccess(router, ctx);

  const lastResort: ErrorRequestHandler = (err, req, res, next) => {
    if (res.headersSent) return next(err);
    // The store refused a write (the disk refuses them, or other writes to the same records kept
    // winning): 503 with Retry-After, as on the admin API;
    // a refusal of the hub-role checks (scoped-agent.ts) keeps its 403.
    if (isStoreUnavailable(err) || isStoreContention(err) || err instanceof Problem) return sendProblem(res, toProblem(err), req.originalUrl);
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) log.error('dashboard: request failed', { method: req.method, path: req.path, error: err instanceof Error ? err.message : String(err) });
    const slug = status === 500 ? 'internal' : status === 404 ? 'not-found' : 'invalid-request';
    const title = status === 500 ? 'Internal Server Error' : status === 404 ? 'Not Found' : status === 413 ? 'Content Too Large' : 'Bad Request';
    const detail = status === 500 ? 'the request failed inside hubwarden; the server log has the cause'
      : status === 404 ? `no dashboard file ${req.originalUrl}` : 'the request could not be read';
    res.status(status).type('application/problem+json').send(JSON.stringify({ type: `https://hubwarden.dev/problems/${slug}`, title, status, detail }));
  };
  router.use(lastResort);
  return router;
}
