/**
 * Two replicas of the real app (agent, member service, admin API, Okta hook, Lifecycle Workflows
 * callout) on one store, for the write-race tests (test/races/): on PostgreSQL two stores on one
 * fresh schema, as two processes would be; on lowdb one store and one app, which two concurrent
 * requests reach. One Meta emulator and one Graph emulator behind both.
 */
import { createAgent, type Agent } from '../../agent/agent.ts';
import { createCheckForUpdatesHandler } from '../../agent/check-for-updates/handler.ts';
import { createHubConnector } from '../../agent/hub-connector.ts';
import { createMemberService, type MemberService } from '../../agent/members/member-service.ts';
import type { Store } from '../../agent/store/store.ts';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import { LowdbStore } from '../../agent/store/lowdb-store.ts';
import { parseConfig, type LoadedConfig } from '../../config/load.ts';
import { createMetaEmulator, SANDBOX, type MetaEmulator } from '../../connectors/meta-business/emulator/index.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { createEntraLifecycleRouter } from '../../scim-server/hooks/entra-lifecycle.ts';
import { createOktaHookRouter, type HookRouter } from '../../scim-server/hooks/okta.ts';
import { createGraphEmulator, type GraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { seedDirectory, HUB } from '../check-for-updates-e2e/business.ts';
import { serveRouters, type TestServer } from '../admin/test-server.ts';
import { freshSchemas } from '../fresh-schemas.ts';
import { postgresForTests } from '../postgres.ts';
import { until as pollUntil } from '../agent-e2e/harness.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testKeyring } from '../test-keyring.ts';
import express from 'express';
import { listenOn } from '../../connectors/sdk/listen.ts';
import { callGate } from '../call-hold.ts';
import { adminTokensFrom } from '../../scim-server/admin/admin-tokens.ts';

/** The fleet's key, shared as replicas share the key file: a token has one label on both. */
const FLEET_KEY = testKeyring();

export { HUB };
export const ADMIN = 'races-admin-token-0123456789';
export const HOOK = 'races-okta-hook-secret';
export const TENANT = 'tenant-races';
export const RELAY = 'relay-app';
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function raceConfig(metaUrl: string, graphUrl: string): LoadedConfig {
  const yaml = `
server:
  publicUrl: http://hubwarden.test
  adminTokens: [env:ADMIN]
identityProviders:
  okta:
    kind: okta
    orgUrl: https://acme.okta.example
    eventHookSecret: env:HOOK
  entra:
    kind: entra
    tenantId: ${TENANT}
    clientId: hubwarden-app
    clientSecret: env:ENTRA
    extensionAppId: hubwarden-app
    graphBaseUrl: ${graphUrl}
    authorityUrl: ${graphUrl}
    lifecycleWorkflows: { allowedAppIds: [${RELAY}], audience: "api://hubwarden" }
hubs:
  - id: ${HUB}
    connector: meta-business
    meta:
      businessId: "${SANDBOX.businessId}"
      accessToken: env:META_TOKEN
      graphBaseUrl: ${metaUrl}
    teams:
      - { group: Meta Admins, hubRole: owner, appRole: ADMIN }
      - group: Meta Advertisers
        appRole: EMPLOYEE
        assets: [{ type: ad_account, id: act_111, tasks: [ADVERTISE, ANALYZE] }]
      - { group: Brand, appRole: EMPLOYEE, claim: true }
    partners: []
    safety: { settleSeconds: 1, removalThresholdPercent: 50, confirmDeprovisioning: false }
`;
  return parseConfig(yaml, '/tmp/hubwarden-races.yaml', { ADMIN, HOOK, ENTRA: 'entra-secret', META_TOKEN: SANDBOX.token });
}

export interface Replica {
  name: string;
  store: Store;
  agent: Agent;
  service: MemberService;
  hook: HookRouter;
  entra: ReturnType<typeof createEntraLifecycleRouter>;
  url: string;
  /** An admin API call on this replica. */
  api(path: string, init?: RequestInit): Promise<Response>;
}

export interface Fleet {
  kind: 'postgres' | 'lowdb';
  a: Replica;
  b: Replica;
  emulator: MetaEmulator;
  graph: GraphEmulator;
  config: LoadedConfig;
  /**
   * Holds the next Meta call `matches` picks until `release()` (test/call-hold.ts callGate): a
   * case waits for `arrived` to know a task is calling Meta, instead of sleeping.
   */
  holdMetaCall: ReturnType<typeof callGate>['holdUntilReleased'];
  close(): Promise<void>;
}

const db = await postgresForTests();
const freshSchema = db.skip ? undefined : freshSchemas(db);
export const POSTGRES_SKIP = db.skip;

async function replicaOn(name: string, store: Store, config: LoadedConfig, closers: Array<() => Promise<void>>): Promise<Replica> {
  const connector = createHubConnector(config.file.hubs[0]!, config, { log: silent });
  const service = createMemberService({ config, store, log: silent });
  const agent = createAgent({
    config, store, connectorFor: () => connector, log: silent, members: service, auditFile: false,
    handlers: [createCheckForUpdatesHandler()], runner: { backoffBaseMs: 20, backoffMaxMs: 200, leaseMs: 2_000 },
  });
  await agent.start();
  const hook = createOktaHookRouter({ config, agent: agent.api, store });
  const entra = createEntraLifecycleRouter({ config, agent: agent.api, store, pollIntervalMs: 20 });
  const server: TestServer = await serveRouters([['/api/v1', createAdminRouter({ config, agent: agent.api, adminTokens: adminTokensFrom(config, FLEET_KEY) })], ['/hooks', hook], ['/hooks', entra]]);
  closers.push(async () => { entra.stop(); await hook.settled(); await server.close(); await agent.stop(500); service.close(); });
  return {
    name, store, agent, service, hook, entra, url: server.url,
    api: (path, init = {}) => fetch(`${server.url}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', ...init.headers } }),
  };
}

/** Two replicas on a fresh store of `kind`, its directory seeded (test/check-for-updates-e2e/business.ts). */
export async function startFleet(kind: 'postgres' | 'lowdb'): Promise<Fleet> {
  // debug_token (opt-in): pause-resume.race waits for the credential check by that call.
  const emulator = createMetaEmulator({ debugToken: true });
  const gate = callGate();
  const meta = await listenOn(express().use(gate.front, emulator.handler), 0, '127.0.0.1');
  const graph = createGraphEmulator({ tenantId: TENANT, clientId: 'hubwarden-app', clientSecret: 'entra-secret' });
  const graphServer = await graph.listen();
  const config = raceConfig(meta.url, graphServer.url);
  const closers: Array<() => Promise<void>> = [];
  const storeClosers: Array<() => Promise<void>> = [];
  let a: Replica;
  let b: Replica;
  if (kind === 'postgres') {
    const schema = freshSchema!('races');
    const sa = new PostgresStore({ url: db.url, schema, poolSize: 4 });
    await sa.open();
    const sb = new PostgresStore({ url: db.url, schema, poolSize: 4 });
    await sb.open();
    storeClosers.push(() => sa.close(), () => sb.close());
    await seedDirectory(sa);
    a = await replicaOn('A', sa, config, closers);
    b = await replicaOn('B', sb, config, closers);
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'hubwarden-races-'));
    const store = new LowdbStore(join(dir, 'hubwarden.json'));
    await store.open();
    storeClosers.push(async () => { await store.close(); await rm(dir, { recursive: true, force: true }); });
    await seedDirectory(store);
    a = await replicaOn('A', store, config, closers);
    b = a;
  }
  return {
    kind, a, b, emulator, graph, config, holdMetaCall: gate.holdUntilReleased,
    async close() {
      for (const c of closers.reverse()) await c();
      for (const c of storeClosers) await c();
      await graphServer.close();
      await meta.close();
    },
  };
}

/** Polls until `probe` answers truthy (the agent end-to-end harness's, with a longer default: two replicas on one machine). */
export const until = <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000): Promise<T> => pollUntil(what, probe, ms);
