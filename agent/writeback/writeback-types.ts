import type { LoadedConfig } from '../../config/load.ts';
import type { Logger } from '../log/logger.ts';
import type { Store } from '../store/store.ts';
import type { WritebackClock } from './pacing.ts';
import type { WritebackProblem } from './writeback-state.ts';

/**
 * Write-back: after each check for updates, each directory user's standing on
 * the hub is written to the hub's identity provider, only what changed since the last write,
 * paced per IdP. Refusals about one person (mastered elsewhere, missing, rejected) are kept and
 * reported, and not retried until the values change or a day passes. People refused because they
 * are deactivated in the IdP wait for one probe a day per IdP instead (deactivated-gate.ts).
 */
export interface ReportedProblem extends WritebackProblem {
  directoryUserId: string;
  userName: string;
  idpUserId: string;
  /** When it will be tried again if nothing changes. */
  retryAfter: string;
}

export interface WritebackReport {
  hubId: string;
  idp?: string;
  written: number;
  unchanged: number;
  failed: number;
  skipped: number;
  problems: ReportedProblem[];
  /** Why the run did nothing or stopped early (no IdP configured, credentials refused, another replica running it). */
  note?: string;
  /** Another replica was writing back the hub: it runs again once done (run-lease.ts), nothing was written here. */
  deferred?: true;
  /**
   * The run stopped before it went through everyone (a refused credential, or the IdP failing
   * PASSING_FAILURES_TO_STOP updates in a row): why. Its callers audit it as a failed run.
   */
  stopped?: string;
  waitedMs: number;
  durationMs: number;
}

export interface WritebackTuning {
  /** Requests per second and burst per IdP kind. Okta's default per-org limits are per minute per endpoint; 10/s leaves room for others. */
  rate?: Partial<Record<'okta' | 'entra', { perSecond: number; burst?: number }>>;
  /** People written at once (the bucket still sets the pace). */
  concurrency?: number;
  /** Okta: SDK retries of a 429 and the margin added to X-Rate-Limit-Reset. */
  /** Okta: the SDK's 429 retries, the margin after a reset, and the share of each rate-limit window left to the org's other consumers (okta-target.ts OKTA_RESERVED_SHARE). */
  okta?: { maxRetries?: number; resetMarginMs?: number; reservedShare?: number };
  /** Entra: RetryHandler settings (seconds between tries when no Retry-After). */
  entra?: { maxRetries?: number; delaySeconds?: number };
  /** The lease on a hub's run across replicas (run-lease.ts; tests shorten it). */
  leaseMs?: number;
}

export interface Writeback {
  ensureSchema(): Promise<void>;
  run(hubId: string): Promise<WritebackReport>;
}

export interface WritebackDeps {
  config: LoadedConfig;
  store: Store;
  log: Logger;
  clock?: WritebackClock;
  tuning?: WritebackTuning;
  /**
   * Called once per person written or refused (`ok`, `failed`, `skipped`): for metrics. The agent
   * does not import the server's metrics; the lead wires this to `recordWriteback` (scim-server/ops/metrics.ts).
   */
  onOutcome?: (idp: string, outcome: 'ok' | 'failed' | 'skipped') => void;
}
