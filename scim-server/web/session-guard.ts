import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { isOwnHost } from '../own-host.ts';
import { safeNext } from './safe-next.ts';
import { sessionOf, type WebContext } from './web-context.ts';
import type { Session } from './session-store.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The signed-in session of a request that passed a guard. */
export const currentSession = (res: Response): Session => res.locals.session as Session;

function sendUnauthenticated(res: Response, status: 401 | 403, detail: string, instance: string): void {
  res.status(status).type('application/problem+json').send(JSON.stringify({
    type: `https://hubwarden.dev/problems/${status === 401 ? 'unauthenticated' : 'csrf'}`,
    title: status === 401 ? 'Unauthorized' : 'Forbidden', status, detail, instance,
  }));
}

const sameToken = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * The Origin header, when the browser sends one, must be this server (OWASP CSRF cheat sheet,
 * "verifying origin with standard headers"): a defence in depth next to the synchronizer token.
 * That is `server.publicUrl`'s origin, or the origin of a loopback name the page was opened at.
 */
export function sameOrigin(ctx: WebContext, req: Request): boolean {
  const origin = req.get('origin');
  if (!origin || origin === 'null') return origin === undefined;
  const publicUrl = ctx.config.file.server.publicUrl;
  if (origin === new URL(publicUrl).origin) return true;
  // The page's own origin only when its host is one no other site can rebind to (own-host.ts:
  // the loopback names, reached from loopback), never whatever Host the request named.
  return isOwnHost(req.host, req.socket.remoteAddress, publicUrl) && origin === `${req.protocol}://${req.host}`;
}

/** How a refused change is logged (ForbiddenLog, one line a minute per person): at warn, it may be another site acting through the person's browser. */
export const CSRF_REFUSED_LINE = { message: 'dashboard: refused a change without the session\'s CSRF token or from another origin (403)', level: 'warn' } as const;

/**
 * Logs a change refused by the CSRF checks (ctx.csrfRefused): who the session is, the path
 * without its query, which check failed, and the Origin sent (cut to 200 characters). A forged
 * request refused is a failed access-control decision, logged as the hub-role 403s are (OWASP
 * ASVS 4.0.3 V7.2.2, https://github.com/OWASP/ASVS/blob/v4.0.3/4.0/en/0x15-V7-Error-Logging.md):
 * the person whose browser a page on another site used can then be told which site it was.
 */
export function logCsrfRefusal(ctx: WebContext, req: Request, session: Session): void {
  const origin = req.get('origin');
  ctx.csrfRefused.refused(session.actor, req.originalUrl.split('?')[0]!, undefined, {
    failed: sameOrigin(ctx, req) ? 'token' : 'origin', ...(origin !== undefined ? { origin: origin.slice(0, 200) } : {}),
  });
}

/** The synchronizer token of the session, from the X-CSRF-Token header or a form's `_csrf` field. */
export function csrfOk(req: Request, session: Session): boolean {
  const presented = req.get('x-csrf-token') ?? (typeof req.body?._csrf === 'string' ? req.body._csrf : undefined);
  return typeof presented === 'string' && sameToken(presented, session.csrf);
}

/**
 * Where to come back to after signing in when a form was posted without a session (the session
 * went idle on an open page): the page the form was on, never the form's action. After sign-in
 * the browser GETs `next` (a 303, RFC 9110 §15.4.4), and a POST-only action such as My access's
 * Claim answered that GET with 404. The page is the same-origin Referer (`Referrer-Policy:
 * same-origin` sends it with our own forms), when it is a dashboard path (safeNext); else none.
 */
function pageBefore(ctx: WebContext, req: Request): string | undefined {
  const referer = req.get('referer');
  if (!referer) return undefined;
  try {
    const url = new URL(referer);
    const path = `${url.pathname}${url.search}`;
    return safeNext(ctx.basePath, path) === path ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The answer to a request without a session: pages redirect to sign-in (with where to come back), the API answers 401. */
export function sendSignedOut(ctx: WebContext, req: Request, res: Response, kind: 'page' | 'api'): void {
  if (kind === 'page') {
    const back = SAFE_METHODS.has(req.method) ? req.originalUrl : pageBefore(ctx, req);
    res.redirect(303, back ? `${ctx.basePath}/sign-in?next=${encodeURIComponent(back)}` : `${ctx.basePath}/sign-in`);
  } else {
    sendUnauthenticated(res, 401, 'sign in to the dashboard first', req.originalUrl);
  }
}

/**
 * Pages: no session → redirect to sign-in (with where to come back); API: 401 problem.
 * Every state-changing request must carry the session's CSRF token and come from this origin.
 * An unauthenticated request never reaches a handler that reads hub data.
 */
export function requireSession(ctx: WebContext, kind: 'page' | 'api'): RequestHandler {
  return (req, res, next) => {
    // The session is read from the store (any replica may have started it); a store that cannot
    // answer goes to the router's last resort (503 with Retry-After).
    sessionOf(ctx, req).then((session) => {
      if (!session) return sendSignedOut(ctx, req, res, kind);
      if (!SAFE_METHODS.has(req.method) && (!sameOrigin(ctx, req) || !csrfOk(req, session))) {
        logCsrfRefusal(ctx, req, session);
        sendUnauthenticated(res, 403, 'missing or wrong CSRF token (reload the page and try again)', req.originalUrl);
        return;
      }
      res.locals.session = session;
      next();
    }, next);
  };
}
