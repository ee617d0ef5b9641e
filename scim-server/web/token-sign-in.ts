import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import { clientAddress } from '../auth-failures.ts';
import { readCookie, setCookie } from './cookies.ts';
import { html, layout } from './html.ts';
import { safeNext } from './safe-next.ts';
import { csrfOk, logCsrfRefusal, sameOrigin } from './session-guard.ts';
import { auditRefusal, signedInAudit, signedOutAudit, type Refused } from './sign-in-audit.ts';
import { signInErrorMessage } from './sign-in-errors.ts';
import { endSession, sessionOf, startSession, type WebContext } from './web-context.ts';

/** Login CSRF (OWASP): the sign-in form echoes a random value also set as a cookie (double submit). */
const LOGIN_COOKIE = 'hubwarden-login';

/**
 * Constant-time over SHA-256 digests: always 32 bytes each. Comparing the strings' bytes threw
 * (timingSafeEqual needs equal byte lengths) when the echoed value had as many characters as the
 * cookie but more bytes (`é` is two in UTF-8), and a forged form earned a 500 instead of a 403.
 */
const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

function signInPage(ctx: WebContext, o: { next: string; loginCsrf: string; error?: string; tokenRefused?: boolean }): string {
  const b = ctx.basePath;
  const oidc = ctx.config.file.server.oidc;
  const tokens = ctx.config.file.server.adminTokens.length > 0;
  const body = html`<section class="sign-in" aria-labelledby="sign-in-title">
<h1 id="sign-in-title">Sign in to hubwarden</h1>
${o.error ? html`<p class="error" id="sign-in-error" role="alert">${o.error}</p>` : ''}
${oidc ? html`<a class="button primary" id="oidc-sign-in" href="${b}/auth/oidc?next=${encodeURIComponent(o.next)}">Sign in with your organisation</a>
<p class="hint">Through ${new URL(oidc.issuer).host}</p>` : ''}
${tokens ? html`<form method="post" action="${b}/sign-in/token" class="token-form">
<input type="hidden" name="_login" value="${o.loginCsrf}"><input type="hidden" name="next" value="${o.next}">
<label for="admin-token">Admin token</label>
<input id="admin-token" name="token" type="password" autocomplete="off" required${o.tokenRefused ? html` aria-invalid="true" aria-describedby="sign-in-error"` : ''}>
<button type="submit">Sign in with token</button></form>` : ''}
${!oidc && !tokens ? html`<p>No sign-in is configured: add <code>server.oidc</code> or <code>server.adminTokens</code> to the config.</p>` : ''}
</section>`;
  return layout({ basePath: b, title: 'Sign in', body });
}

/** The sign-in page, the admin-token form and sign-out. */
export function registerTokenSignIn(router: Router, ctx: WebContext): void {
  const tokens = ctx.adminTokens;
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  const loginCookie = (res: express.Response, value: string) =>
    setCookie(res, LOGIN_COOKIE, value, { secure: ctx.secure, sameSite: 'Strict', path: ctx.basePath, maxAge: value ? 600 : 0 });

  /** `tokenRefused`: the error is the token's, so the field is marked invalid and names it (WCAG 2.2 SC 3.3.1, ARIA21). */
  const render = (req: express.Request, res: express.Response, status: number, error?: string, tokenRefused = false) => {
    const loginCsrf = randomBytes(16).toString('base64url');
    loginCookie(res, loginCsrf);
    const next = safeNext(ctx.basePath, req.query.next ?? req.body?.next);
    res.status(status).type('html').send(signInPage(ctx, { next, loginCsrf, error, tokenRefused }));
  };

  router.get('/sign-in', async (req, res) => {
    if (await sessionOf(ctx, req)) return res.redirect(303, safeNext(ctx.basePath, req.query.next));
    render(req, res, 200, signInErrorMessage(req.query.error));
  });

  /**
   * Audits a refused token sign-in (sign-in-audit.ts); the token itself is never written. Every
   * one names nobody, so every one is within the fleet's budget of such refusals: a wrong token
   * is also within its address's failure budget, but addresses are many (a botnet, an IPv6 prefix).
   */
  const refuse = (o: Pick<Refused, 'reason' | 'ip'>) =>
    auditRefusal(ctx.sessionStore, { ...o, via: 'admin-token' }, ctx.signInRefusals)
      .catch((err: Error) => ctx.log.error('dashboard: cannot audit a refused sign-in', { error: err.message }));

  router.post('/sign-in/token', form, async (req, res) => {
    const echoed = typeof req.body?._login === 'string' ? req.body._login : '';
    const cookie = readCookie(req, LOGIN_COOKIE) ?? '';
    if (!sameOrigin(ctx, req) || !cookie || !same(echoed, cookie)) {
      await refuse({ reason: 'form-expired', ip: clientAddress(req) });
      return render(req, res, 403, 'The sign-in form expired; try again.');
    }
    // The token first: a right one always signs in. A wrong one counts against this address's budget,
    // shared with the admin API (scim-server/auth-failures.ts).
    const actor = typeof req.body?.token === 'string' && req.body.token ? tokens.actorFor(req.body.token) : undefined;
    if (!actor) {
      const ip = clientAddress(req);
      const wait = await ctx.failures.fail('admin', ip);
      ctx.log.warn('dashboard: admin-token sign-in refused (not one of server.adminTokens)', { ip, limited: wait > 0 });
      // Audited within the address's failure budget (10 in 10 min) and the fleet's budget of
      // refusals naming nobody: past either, logged only.
      if (wait === 0) await refuse({ reason: 'wrong-token', ip });
      if (wait > 0) {
        res.setHeader('Retry-After', String(wait));
        return render(req, res, 429, `Too many wrong tokens from this address; wait ${Math.ceil(wait / 60)} min.`);
      }
      return render(req, res, 401, 'That token is not one of the admin tokens in the config.', true);
    }
    const ip = clientAddress(req);
    await endSession(ctx, req, res);
    const scope = tokens.scopeOf(actor);
    // A token scoped to some hubs signs in as an owner of those (hub-guard.ts resolveViewer), not an administrator.
    await startSession(ctx, res, actor, 'admin-token', undefined, { audit: signedInAudit({ actor, via: 'admin-token', admin: scope === undefined, ...(scope ? { hubRoles: Object.fromEntries(scope.map((h) => [h, 'owner'])) } : {}), ip }) });
    loginCookie(res, '');
    ctx.log.info('dashboard: signed in with an admin token', { actor, ip });
    res.redirect(303, safeNext(ctx.basePath, req.body?.next));
  });

  router.post('/sign-out', form, async (req, res) => {
    const session = await sessionOf(ctx, req);
    // Sign-out is state-changing too: without the token a cross-site form cannot sign anyone out.
    if (session && (!sameOrigin(ctx, req) || !csrfOk(req, session))) {
      logCsrfRefusal(ctx, req, session);
      res.status(403).type('text').send('missing or wrong CSRF token');
      return;
    }
    await endSession(ctx, req, res, session ? signedOutAudit(session, clientAddress(req)) : undefined);
    res.redirect(303, `${ctx.basePath}/sign-in`);
  });
}
