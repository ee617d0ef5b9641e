import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { childLogger, redactText, type Logger } from '../agent/log/logger.ts';
import { readinessNow, type ReadinessChecks } from './ops/readiness.ts';

/** A surface another part of the server provides (SCIM, admin API, hooks, a connector's sandbox). */
export interface MountedRouter {
  /** Where it is mounted, e.g. `/scim/v2`. */
  path: string;
  router: RequestHandler;
}

export interface AppDeps extends ReadinessChecks {
  /** Mounted in order; each router answers its own errors in its own format (SCIM, problem+json). */
  routers: readonly MountedRouter[];
  log?: Logger;
  /** `server.trustProxy`: express 'trust proxy' (default false: X-Forwarded-For is ignored and `req.ip` is the peer). */
  trustProxy?: boolean | number | string | string[];
}

/**
 * The HTTP app, built without listening (serve.ts listens), so tests drive it in-process and the
 * composition root (main.ts) decides what is mounted. Anything no router claims gets a JSON 404,
 * and an error no router handled a JSON 500 without its details (they go to the log).
 */
export function createApp(deps: AppDeps): Express {
  const log = deps.log ?? childLogger('http');
  const app = express();
  app.disable('x-powered-by');
  // No ETag computed from a body: SCIM's ETag is a resource's version (RFC 7644 §3.14), set where a
  // resource is answered; a hash of a list page or of an error body (a 412 included) read as one.
  app.set('etag', false);
  // The client address (`req.ip`) keys the failed-token limits (auth-failures.ts): a forwarding
  // header counts only when the peer is a proxy the operator named.
  app.set('trust proxy', deps.trustProxy ?? false);

  // Liveness: the process serves HTTP. Readiness: it can also accept writes (load balancers,
  // Kubernetes probes). Neither needs a token and neither says more than that.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // `/readyz` answers 503 while the store cannot make writes durable or the agent is not running.
  app.get('/readyz', async (_req, res) => {
    const result = await readinessNow(deps);
    res.status(result.status === 'ready' ? 200 : 503).json(result);
  });

  for (const { path, router } of deps.routers) app.use(path, router);

  app.use((req, res) => {
    res.status(404).json({ error: 'not-found', message: `no route for ${req.method} ${req.path}` });
  });
  const lastResort: ErrorRequestHandler = (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) log.error('unhandled error', { method: req.method, path: req.path, error: err instanceof Error ? err.message : String(err) });
    res.status(status).json({ error: status === 500 ? 'internal' : 'bad-request', message: status === 500 ? 'internal error (logged on the server)' : redactText(String(err?.message ?? 'bad request')) });
  };
  app.use(lastResort);
  return app;
}
