import { randomBytes } from 'node:crypto';
import express, { type Router } from 'express';
import { createAdminRouter, ADMIN_BODY_LIMIT } from '../admin/router.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { Secret } from '../../config/secret-ref.ts';
import { actingAs, agentActingAsSession } from './acting-agent.ts';
import { currentSession, requireSession } from './session-guard.ts';
import type { WebContext } from './web-context.ts';

const INTERNAL_REF = 'env:HUBWARDEN_DASHBOARD_INTERNAL_TOKEN';

/**
 * The same-origin adapter `/ui/api/v1/*` → the admin REST API (the dashboard is built
 * on the admin API). The browser holds a session cookie, not a bearer token: this checks the
 * session (and the CSRF token on changes), then hands the request to an instance of the admin
 * router that knows exactly one token, random per process and never leaving it. The agent it
 * sees audits every change as the signed-in person (`dashboard` trigger).
 */
export function registerAdminAdapter(router: Router, ctx: WebContext): void {
  const internalToken = randomBytes(32).toString('base64url');
  const config: LoadedConfig = {
    ...ctx.config,
    file: { ...ctx.config.file, server: { ...ctx.config.file.server, adminTokens: [INTERNAL_REF] } },
    secret: (ref) => (ref === INTERNAL_REF ? new Secret(internalToken, ref) : ctx.config.secret(ref)),
  };
  const admin = createAdminRouter({ config, agent: agentActingAsSession(ctx.agent), basePath: `${ctx.basePath}/api/v1` });

  router.use(
    '/api/v1',
    requireSession(ctx, 'api'),
    // Parsed here (after the session check, so strangers' bodies are never read), before the
    // context below starts: a body read later would run in the socket's async context and lose
    // the signed-in actor.
    express.json({ limit: ADMIN_BODY_LIMIT, type: ['application/json', 'application/*+json'] }),
    (req, res, next) => {
      const session = currentSession(res);
      req.headers.authorization = `Bearer ${internalToken}`;
      actingAs.run({ type: 'dashboard', actor: session.actor, detail: session.via }, () => admin(req, res, next));
    },
  );
}
