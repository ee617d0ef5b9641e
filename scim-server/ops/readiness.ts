import { Router } from 'express';


/**
 * `/healthz` (the process answers) and `/readyz` (it can do its job: the store accepts writes and
 * the agent's workers run). A load balancer sends traffic only when ready; a durable store turns
 * unhealthy after a failed write, and then SCIM pushes must be refused rather than half-applied.
 */
export interface ReadinessChecks {
  /** A Store; durable stores expose `healthy()` (false after a failed write). */
  store: { healthy?(): boolean };
  /** Whether the agent started and is not stopping. */
  agentRunning(): boolean;
}

export interface Readiness {
  ready: boolean;
  checks: { store: 'ok' | 'failing'; agent: 'running' | 'stopped' };
}

export function readiness(checks: ReadinessChecks): Readiness {
  const store = checks.store.healthy?.() ?? true;
  const agent = checks.agentRunning();
  return { ready: store && agent, checks: { store: store ? 'ok' : 'failing', agent: agent ? 'running' : 'stopped' } };
}

export function createHealthRouter(checks: ReadinessChecks): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    const result = readiness(checks);
    res.status(result.ready ? 200 : 503).json(result);
  });
  return router;
}
