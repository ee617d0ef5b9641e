/**
 * Wires hubwarden's runtime from a loaded config and an open store: the connectors, the agent
 * (task runner, outbox dispatcher, member service with check for updates and its schedules,
 * write-back) and every HTTP surface (SCIM, admin API, hooks, metrics, the connectors' sandboxes). main.ts
 * calls it for `npm start`; end-to-end tests call it to run the same wiring in-process.
 *
 * Dependency direction: the server depends on the agent's public API and the store;
 * the agent never imports server code, so metrics reach it only through callbacks passed here.
 */
import type { RequestHandler } from 'express';
import { createAgent, type Agent } from '../agent/agent.ts';
import { createHubConnector } from '../agent/hub-connector.ts';
import { addKnownSecrets, childLogger } from '../agent/log/logger.ts';
import { createMemberService, type MemberService } from '../agent/members/member-service.ts';
import type { Store } from '../agent/store/store.ts';
import { connectorBlocksToStore } from '../agent/tasks/scope-blocks.ts';
import { fleetCallPace } from '../agent/tasks/call-pace.ts';
import { createWriteback } from '../agent/writeback/writeback.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { HubConnector } from '../connectors/sdk/connector.ts';
import { connectorById } from '../connectors/registry.ts';
import { createAdminRouter } from './admin/router.ts';
import type { MountedRouter } from './app.ts';
import { createEntraLifecycleRouter } from './hooks/entra-lifecycle.ts';
import { createOktaHookRouter } from './hooks/okta.ts';
import { metricsAccess, proxyConfigured, scopedAdminToken } from './ops/metrics-access.ts';
import { FailureLimiter } from './auth-failures.ts';
import { adminTokensFrom } from './admin/admin-tokens.ts';
import { createMetricsRouter, hookDeliveryMetrics, observeStore, recordGraphCall, recordWriteback, scimRequestMetrics } from './ops/metrics.ts';
import { taskEndCounter } from './ops/task-metrics.ts';
import { createScimRouter } from './scim/router.ts';
import { createWebRouter } from './web/router.ts';
import { endingLeaverSessions } from './web/leaver-sessions.ts';
import type { Keyring } from '../agent/secrets/keyring.ts';
import { CREDENTIAL_FINGERPRINT_PURPOSE } from '../agent/audit/credential-rotation.ts';
import { labelKeyFor } from './credentials.ts';

export interface HubwardenOptions {
  config: LoadedConfig;
  store: Store;
  /** Connector id → where its built-in sandbox answers, for hubs whose block says `sandbox`; read when a connector is first built (after listen). */
  sandboxUrls?: () => Readonly<Record<string, string>> | undefined;
  /** Extra surfaces mounted after the built-in ones (the connectors' sandboxes, the web dashboard). */
  extraRouters?: MountedRouter[];
  /** Tuning for tests (shorter leases and back-off). */
  runner?: Parameters<typeof createAgent>[0]['runner'];
  auditFile?: string | false;
  /** The `secrets.keyFile` keyring; the dashboard seals pending OIDC sign-ins with a key derived from it (default: read from the key file). */
  keyring?: Keyring;
}

export interface Hubwarden {
  agent: Agent;
  members: MemberService;
  routers: MountedRouter[];
  connectorFor(hubId: string): HubConnector | undefined;
  running(): boolean;
  start(): Promise<void>;
  stop(graceMs?: number): Promise<void>;
}


/** `/` opens the dashboard, so the URL in the banner is the one a person wants. */
const dashboardRedirect: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' && req.path === '/') res.redirect(302, '/ui/');
  else next();
};

/**
 * Every secret the config resolves, registered with the redactor: an error text that quotes one
 * (a provider echoing the request) has it replaced before it is logged, stored or answered.
 */
function registerSecrets(config: LoadedConfig): void {
  addKnownSecrets(config.secretRefs.flatMap((ref) => {
    try {
      return [config.secret(ref).reveal()];
    } catch {
      return []; // a reference that resolves to nothing has no value to hide
    }
  }));
}

export function composeHubwarden(o: HubwardenOptions): Hubwarden {
  const { config, store } = o;
  registerSecrets(config);
  const log = childLogger('agent');
  const connectorLog = childLogger('connector');

  // Graph calls per hub feed the check-for-updates run summary and the metrics.
  const graphCalls = new Map<string, number>();
  const connectors = new Map<string, HubConnector>();
  const recordBlock = connectorBlocksToStore(store, log);
  const callPace = fleetCallPace(store);
  function connectorFor(hubId: string): HubConnector | undefined {
    const cached = connectors.get(hubId);
    if (cached) return cached;
    const hub = config.file.hubs.find((h) => h.id === hubId);
    if (!hub) return undefined;
    const connector = createHubConnector(hub, config, {
      sandboxUrls: o.sandboxUrls?.(),
      log: connectorLog,
      // A throttle this replica's connector found holds the scope on every replica (scope-blocks.ts).
      onBlock: recordBlock,
      // An app's per-second and per-minute limits kept by the fleet, not per replica, and its
      // calls per day kept in the store on any store, across restarts (call-pace.ts).
      callPace,
      onCall: (call) => {
        graphCalls.set(hubId, (graphCalls.get(hubId) ?? 0) + 1);
        // The connector says when an answer is a throttle (TikTok: HTTP 200 + code 40100); the
        // status is the fallback. Calls are labelled with their app's config key (`meta`,
        // `tiktok`), not all as Meta's.
        recordGraphCall(call.status, call.throttled ?? (call.status === 429 || call.status === 403), connectorById(hub.connector)?.hub.key ?? hub.connector);
      },
    });
    connectors.set(hubId, connector);
    return connector;
  }

  const writeback = createWriteback({ config, store, log: childLogger('writeback'), onOutcome: recordWriteback });
  const members = createMemberService({ config, store, log, writeback, graphCalls: (hubId) => graphCalls.get(hubId) ?? 0 });
  const agent = createAgent({ config, store, connectorFor, log, members, runner: o.runner, auditFile: o.auditFile, auditConfig: true,
    // Derived when the agent starts, not here: a server composed and never started reads no key file.
    credentialKey: () => labelKeyFor(CREDENTIAL_FINGERPRINT_PURPOSE, config.pathOf(config.file.secrets.keyFile), o.keyring) });

  // Task metrics from the store's change feed, one count per task end (ops/task-metrics.ts).
  const unsubscribe = store.subscribe(taskEndCounter());

  const okta = createOktaHookRouter({ config, agent: agent.api, store, ...(o.keyring ? { keyring: o.keyring } : {}) });
  const lifecycle = createEntraLifecycleRouter({ config, agent: agent.api, store });
  // One failure budget for the three surfaces that take a credential (auth-failures.ts), counted
  // in the store so replicas sharing it share the budget; the dashboard counts My access claims
  // and audited sign-in refusals in the same limiter, so those budgets are fleet-wide too.
  const failures = new FailureLimiter({}, Date.now, store);
  const adminTokens = adminTokensFrom(config, o.keyring);
  const scimMetrics: RequestHandler = scimRequestMetrics(config.file.hubs.map((h) => h.id));
  observeStore(store);
  const routers: MountedRouter[] = [
    { path: '/scim/v2', router: scimMetrics },
    { path: '/scim/v2', router: createScimRouter({ config, store, failures, ...(o.keyring ? { keyring: o.keyring } : {}) }) },
    // An offboarding through the admin API ends the person's dashboard sessions first (web/leaver-sessions.ts).
    { path: '/api/v1', router: createAdminRouter({ config, agent: endingLeaverSessions(agent.api, store, () => config.file.hubs), failures, adminTokens }) },
    { path: '/hooks', router: hookDeliveryMetrics() },
    { path: '/hooks', router: okta },
    { path: '/hooks', router: lifecycle },
    { path: '/', router: createMetricsRouter({ allow: metricsAccess(adminTokens, proxyConfigured(config.file.server.trustProxy), config.file.server.publicUrl), scoped: scopedAdminToken(adminTokens), failures }) },
    // The dashboard (docs/dashboard.md) runs on the admin API through its own session adapter.
    { path: '/ui', router: createWebRouter({ config, agent: agent.api, store, log: childLogger('dashboard'), failures, adminTokens, ...(o.keyring ? { keyring: o.keyring } : {}) }) },
    { path: '/', router: dashboardRedirect },
    ...(o.extraRouters ?? []),
  ];

  let isRunning = false;
  return {
    agent, members, routers, connectorFor,
    running: () => isRunning,
    async start() {
      await agent.start();
      await members.start({ connectorFor });
      isRunning = true;
    },
    async stop(graceMs = 10_000) {
      isRunning = false;
      okta.stop();
      lifecycle.stop();
      await Promise.allSettled([okta.settled(), lifecycle.settled()]);
      await members.stop();
      await agent.stop(graceMs);
      members.close();
      unsubscribe();
    },
  };
}
