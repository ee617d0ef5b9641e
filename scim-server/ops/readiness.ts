/**
 * `/healthz` (the process answers) and `/readyz` (it can do its job: the store accepts writes and
 * the agent's workers run). A load balancer sends traffic only when ready; a durable store turns
 * unhealthy after a failed write, and then SCIM pushes must be refused rather than half-applied.
 */
export interface ReadinessChecks {
  /** A Store; durable stores expose `healthy()` (false after a failed write). */
  store: { healthy?(): boolean };
  /** Whether the agent started and is not stopping (absent: a server without an agent, always running). */
  agentRunning?(): boolean;
}

/** The `/readyz` body: says which check fails, never why (the cause is in the server log). */
export interface Readiness {
  status: 'ready' | 'unavailable';
  checks: { store: 'ok' | 'failing'; agent: 'running' | 'stopped' };
}

export function readiness(checks: ReadinessChecks): Readiness {
  const store = checks.store.healthy?.() ?? true;
  const agent = checks.agentRunning?.() ?? true;
  return { status: store && agent ? 'ready' : 'unavailable', checks: { store: store ? 'ok' : 'failing', agent: agent ? 'running' : 'stopped' } };
}
