import type { Router } from 'express';
import type { Keyring } from '../../agent/secrets/keyring.ts';
import { clientAddress } from '../auth-failures.ts';
import { readCookie, setCookie } from './cookies.ts';
import { resolveWithHolders } from './hub-guard.ts';
import { html, layout } from './html.ts';
import { allowedGroupsNamed } from '../../agent/desired-state/directory-records.ts';
import { allowedAdmin, OidcClient, OidcFailure, trustedEmail } from './oidc-client.ts';
import { PendingCookie } from './oidc-pending.ts';
import { safeNext } from './safe-next.ts';
import { ID_TOKEN_MAX_AGE_MS, SIGN_IN_MAX_MS } from './session-revocation.ts';
import { SignInRevoked } from './session-store.ts';
import { auditRefusal, refusedAudit, signedInAudit, type Refused } from './sign-in-audit.ts';
import type { SignInError } from './sign-in-errors.ts';
import { endSession, startSession, type WebContext } from './web-context.ts';

const PENDING_MS = SIGN_IN_MAX_MS;

/**
 * Sign-in with the organisation's IdP: `/auth/oidc` sends the browser to the
 * IdP, `/auth/callback` takes it back. The pending login (state, nonce, PKCE verifier, `next`)
 * travels in a sealed short-lived cookie (oidc-pending.ts): starting a sign-in writes nothing to
 * the store, any replica sharing the key file finishes it, and a callback opened in another
 * browser (login CSRF) has no cookie naming its state.
 */
export function registerOidcSignIn(router: Router, ctx: WebContext, keyring: () => Promise<Keyring>): void {
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
  // The one cache of the keyring: `keyring` is called once, on the first sign-in, and its PendingCookie kept.
  let pending: PendingCookie | undefined;
  const pendingCookie = () => (pending ??= new PendingCookie(keyring(), PENDING_MS));
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
  /** 429 (RFC 6585 §4) with Retry-After, as a page: the browser arrived here from the IdP. */
  const tooMany = (res: Parameters<typeof setCookie>[0], wait: number) => {
    res.setHeader('Retry-After', String(wait));
    res.status(429).type('html').send(layout({ basePath: ctx.basePath, title: 'Sign in', body: html`<h1>Too many failed sign-ins</h1>
<p class="error" role="alert">Too many sign-ins from this address failed; wait ${Math.ceil(wait / 60)} min, then <a href="${ctx.basePath}/sign-in">sign in again</a>.</p>` }));
  };
  const issuer = new URL(settings.issuer).host;
  /** Audits a refusal (sign-in-audit.ts); one naming nobody within the fleet's budget. A store that refuses it is logged, the answer stays. */
  const refuse = async (req: Parameters<typeof clientAddress>[0], o: Omit<Refused, 'via' | 'issuer' | 'ip'>) => {
    await auditRefusal(ctx.sessionStore, { ...o, via: 'oidc', issuer, ip: clientAddress(req) }, o.actor ? undefined : ctx.signInRefusals)
      .catch((err: Error) => ctx.log.error('dashboard: cannot audit a refused sign-in', { error: err.message }));
  };

  router.get('/auth/oidc', async (req, res) => {
    try {
      const { url, pending: login } = await client.authorizationUrl(safeNext(ctx.basePath, req.query.next));
      stateCookie(res, await pendingCookie().seal(login));
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
    // Only when this browser's cookie names the state: a callback opened in another browser has
    // none. The cookie is cleared above, so it serves one callback.
    const opened = await pendingCookie().open(cookie, state).catch((err: Error) => {
      ctx.log.error('dashboard: cannot open the pending OIDC sign-in', { error: err.message });
      return { refused: 'damaged' as const };
    });
    if (!('login' in opened)) {
      if (opened.refused === 'damaged') ctx.log.warn('dashboard: a pending OIDC sign-in cookie did not open (changed, or sealed with another key file)');
      await refuse(req, { reason: opened.refused === 'damaged' ? 'damaged-pending' : 'no-pending' });
      return failed(res, opened.refused === 'damaged' ? 'invalid' : 'expired');
    }
    const { login, startedAt } = opened;
    if (typeof req.query.error === 'string') {
      // RFC 6749 §4.1.2.1: the IdP refused (the person cancelled, or the app is not assigned).
      ctx.log.warn('dashboard: the identity provider refused the sign-in', { error: req.query.error.slice(0, 80) });
      await refuse(req, { reason: 'idp-refused', idpError: req.query.error });
      return failed(res, 'refused');
    }
    if (typeof req.query.code !== 'string') {
      await refuse(req, { reason: 'no-code' });
      return failed(res, 'no-code');
    }
    // The code exchange is a request to the IdP's token endpoint as hubwarden's client, and the
    // cookie that gets this far is anyone's for the asking (`/auth/oidc`) and replays for 10
    // minutes: past OIDC_EXCHANGES refused exchanges from this address, none is attempted
    // (scim-server/auth-failures.ts; one budget for every replica, counted in the store).
    const ip = clientAddress(req);
    const wait = await ctx.failures.waitFor('oidc', ip);
    if (wait > 0) {
      ctx.log.warn('dashboard: OIDC callback refused: too many refused code exchanges from this address', { ip });
      return tooMany(res, wait);
    }
    let person;
    try {
      // The raw query as the IdP sent it (code, state, iss): openid-client checks all of it.
      person = await client.finish(new URLSearchParams(req.originalUrl.split('?')[1] ?? ''), login);
    } catch (err) {
      ctx.log.error('dashboard: OIDC sign-in failed', { error: (err as Error).message });
      // An IdP that never answered spent none of its limit, and an ID token that could not be
      // checked because the IdP's keys could not be read was not refused: neither is counted (an
      // outage is not a guesser, and counting it would outlast it by the budget's window).
      const keysUnavailable = err instanceof OidcFailure && err.keysUnavailable;
      if (!(err instanceof OidcFailure && (err.unreachable || err.keysUnavailable))) await ctx.failures.fail('oidc', ip);
      await refuse(req, { reason: keysUnavailable ? 'keys-unavailable' : 'not-verified' });
      return failed(res, keysUnavailable ? 'keys-unavailable' : 'failed');
    }
    const email = trustedEmail(person);
    const actor = email ?? `oidc:${person.sub}`;
    const who = { actor, sub: person.sub, ...(email ? { email } : {}) };
    // When the IdP's proof of the person was issued: the earlier of the ID token's `iat` (RFC 7519
    // §4.1.6, required by OIDC Core §2) and the start of this sign-in, before which no code for it
    // existed. A leaver event marked at or after it refuses the sign-in (session-revocation.ts).
    const now = Date.now();
    if (person.issuedAt === undefined) {
      await refuse(req, { ...who, reason: 'no-iat' });
      return failed(res, 'failed');
    }
    if (now - person.issuedAt * 1000 > ID_TOKEN_MAX_AGE_MS) {
      await refuse(req, { ...who, reason: 'stale-token', detail: { issuedAt: new Date(person.issuedAt * 1000).toISOString() } });
      return failed(res, 'failed');
    }
    const issuedAt = Math.min(person.issuedAt * 1000, startedAt);
    try {
      // Everyone the IdP signs in gets a session: global administrators (allowedGroups /
      // allowedEmails) see every hub; anyone else what their hub roles allow, and My access
      // (hub-guard.ts decides, on every request).
      const admin = allowedAdmin(person, settings);
      if (person.email && !email) ctx.log.warn(person.emailVerified === false ? 'dashboard: the IdP marked the email unverified; it finds no hub role' : 'dashboard: the email holds a character that lower-cases into another address (such as U+212A KELVIN SIGN); it finds no hub role', { sub: person.sub });
      await endSession(ctx, req, res);
      // Who the audit log and the page name (`actor` above): the email only when trusted. An
      // address the IdP marks `email_verified: false` (OIDC Core §5.1) may be anyone's, typed into
      // a profile; an administrator by group signing in with one must not have their changes audited under it.
      // As configured (allowedGroupsNamed: the token may spell one in another Unicode form), so the
      // session and its revocation marks name it as SCIM and Okta leaver events find it.
      const adminGroups = allowedGroupsNamed(settings.allowedGroups, person.groups);
      // The ids an Okta deactivation or an Entra leaver workflow names the person by (session-revocation.ts).
      const idpUserIds = [person.sub, ...(person.objectId ? [person.objectId] : [])];
      const person0 = { admin, ...(email ? { email } : {}), ...(adminGroups.length ? { adminGroups } : {}), idpUserIds };
      // What the sign-in grants, for its audit entry: hub roles are read again on every request
      // (hub-guard.ts). The session is bound to the issuer and to the directory users its email
      // names now, which each request checks (session-identity.ts).
      const { viewer, holders } = await resolveWithHolders(ctx, { id: '', actor, via: 'oidc', ...person0, csrf: '', createdAt: now, lastSeenAt: now });
      const holder = { ...person0, issuer: settings.issuer, directoryUsers: Object.fromEntries(holders) };
      await startSession(ctx, res, actor, 'oidc', holder, {
        issuedAt,
        audit: signedInAudit({ ...who, via: 'oidc', issuer, ip: clientAddress(req), admin: viewer.admin, ...(viewer.offboarded ? { offboarded: true as const } : {}), ...(adminGroups.length ? { adminGroups } : {}), ...(viewer.admin ? {} : { hubRoles: Object.fromEntries(viewer.roles) }) }),
        refusedAudit: (revokedAt) => refusedAudit({
          ...who, via: 'oidc', issuer, reason: 'revoked', ip: clientAddress(req),
          detail: { issuedAt: new Date(issuedAt).toISOString(), revokedAt: new Date(revokedAt).toISOString() },
        }),
      });
      ctx.log.info('dashboard: signed in with OIDC', { actor, admin, ip: clientAddress(req) });
      res.redirect(303, safeNext(ctx.basePath, login.next));
    } catch (err) {
      if (err instanceof SignInRevoked) {
        ctx.log.warn('dashboard: OIDC sign-in refused: the person was offboarded, or left an allowed group, after it began', { actor });
        return failed(res, 'revoked');
      }
      ctx.log.error('dashboard: OIDC sign-in failed', { error: (err as Error).message });
      failed(res, 'failed');
    }
  });
}
