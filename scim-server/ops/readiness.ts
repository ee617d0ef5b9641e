/**
 * `/healthz` (the process answers) and `/readyz` (it can do its job: the store accepts writes and
 * the agent's workers run). A load balancer sends traffic only when ready; a durable store turns
 * unhealthy after a failed write, and then SCIM pushes must be refused rather than half-applied.
 */
export interface ReadinessChecks {
  /** A Store; durable stores expose `healthy()` (false while the disk refuses writes) and why. */
  store: { healthy?(): boolean; unavailableReason?(): string | undefined; reachableNow?(): Promise<boolean> };
  /** Whether the agent started and is not stopping (absent: a server without an agent, always running). */
  agentRunning?(): boolean;
}

/**
 * The `/readyz` body: which check fails, and for the store why (an error code and what was being
 * written, never a path or a secret; the details are in the server log).
 */
export interface Readiness {
  status: 'ready' | 'unavailable';
  checks: { store: 'ok' | 'failing'; agent: 'running' | 'stopped' };
  storeReason?: string;
}

export function readiness(checks: ReadinessChecks): Readiness {
  const store = checks.store.healthy?.() ?? true;
  const agent = checks.agentRunning?.() ?? true;
  const reason = store ? undefined : checks.store.unavailableReason?.();
  return { status: store && agent ? 'ready' : 'unavailable', checks: { store: store ? 'ok' : 'failing', agent: agent ? 'running' : 'stopped' }, ...(reason ? { storeReason: reason } : {}) };
}

/** How long `/readyz` waits for the store's answer before answering from what it knows. */
export const PROBE_WAIT_MS = 3_000;

/**
 * `readiness` after asking the store, when it can be asked (PostgreSQL: `reachableNow`): a store that
 * has had no query for a while would otherwise report the health its last query found, and a
 * database that went away meanwhile would still read as ready.
 */
export async function readinessNow(checks: ReadinessChecks, waitMs = PROBE_WAIT_MS): Promise<Readiness> {
  if (checks.store.reachableNow) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([checks.store.reachableNow().catch(() => false), new Promise((resolve) => { timer = setTimeout(resolve, waitMs); })]);
    clearTimeout(timer);
  }
  return readiness(checks);
}
