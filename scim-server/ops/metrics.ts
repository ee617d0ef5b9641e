import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { auditFileTotals } from '../../agent/audit/audit-file.ts';
import type { Store } from '../../agent/store/store.ts';
import { graphCallsByHour } from './hourly-counts.ts';
import { clientAddress, type FailureLimiter } from '../auth-failures.ts';

/**
 * Prometheus metrics, on one registry per process. Other modules record
 * through the small functions below, so they depend on no prom-client type; `/metrics` serves them.
 * Labels are bounded: hub ids come from the config, kinds and outcomes from closed sets.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'hubwarden_' });

/** Every metric lives on the one registry; label names are a closed tuple so `inc` is type-checked. */
const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
  new Counter<L>({ name, help, labelNames, registers: [metricsRegistry] });
const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
  new Histogram<L>({ name, help, labelNames, buckets, registers: [metricsRegistry] });

const scimRequests = counter('hubwarden_scim_requests_total', 'SCIM requests by hub, method and HTTP status (499: the client hung up before the answer)', ['hub', 'method', 'status']);
// Up to 120 s: a request can wait 60 s for a pooled connection, then for its commit
// (agent/store/postgres/connections.ts); past the last bucket histogram_quantile reports that bucket.
const scimDuration = histogram('hubwarden_scim_request_duration_seconds', 'SCIM request latency by hub and method', ['hub', 'method'], [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]);
const tasks = counter('hubwarden_tasks_total', 'agent tasks finished, by kind and outcome', ['kind', 'outcome']);
const taskDuration = histogram('hubwarden_task_duration_seconds', 'agent task latency from start to finish, by kind and outcome', ['kind', 'outcome'], [0.05, 0.25, 1, 5, 15, 60, 300, 1800]);
const graphCalls = counter('hubwarden_graph_calls_total', 'Calls to an app\'s API (by its connector) or to Microsoft Graph, by HTTP status', ['api', 'status']);
const graphThrottled = counter('hubwarden_graph_throttled_total', 'App or Microsoft Graph API calls answered with a rate limit (HTTP 429, or the app\'s own throttling codes)', ['api']);
const writebacks = counter('hubwarden_writeback_total', 'match and exemption write-backs to the identity provider, by provider and outcome', ['idp', 'outcome']);
const dashboardForbidden = counter('hubwarden_dashboard_forbidden_total', 'dashboard requests refused 403 (a hub role that does not allow it), by page or API', ['surface']);
const hookDeliveries = counter('hubwarden_hook_deliveries_total', 'Okta event hook and Lifecycle Workflows deliveries by source and HTTP status', ['source', 'status']);

/**
 * The store the server runs on, read at each scrape (`observeStore`). Its totals count from its
 * opening; the counters add what grew since the last scrape, so a store opened again in the same
 * process (tests) continues them instead of making them go down.
 */
type StoreTotal = 'committed' | 'reRuns' | 'contended';
let observed: { store: Pick<Store, 'healthy' | 'stats'>; counted: Record<StoreTotal, number> } | undefined;

function storeCounter(name: string, help: string, total: StoreTotal): void {
  new Counter({
    name,
    help,
    registers: [metricsRegistry],
    collect() {
      if (!observed) return;
      const now = observed.store.stats()[total];
      if (now > observed.counted[total]) this.inc(now - observed.counted[total]);
      observed.counted[total] = now;
    },
  });
}

new Gauge({
  name: 'hubwarden_store_up',
  help: '1 while the store accepts writes (the check /readyz makes), 0 while its disk or database refuses them',
  registers: [metricsRegistry],
  collect() {
    if (observed) this.set(observed.store.healthy() ? 1 : 0);
  },
});
storeCounter('hubwarden_store_transactions_total', 'store transactions committed', 'committed');
// A few re-runs are the cost of replicas writing the same records; a steady rate, or any
// contention, says they keep colliding (docs/scaling.md, "PostgreSQL: round trips and conflicts").
storeCounter('hubwarden_store_transaction_reruns_total', 'store transaction runs thrown away because what they read changed before they committed, and run again (PostgreSQL)', 'reRuns');
storeCounter('hubwarden_store_contention_total', 'store transactions given up because their last allowed run conflicted too (the task behind one runs again later; a SCIM request gets 503)', 'contended');
new Gauge({
  name: 'hubwarden_store_connections',
  help: 'the PostgreSQL store\'s pooled connections: open, idle, and callers waiting for one (waiting for long means poolSize or max_connections is too small)',
  labelNames: ['state'],
  registers: [metricsRegistry],
  collect() {
    this.reset(); // a store without a pool shows none, not the last one's figures
    const pool = observed?.store.stats().connections;
    if (!pool) return;
    this.set({ state: 'open' }, pool.total);
    this.set({ state: 'idle' }, pool.idle);
    this.set({ state: 'waiting' }, pool.waiting);
  },
});

/**
 * `audit.file` (agent/audit/audit-file.ts), read at each scrape: failed attempts to write it, entries
 * dropped from memory because too many waited, and entries waiting now. Alert on any increase of
 * the failures: the SIEM copy is behind (docs/operations.md, "Watching").
 */
const auditCounted = { writeFailures: 0, dropped: 0 };
function auditFileCounter(name: string, help: string, total: keyof typeof auditCounted): void {
  new Counter({
    name,
    help,
    registers: [metricsRegistry],
    collect() {
      const now = auditFileTotals()[total];
      if (now > auditCounted[total]) this.inc(now - auditCounted[total]);
      auditCounted[total] = now;
    },
  });
}
auditFileCounter('hubwarden_audit_file_write_failures_total', 'attempts to open or append to audit.file that failed (each is retried; the entries wait in memory)', 'writeFailures');
auditFileCounter('hubwarden_audit_file_dropped_total', 'audit entries never written to audit.file because more than 10,000 waited (they are in the store: GET /api/v1/audit)', 'dropped');
new Gauge({
  name: 'hubwarden_audit_file_waiting',
  help: 'audit entries committed and not yet written to audit.file (above 0 for long: the file refuses writes)',
  registers: [metricsRegistry],
  collect() {
    this.set(auditFileTotals().waiting);
  },
});

/** Reports this store on `/metrics` from now on, all it has done since it opened (the server calls it with the store it runs on). */
export function observeStore(store: Pick<Store, 'healthy' | 'stats'>): void {
  if (observed?.store !== store) observed = { store, counted: { committed: 0, reRuns: 0, contended: 0 } };
}

/** A finished agent task (the worker calls it once per task end). */
export function recordTask(kind: string, outcome: 'completed' | 'failed' | 'cancelled' | string, ms: number): void {
  tasks.inc({ kind, outcome });
  taskDuration.observe({ kind, outcome }, ms / 1000);
}

/** One call to an app's API (`meta`, `tiktok`: the hub's config key) or to Microsoft Graph; `throttled` when the provider asked us to slow down. */
export function recordGraphCall(status: number | string, throttled: boolean, api: string = 'meta'): void {
  graphCalls.inc({ api, status: String(status) });
  if (throttled) graphThrottled.inc({ api });
  // The hourly chart is "calls to the apps' APIs": every app's, not write-back's Microsoft Graph.
  if (api !== 'microsoft') graphCallsByHour.add(throttled ? 'throttled' : 'calls');
}

export function recordWriteback(idp: string, outcome: 'ok' | 'failed' | 'skipped' | string): void {
  writebacks.inc({ idp, outcome });
}

export function recordDashboardForbidden(surface: 'page' | 'api'): void {
  dashboardForbidden.inc({ surface });
}

export function recordSCIMRequest(hub: string, method: string, status: number, ms: number): void {
  scimRequests.inc({ hub, method, status: String(status) });
  scimDuration.observe({ hub, method }, ms / 1000);
}

/**
 * The status a request ended with, once: 'close' comes after 'finish' for an answered request and
 * alone for one whose client hung up first. Counted on 'finish' only, a request an identity
 * provider gave up on (its timeout, a slow store) was in no counter and no latency bucket, so
 * the figures looked best exactly when it was failing. Such a request is labelled 499, nginx's
 * "client closed request" (https://github.com/nginx/nginx/blob/master/src/http/ngx_http_request.h),
 * and its latency is how long the client waited.
 */
export const CLIENT_CLOSED = 499;
function whenSettled(res: ServerResponse, record: (status: number) => void): void {
  res.once('close', () => record(res.writableFinished ? res.statusCode : CLIENT_CLOSED));
}

/**
 * Middleware for the SCIM tree (mount it before the SCIM router). The hub is the path segment
 * after `/hubs/` (per-hub base URL `/scim/v2/hubs/<hub>`); anything not a configured hub is labelled `unknown` so a
 * scanner cannot grow the label set.
 */
export function scimRequestMetrics(knownHubs: Iterable<string>): RequestHandler {
  const hubs = new Set(knownHubs);
  return (req, res, next) => {
    const started = performance.now();
    whenSettled(res, (status) => {
      const segment = /\/hubs\/([^/?]+)/.exec(req.originalUrl)?.[1] ?? '';
      recordSCIMRequest(hubs.has(segment) ? segment : 'unknown', req.method, status, performance.now() - started);
    });
    next();
  };
}

/** Counts hook deliveries by the status they were answered with (mount before the hook routers). */
export function hookDeliveryMetrics(): RequestHandler {
  return (req, res, next) => {
    whenSettled(res, (status) => {
      const source = req.originalUrl.includes('/entra/') ? 'entra-lifecycle' : req.originalUrl.includes('/okta') ? 'okta' : 'other';
      hookDeliveries.inc({ source, status: String(status) });
    });
    next();
  };
}

export interface MetricsRouterOptions {
  registry?: Registry;
  /**
   * Who may scrape. `/metrics` shares the listener with SCIM, which faces the internet when
   * `server.host` is not loopback; hub ids and task counts are not for strangers. Refused: 401
   * with a Bearer challenge (Prometheus sends `authorization: { credentials }`). Default: anyone.
   */
  allow?: (req: IncomingMessage) => boolean;
  /**
   * Where a refused token is counted: the budget the admin API and the dashboard's sign-in share
   * (auth-failures.ts), so /metrics is no way around it. Past it: 429 with Retry-After.
   */
  failures?: FailureLimiter;
  /** A right admin token refused by `allow` for its scope (metrics-access.ts scopedAdminToken): 403, not a wrong token. */
  scoped?: (req: IncomingMessage) => boolean;
}

/** `GET /metrics` in the Prometheus text format. */
export function createMetricsRouter(options: MetricsRouterOptions = {}): Router {
  const registry = options.registry ?? metricsRegistry;
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (options.allow && !options.allow(req)) {
      if (options.scoped?.(req)) {
        res.status(403).type('text/plain').send('metrics: this admin token is limited to some hubs (server.adminTokens[].hubs); /metrics names every hub: scrape with a token of every hub\n');
        return;
      }
      const wait = options.failures && req.headers.authorization !== undefined ? await options.failures.fail('admin', clientAddress(req)) : 0;
      if (wait > 0) {
        res.status(429).setHeader('Retry-After', String(wait));
        res.type('text/plain').send(`metrics: too many wrong tokens from this address; wait ${Math.ceil(wait / 60)} min\n`);
        return;
      }
      res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="hubwarden"');
      res.type('text/plain').send('metrics: send an admin token as "Authorization: Bearer <token>"\n');
      return;
    }
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
