import { Router } from 'express';
import type { AgentApi } from '../../agent/api.ts';
import type { Logger } from '../../agent/log/logger.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { adminTokensFrom, requireAdminToken, type AdminTokens } from './admin-tokens.ts';
import type { FailureLimiter } from '../auth-failures.ts';
import type { AdminContext } from './admin-context.ts';
import { registerHubRoutes } from './hub-routes.ts';
import { jsonObjectBody } from './json-body.ts';
import { methodNotAllowed } from './method-not-allowed.ts';
import { noStore } from '../front-door.ts';
import { openApiDocument } from './openapi.ts';
import { registerPeopleRoutes } from './people-routes.ts';
import { notFound, Problem, problemHandler } from './problem.ts';
import { registerWorkRoutes } from './work-routes.ts';

export interface AdminRouterOptions {
  config: LoadedConfig;
  agent: AgentApi;
  log?: Logger;
  /** Where the app mounts the router; used in Location headers. */
  basePath?: string;
  /** The failure limiter shared with SCIM and the dashboard sign-in (compose.ts builds one). */
  failures?: FailureLimiter;
  /** `server.adminTokens` as the server built them (compose.ts, with its keyring); default: built here. */
  adminTokens?: AdminTokens;
}

/** Bodies above this are refused with 413 before parsing (no request may exhaust memory). */
export const ADMIN_BODY_LIMIT = '1mb';

/**
 * The admin REST API, mounted by the app at `/api/v1`. It is a plain
 * Router that does not listen: the composition root mounts it, tests mount it on their own app.
 * Every route is registered on this one router so `router.stack` lists them all (the OpenAPI
 * sync test walks it).
 */
export function createAdminRouter(options: AdminRouterOptions): Router {
  const ctx: AdminContext = { config: options.config, agent: options.agent, basePath: options.basePath ?? '/api/v1' };
  const router = Router();
  const document = openApiDocument(options.config.file.server.publicUrl);

  // The description holds no secret and API-connector builders fetch it before they have a token.
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });

  // Members, grants and reports are personal data: not kept by a browser or proxy (RFC 9111 §5.2.2.5; OWASP REST Security Cheat Sheet, "Security headers").
  router.use(noStore);
  router.use(requireAdminToken(options.adminTokens ?? adminTokensFrom(options.config), options.failures));
  // Before the body is read: a method the path does not offer is what is wrong, whatever the body.
  router.use(methodNotAllowed(router));
  router.use(jsonObjectBody({ limit: ADMIN_BODY_LIMIT, type: ['application/json', 'application/*+json'], strictText: true }));
  // A body the JSON parser skipped (form, text) would otherwise read as "no fields" and earn a
  // misleading "field missing" error.
  router.use((req, _res, next) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && req.body === undefined) next(new Problem(415, 'unsupported-media-type', `send the body as application/json (got ${req.get('content-type') ?? 'no Content-Type'})`));
    else next();
  });

  registerHubRoutes(router, ctx);
  registerWorkRoutes(router, ctx);
  registerPeopleRoutes(router, ctx);

  router.use((req, _res, next) => next(notFound(`${req.method} ${req.baseUrl}${req.path}`)));
  router.use(problemHandler(options.log));
  return router;
}
