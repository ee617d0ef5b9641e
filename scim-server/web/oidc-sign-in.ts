import type { Router } from 'express';
import { clientAddress } from '../auth-failures.ts';
import { readCookie, setCookie } from './cookies.ts';
import { allowedAdmin, OidcClient, trustedEmail } from './oidc-client.ts';
import { PendingLogins } from './oidc-logins.ts';
import { safeNext } from './safe-next.ts';
import type { SignInError } from './sign-in-errors.ts';
import { endSession, startSession, type WebContext } from './web-context.ts';

const PENDING_MS = 10 * 60_000;
/** Bounds the pending sign-ins kept if someone opens sign-in in a loop; the oldest unfinished of the address with the most go first (oidc-logins.ts). */
const MAX_PENDING = 1_000;

/**
 * Sign-in with the organisation's IdP: `/auth/oidc` sends the browser to the
 * IdP, `/auth/callback` takes it back. The pending login (PKCE verifier, nonce) stays on the
 * server, in the store so the callback may reach any replica (oidc-logins.ts); the browser holds
 * only the state in a short-lived cookie, so a callback opened in another browser (login CSRF)
 * does not match.
 */
export function registerOidcSignIn(router: Router, ctx: WebContext): void {
  const settings = ctx.config.file.server.oidc;
  if (!settings) {
    // A bookmark or an old link to the IdP sign-in: say why there is none instead of a bare 404.
    for (const path of ['/auth/oidc', '/auth/callback']) router.get(path, (_req, res) => res.redirect(303, `${ctx.basePath}/sign-in?error=oidc-off`));
    return;
  }
  const publicUrl = ctx.config.file.server.publicUrl.replace(/\/$/, '');
  const client = new OidcClient({
    issuer: settings.issuer, clientId: settings.clientId, clientSecret: ctx.config.secret(settings.clientSecret).reveal(),
    redirectUri: `${publicUrl}${ctx.basePath}/auth/callback`, groupsClaim: settings.groupsClaim,
  });
  const pending = new PendingLogins(ctx.sessionStore, PENDING_MS, MAX_PENDING);
  // On https the `__Host-` prefix, as the session cookie: the browser then takes it only from this
  // host, Secure, with Path=/ and no Domain (RFC 6265bis §4.1.3.2). Without it a page on another
  // subdomain of the site could set `hubwarden-oidc=<the attacker's own state>` for the whole
  // domain and send the victim to the callback with the attacker's code: the state matched, and
  // the victim was signed in as the attacker (login CSRF, the very thing the state cookie is for).
  const STATE_COOKIE = ctx.secure ? '__Host-hubwarden-oidc' : 'hubwarden-oidc';
  const statePath = ctx.secure ? '/' : `${ctx.basePath}/auth`;
  const stateCookie = (res: Parameters<typeof setCookie>[0], value: string) =>
    // Lax: the IdP's redirect back is a cross-site top-level GET, which Lax cookies survive.
    setCookie(res, STATE_COOKIE, value, { secure: ctx.secure, sameSite: 'Lax', path: statePath, maxAge: value ? PENDING_MS / 1000 : 0 });
  const failed = (res: Parameters<typeof setCookie>[0], code: SignInError) =>
    res.redirect(303, `${ctx.basePath}/sign-in?error=${code}`);

  router.get('/auth/oidc', async (req, res) => {
    try {
      const { url, pending: login } = await client.authorizationUrl(safeNext(ctx.basePath, req.query.next));
      await pending.add(login, clientAddress(req));
      stateCookie(res, login.state);
      res.redirect(303, url);
    } catch (err) {
      ctx.log.error('dashboard: cannot start the OIDC sign-in', { error: (err as Error).message });
      failed(res, 'unreachable');
    }
  });

  router.get('/auth/callback', async (req, res) => {
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const cookie = readCookie(req, STATE_COOKIE);
    stateCookie(res, '');
    // Taken (and so used up) only when this browser's cookie names it: a callback opened in
    // another browser must not spend the real sign-in's pending login.
    const login = state && cookie === state ? await pending.take(state).catch(() => undefined) : undefined;
    if (!login) return failed(res, 'expired');
    if (typeof req.query.error === 'string') {
      // RFC 6749 §4.1.2.1: the IdP refused (the person cancelled, or the app is not assigned).
      ctx.log.warn('dashboard: the identity provider refused the sign-in', { error: req.query.error.slice(0, 80) });
      return failed(res, 'refused');
    }
    if (typeof req.query.code !== 'string') return failed(res, 'no-code');
    try {
      // The raw query as the IdP sent it (code, state, iss): openid-client checks all of it.
      const person = await client.finish(new URLSearchParams(req.originalUrl.split('?')[1] ?? ''), login);
      // Everyone the IdP signs in gets a session: global administrators (allowedGroups /
      // allowedEmails) see every hub; anyone else what their hub roles allow, and My access
      // (hub-guard.ts decides, on every request).
      const admin = allowedAdmin(person, settings);
      const email = trustedEmail(person);
      if (person.email && !email) ctx.log.warn('dashboard: the IdP marked the email unverified; it finds no hub role', { sub: person.sub });
      await endSession(ctx, req, res);
      // Who the audit log and the page name: the email only when trusted. An address the IdP marks
      // `email_verified: false` (OIDC Core §5.1) may be anyone's, typed into a profile; an
      // administrator by group signing in with one must not have their changes audited under it.
      const actor = email ?? `oidc:${person.sub}`;
      const adminGroups = person.groups.filter((g) => settings.allowedGroups.includes(g));
      await startSession(ctx, res, actor, 'oidc', { admin, ...(email ? { email } : {}), ...(adminGroups.length ? { adminGroups } : {}) });
      ctx.log.info('dashboard: signed in with OIDC', { actor, admin });
      res.redirect(303, login.next);
    } catch (err) {
      ctx.log.error('dashboard: OIDC sign-in failed', { error: (err as Error).message });
      failed(res, 'failed');
    }
  });
}
