import { randomBytes } from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { createAdminRouter, ADMIN_BODY_LIMIT } from '../admin/router.ts';
import { adminTokensFrom } from '../admin/admin-tokens.ts';
import { Keyring } from '../../agent/secrets/keyring.ts';
import { strictJsonText } from '../admin/json-body.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { Secret } from '../../config/secret-ref.ts';
import { actingAs, agentActingAsSession } from './acting-agent.ts';
import { configuredHubs, currentViewer, managesAny, requireHubRight, requireSomeHub, sendForbidden, viewerMay, withViewer, type Viewer } from './hub-guard.ts';
import { hubRoleOfUser, TASK_RETRY_RIGHT } from '../../agent/access/hub-access.ts';
import { memberRowOf } from '../../agent/plan/operation.ts';
import { appendAudit } from '../../agent/audit/audit-log.ts';
import { endingLeaverSessions } from './leaver-sessions.ts';
import { scopedAgent } from './scoped-agent.ts';
import { currentSession, requireSession } from './session-guard.ts';
import type { WebContext } from './web-context.ts';

const INTERNAL_REF = 'env:HUBWARDEN_DASHBOARD_INTERNAL_TOKEN';

/** The viewer of the dashboard request the admin router is serving (see `registerAdminAdapter`). */
const viewing = new AsyncLocalStorage<Viewer>();

/**
 * Which admin API routes a person who is not a global administrator may reach through the
 * adapter, and on which hub: the central check, keyed by the route's hub (`:hubId`, the hub of
 * the task, report or approval named, or the `hubId` filter of a list). Anything not listed here
 * (the people routes: offboard, re-evaluate, anyone's offers) is refused with 403: an admin API
 * route added later stays closed to hub owners until it is listed. Administrators skip this gate.
 * The agent behind the admin router is scoped to the viewer too (scoped-agent.ts): lists across
 * hubs hold only theirs.
 */
function hubRoleGate(ctx: WebContext): Router {
  // The admin router's own matching (case-insensitive, non-strict), so a path means the same here and there.
  const gate = Router();
  const deny: RequestHandler = (req, res) => sendForbidden(ctx, req, res, 'api');
  const pass: RequestHandler = (_req, _res, next) => next('router');
  /**
   * Passes the request to the admin router when the viewer may `manage` the hub `hubOf` finds.
   * Someone who manages no hub (a collaborator, anyone the IdP signs in whom no directory knows)
   * is refused before the look-up: finding a task id that is not in memory reads the whole
   * archive of finished tasks, and nobody without a hub may have that done for them per request.
   */
  const onHubOf = (hubOf: (req: Request) => Promise<string | undefined>): RequestHandler => async (req, res, next) => {
    if (!managesAny(ctx, currentViewer(res))) return deny(req, res, next);
    const hubId = await hubOf(req);
    if (hubId !== undefined && viewerMay(currentViewer(res), hubId, 'manage')) return next('router');
    deny(req, res, next);
  };
  const hubParam = requireHubRight(ctx, 'manage', 'api');
  const lists = requireSomeHub(ctx, 'api');

  gate.use((_req, res, next) => (currentViewer(res).admin ? next('router') : next()));
  gate.get('/openapi.json', pass);
  gate.get('/hubs', lists, pass);
  // A manager gets a hub without its settings and health (the admin route adds the settings).
  gate.get('/hubs/:hubId', hubParam, async (req, res, next) => {
    if (viewerMay(currentViewer(res), String(req.params.hubId), 'settings')) return next('router');
    const hub = await scopedAgent(ctx.agent, () => currentViewer(res)).hub(String(req.params.hubId));
    res.json(hub);
  });
  gate.get('/hubs/:hubId/members', hubParam, pass);
  gate.get('/hubs/:hubId/members/:memberId', hubParam, pass);
  // Each decision by name, never `:action`: a member action added to the admin API later stays
  // closed to owners and managers until it is listed here (test/admin/route-guards.test.ts).
  for (const action of ['match', 'unmatch', 'exempt', 'unexempt', 'remove']) gate.post(`/hubs/:hubId/members/:memberId/${action}`, hubParam, pass);
  gate.post('/hubs/:hubId/check-for-updates', hubParam, pass);
  gate.get('/hubs/:hubId/plan', hubParam, pass);
  // Retrying a failed task is an owner's: the hub's health, where failed tasks are listed, is theirs
  // (the automation page shows Retry by the same right).
  gate.post('/hubs/:hubId/tasks/:taskId/retry', requireHubRight(ctx, TASK_RETRY_RIGHT, 'api'), pass);
  gate.get('/tasks', lists, pass);
  gate.get('/tasks/:id', onHubOf(async (req) => {
    const id = String(req.params.id);
    return ((await ctx.agent.task(id)) ?? (await ctx.agent.findTask(id)))?.hubId;
  }));
  gate.get('/reports', lists, pass);
  gate.post('/reports/:id/apply', onHubOf(async (req) => (await ctx.agent.reports()).find((r) => r.id === req.params.id)?.hubId));
  gate.get('/approvals', lists, pass);
  const approvalHub = onHubOf(async (req) => (await ctx.agent.approvals()).find((a) => a.id === req.params.id)?.hubId);
  for (const decision of ['approve', 'reject']) gate.post(`/approvals/:id/${decision}`, approvalHub);
  gate.get('/audit', lists, pass);
  gate.use(deny);
  return gate;
}

/**
 * The same-origin adapter `/ui/api/v1/*` → the admin REST API (the dashboard is built
 * on the admin API). The browser holds a session cookie, not a bearer token: this checks the
 * session (and the CSRF token on changes), then the viewer's hub role (`hubRoleGate`), then
 * hands the request to an instance of the admin router that knows exactly one token, random per
 * process and never leaving it. The agent it sees audits every change as the signed-in person
 * (`dashboard` trigger) and answers only about the viewer's hubs.
 */
export function registerAdminAdapter(router: Router, ctx: WebContext): void {
  const internalToken = randomBytes(32).toString('base64url');
  const config: LoadedConfig = {
    ...ctx.config,
    file: { ...ctx.config.file, server: { ...ctx.config.file.server, adminTokens: [INTERNAL_REF] } },
    secret: (ref) => (ref === INTERNAL_REF ? new Secret(internalToken, ref) : ctx.config.secret(ref)),
  };
  // Inside the acting agent: an offboarding's session ending is audited as the person signed in.
  const agent = scopedAgent(agentActingAsSession(endingLeaverSessions(ctx.agent, ctx.sessionStore, () => ctx.config.file.hubs)), () => viewing.getStore(), {
    async hubRoleOf(hubId, directoryUserId, view) {
      const hub = configuredHubs(ctx).find((h) => h.id === hubId);
      return hub ? hubRoleOfUser(view ?? ctx.store, hub, directoryUserId, { evenIfInactive: true }) : undefined;
    },
    async approvalMembers(hubId, approvalId) {
      const approval = await ctx.store.get('approvals', hubId, approvalId);
      // Member rows and invitation rows (`invite:<id>`) alike: a cancelled invitation kept is a seat kept.
      return (approval?.planned ?? []).flatMap((op) => memberRowOf(op) ?? []);
    },
    async approvalOperations(hubId, approvalId) {
      return (await ctx.store.get('approvals', hubId, approvalId))?.planned;
    },
    async refused(hubId, r) {
      // Who asked: the signed-in person (the adapter's context), never the internal token.
      const signedIn = actingAs.getStore();
      if (!signedIn) return;
      // The reason they gave stays theirs to audit, as with an accepted change (acting-agent.ts).
      const trigger = r.reason ? { ...signedIn, reason: r.reason } : signedIn;
      await ctx.sessionStore.transact(async (tx) => {
        appendAudit(tx, { hubId, trigger, action: r.action, outcome: 'failed', subject: r.subject, why: `${trigger.actor ?? trigger.type} asked to ${r.asked}: refused, ${r.rule}` });
      });
    },
  });
  // Its one internal token's label never leaves this process (changes are audited as the signed-in
  // person, below): a throwaway key makes it, so the adapter reads no key file.
  const admin = createAdminRouter({ config, agent, basePath: `${ctx.basePath}/api/v1`, adminTokens: adminTokensFrom(config, Keyring.fromKey(randomBytes(32))) });
  const gate = hubRoleGate(ctx);

  router.use(
    '/api/v1',
    requireSession(ctx, 'api'),
    withViewer(ctx, 'api'),
    // Parsed here (after the session check, so strangers' bodies are never read), before the
    // context below starts: a body read later would run in the socket's async context and lose
    // the signed-in actor.
    // Lenient (any JSON value): the admin router below refuses a body that is not an object
    // with the message that says so (admin/json-body.ts). Its text is checked as the admin API
    // checks it (`strictJsonText`: UTF-8, no name given twice): the admin router's own parser
    // skips a body parsed here, so without it a dashboard change took the last of two
    // `directoryUserId`s while a proxy's log of the request showed the first.
    express.json({ limit: ADMIN_BODY_LIMIT, type: ['application/json', 'application/*+json'], strict: false, verify: strictJsonText }),
    gate,
    (req: Request, res: Response, next) => {
      const session = currentSession(res);
      req.headers.authorization = `Bearer ${internalToken}`;
      viewing.run(currentViewer(res), () => actingAs.run({ type: 'dashboard', actor: session.actor, detail: session.via }, () => admin(req, res, next)));
    },
  );
}
