import type { Request, RequestHandler, Response } from 'express';
import { offboardedAmong, personOnHubs, roleMay, type HubRight } from '../../agent/access/hub-access.ts';
import { findPerson } from '../../agent/dispatch/find-person.ts';
import { emailKey } from '../../agent/matching/email-key.ts';
import { withCollections, type HubConfigFile, type HubRole } from '../../config/schema.ts';
import { html, layout } from './html.ts';
import { allowedAdmin } from './oidc-client.ts';
import { recordDashboardForbidden } from '../ops/metrics.ts';
import type { Session } from './session-store.ts';
import { checkIdentity, identityEndedAudit, identityMovedAudit } from './session-identity.ts';
import { currentSession, sendSignedOut } from './session-guard.ts';
import { endSession, type WebContext } from './web-context.ts';

/**
 * Who is looking, and at which hubs: the server-side check behind every dashboard page, read route,
 * export and `/ui/api/v1` call (the browser's buttons are a convenience, never the control).
 *
 * - A global administrator (an admin token of every hub; an OIDC person in `allowedGroups`/`allowedEmails`)
 *   sees and acts on every hub, as before hub roles existed. An admin token scoped to some hubs
 *   is an owner of those hubs, and of nothing else.
 * - Anyone else signed in is found by email among each hub's directory users, and so has a hub
 *   role per hub (agent/access/hub-access.ts; an email several directory users share gives only
 *   the role of the one the sign-in's `sub`/`oid` names, else the lowest of theirs). Owners and managers see and act only on their hubs;
 *   owners also see the hub's settings and health. Collaborators, and people with no hub role
 *   (nothing resolves: an empty My access, not an error), see only My access.
 *
 * Roles are resolved on every request from the store (two index lookups per hub), not kept in
 * the session: someone removed from the owners' group loses the hub on their next click.
 */
export interface Viewer {
  admin: boolean;
  actor: string;
  /** The email hub roles and My access are found by (none for admin tokens and unverified emails). */
  email?: string;
  /** A person's hub roles, by hub id (empty for administrators, who need none). */
  roles: ReadonlyMap<string, HubRole>;
  /**
   * Who the person is on each hub where the directory has their email: their directory user ids
   * and every email of theirs (lower-cased). A member row with one of those emails, or matched to
   * one of those users, is their own seat (scoped-agent.ts: nobody decides about their own seat).
   * Empty for administrators. `named`: those of the directory users the sign-in says are the
   * person (none of several it does not tell apart, agent/access/hub-access.ts `signInOnHub`): only
   * a seat matched to one of them is theirs to take away whatever its holder's rank
   * (scoped-agent.ts); absent, none.
   */
  self: ReadonlyMap<string, SelfOnHub>;
  /** An administrator by allowedEmails/allowedGroups whom a leaver action holds offboarded: not an administrator now. */
  offboarded?: true;
}

/** Who the viewer is on one hub (`Viewer.self`). */
export interface SelfOnHub {
  directoryUserIds: ReadonlySet<string>;
  emails: ReadonlySet<string>;
  named?: ReadonlySet<string>;
}

/** Whether the viewer may exercise `right` on `hubId` (administrators: on every hub that exists). */
export function viewerMay(viewer: Viewer, hubId: string, right: HubRight): boolean {
  return viewer.admin || roleMay(viewer.roles.get(hubId), right);
}

/** The hubs the viewer manages (owner or manager), in config order; every hub for administrators. */
export function managedHubIds(ctx: WebContext, viewer: Viewer): string[] {
  return configuredHubs(ctx).map((h) => h.id).filter((id) => viewerMay(viewer, id, 'manage'));
}

/** Whether any hub-management page (hubs, automation, audit) is the viewer's. */
export const managesAny = (ctx: WebContext, viewer: Viewer) => viewer.admin || managedHubIds(ctx, viewer).length > 0;

const hubsCache = new WeakMap<WebContext, HubConfigFile[]>();

export function configuredHubs(ctx: WebContext): HubConfigFile[] {
  let hubs = hubsCache.get(ctx);
  if (!hubs) hubsCache.set(ctx, (hubs = withCollections(ctx.config.file)));
  return hubs;
}

export async function resolveViewer(ctx: WebContext, session: Session): Promise<Viewer> {
  return (await resolveWithHolders(ctx, session)).viewer;
}

/**
 * The viewer, and per hub the ids of the directory users with the session's email (its
 * `directoryUserIds` there): what a sign-in binds the session to and each request checks it
 * against (session-identity.ts), from the reads the viewer takes anyway.
 */
export async function resolveWithHolders(ctx: WebContext, session: Session): Promise<{ viewer: Viewer; holders: Map<string, string[]> }> {
  const holders = new Map<string, string[]>();
  const allowed = session.admin && stillAdministrator(ctx, session);
  // An admin token scoped to some hubs (`{ token, hubs }`) makes no administrator: an owner of
  // exactly those hubs, read from the config on every request, so narrowing the scope narrows
  // the session's hubs on its next click (and removing the token ends them, as above).
  const scope = allowed && session.via === 'admin-token' ? ctx.adminTokens.scopeOf(session.actor) : undefined;
  if (scope) return { viewer: { admin: false, actor: session.actor, roles: new Map(scope.map((hubId) => [hubId, 'owner' as const])), self: new Map() }, holders };
  // An offboarded person holds nothing until the IdP deactivates and reactivates them, also the
  // administrator rights the allow-lists give: the leaver workflow often runs before the IdP
  // disables the account, and a new sign-in (after the offboarding's revocation mark) would give
  // every hub back. Read on every request, as hub roles are, so the hold's end restores them.
  const found = allowed && session.via === 'oidc' && session.email?.trim() ? await findPerson(ctx.store, configuredHubs(ctx), { email: session.email.trim() }) : [];
  const offboarded = offboardedAmong(found);
  const admin = allowed && !offboarded;
  const base = { admin, actor: session.actor, ...(session.email ? { email: session.email } : {}), ...(offboarded ? { offboarded: true as const } : {}) };
  if (admin || !session.email) {
    // An administrator by allowedEmails is one by the address: bound to its directory users as anyone (the users with the email, as signInOnHub's).
    const key = session.email ? emailKey(session.email) : '';
    for (const f of found) if (f.user?.emails.some((e) => emailKey(e) === key)) holders.set(f.hub.id, [...(holders.get(f.hub.id) ?? []), f.user.id]);
    return { viewer: { ...base, roles: new Map(), self: new Map() }, holders };
  }
  const roles = new Map<string, HubRole>();
  const self = new Map<string, SelfOnHub>();
  // The sign-in's IdP ids tell apart directory users sharing the email: the role is only the one
  // they name's (the lowest of them all when they name none); `self` keeps every one of them.
  for (const p of await personOnHubs(ctx.store, configuredHubs(ctx), session.email, session.idpUserIds ?? [])) {
    if (p.hubRole) roles.set(p.hubId, p.hubRole);
    self.set(p.hubId, { directoryUserIds: new Set(p.directoryUserIds), emails: new Set(p.emails), named: new Set(p.ownDirectoryUserIds) });
    holders.set(p.hubId, p.directoryUserIds);
  }
  return { viewer: { ...base, roles, self }, holders };
}


/**
 * Whether what made the session an administrator's is still in the config: its admin token is
 * still one of `server.adminTokens`; its email still in `oidc.allowedEmails`, or one of the
 * groups it signed in with still in `oidc.allowedGroups`. A token removed because it leaked, or
 * a person taken off the allow-list, loses every hub on the next request, as a hub role does.
 */
function stillAdministrator(ctx: WebContext, session: Session): boolean {
  if (session.via === 'admin-token') return ctx.adminTokens.configured(session.actor);
  const allow = ctx.config.file.server.oidc;
  // The sign-in's own rule, over what the session kept: its email (already a trusted one) and the
  // allowed groups it signed in with.
  return allow !== undefined && allowedAdmin({ sub: session.actor, ...(session.email ? { email: session.email } : {}), groups: session.adminGroups ?? [] }, allow);
}

/** The viewer of a request that passed `withViewer`. */
export const currentViewer = (res: Response): Viewer => res.locals.viewer as Viewer;

/**
 * Resolves the viewer once per request into `res.locals.viewer` (after `requireSession`), and
 * checks the session is still the person it signed in as (session-identity.ts): one that is not
 * ends (audited) and the request is answered as signed out (undefined); one whose directory user
 * has a new email follows it.
 */
async function viewerFor(ctx: WebContext, req: Request, res: Response, kind: 'page' | 'api'): Promise<Viewer | undefined> {
  if (res.locals.viewer) return res.locals.viewer as Viewer;
  let session = currentSession(res);
  const issuer = ctx.config.file.server.oidc?.issuer;
  let { viewer, holders } = await resolveWithHolders(ctx, session);
  let verdict = await checkIdentity(ctx.store, session, holders, issuer);
  if (verdict.kind === 'moved') {
    const moved = await ctx.sessions.rebind(session, { email: verdict.email, ...(session.actor === session.email ? { actor: verdict.email } : {}) }, identityMovedAudit(session, verdict.email));
    if (!moved) return signedOut(ctx, req, res, kind);
    res.locals.session = session = moved;
    ({ viewer, holders } = await resolveWithHolders(ctx, session));
    verdict = await checkIdentity(ctx.store, session, holders, issuer);
    // Moved again at once: no one address to follow.
    if (verdict.kind === 'moved') verdict = { kind: 'ended', why: 'the directory users it signed in as changed their email twice at once' };
  }
  if (verdict.kind === 'bind') {
    if (!(await ctx.sessions.rebind(session, { directoryUsers: verdict.directoryUsers, ...(issuer ? { issuer } : {}) }))) return signedOut(ctx, req, res, kind);
  }
  if (verdict.kind === 'ended') {
    ctx.log.warn('dashboard: a session ended: it is no longer the person it signed in as', { actor: session.actor, why: verdict.why });
    await endSession(ctx, req, res, identityEndedAudit(session, verdict));
    return signedOut(ctx, req, res, kind);
  }
  res.locals.viewer = viewer;
  return viewer;
}

function signedOut(ctx: WebContext, req: Request, res: Response, kind: 'page' | 'api'): undefined {
  sendSignedOut(ctx, req, res, kind);
  return undefined;
}

/** After `requireSession`: resolves the viewer into `res.locals.viewer` (`kind`: how a session that ended is answered). */
export function withViewer(ctx: WebContext, kind: 'page' | 'api'): RequestHandler {
  return async (req, res, next) => {
    if (await viewerFor(ctx, req, res, kind)) next();
  };
}

export const FORBIDDEN_DETAIL = 'your hub role does not allow this (ask a hub owner or a hubwarden administrator)';

/** 403 as problem details (API, exports) or as a page with the way to My access. */
export function sendForbidden(ctx: WebContext, req: Request, res: Response, kind: 'page' | 'api', detail = FORBIDDEN_DETAIL): void {
  const hubId = typeof req.params.hubId === 'string' ? req.params.hubId : typeof req.query.hubId === 'string' ? req.query.hubId : undefined;
  ctx.forbidden.refused(currentSession(res).actor, req.originalUrl.split('?')[0]!, hubId);
  recordDashboardForbidden(kind);
  if (kind === 'api') {
    res.status(403).type('application/problem+json').send(JSON.stringify({
      type: 'https://hubwarden.dev/problems/forbidden', title: 'Forbidden', status: 403, detail, instance: req.originalUrl,
    }));
    return;
  }
  const s = currentSession(res);
  const viewer = res.locals.viewer as Viewer | undefined;
  res.status(403).type('html').send(layout({
    basePath: ctx.basePath, title: 'Not yours to see',
    session: { actor: s.actor, csrf: s.csrf, manages: viewer ? managesAny(ctx, viewer) : false },
    body: html`<h1>Not yours to see</h1>
<p>You cannot see this page: ${detail}.</p>
<p><a href="${ctx.basePath}/my-access">My access</a> lists your seats, invites and offers.</p>`,
  }));
}

/**
 * The central check for a route keyed by a hub (`:hubId`, or `hubOf`): administrators pass (the
 * route answers 404 for a hub that does not exist); anyone else needs `right` on that hub, and
 * gets 403 otherwise, also for a hub that does not exist (no probing for hub ids).
 */
export function requireHubRight(ctx: WebContext, right: HubRight, kind: 'page' | 'api', hubOf: (req: Request) => string | undefined = (req) => String(req.params.hubId)): RequestHandler {
  return async (req, res, next) => {
    const viewer = await viewerFor(ctx, req, res, kind);
    if (!viewer) return;
    const hubId = hubOf(req);
    if (viewer.admin || (hubId !== undefined && viewerMay(viewer, hubId, right))) return next();
    sendForbidden(ctx, req, res, kind);
  };
}

/**
 * Pages and lists across hubs (automation, audit, the audit export): administrators, and people
 * who manage at least one hub (the lists are then cut to their hubs). A `hubId` filter in the
 * query must be one of theirs.
 */
export function requireSomeHub(ctx: WebContext, kind: 'page' | 'api'): RequestHandler {
  return async (req, res, next) => {
    const viewer = await viewerFor(ctx, req, res, kind);
    if (!viewer) return;
    if (viewer.admin) return next();
    const raw = req.query.hubId;
    // Only one filter, as text: `?hubId=a&hubId=b` is no way around the check.
    const wellFormed = raw === undefined || typeof raw === 'string';
    const filter = typeof raw === 'string' && raw ? raw : undefined;
    if (wellFormed && managesAny(ctx, viewer) && (filter === undefined || viewerMay(viewer, filter, 'manage'))) return next();
    sendForbidden(ctx, req, res, kind);
  };
}
