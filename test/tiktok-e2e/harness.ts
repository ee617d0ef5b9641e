/**
 * A TikTok hub end to end: real SCIM requests (Okta's or Entra's shape) into the SCIM router, the
 * agent on the same store, the TikTok emulator behind the real connector built the way the
 * product builds it (config → definition.settings → create; paced for the tier, paced-connector.ts).
 * The same wiring as the Meta flows in test/agent-e2e/scim.test.ts.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { createAgent, type Agent } from '../../agent/agent.ts';
import { checkForUpdatesHandler } from '../../agent/check-for-updates/handler.ts';
import { createHubConnector } from '../../agent/hub-connector.ts';
import { fleetCallPace } from '../../agent/tasks/call-pace.ts';
import type { CallPaceLimits } from '../../connectors/sdk/definition.ts';
import type { Store } from '../../agent/store/store.ts';
import { parseConfig } from '../../config/load.ts';
import { createTikTokEmulator, TIKTOK_SANDBOX, type TikTokEmulator, type TikTokEmulatorOptions } from '../../connectors/tiktok-business/emulator/index.ts';
import { listenOn } from '../../connectors/sdk/listen.ts';
import { createScimRouter } from '../../scim-server/scim/router.ts';
import { checkForUpdates, settle, until } from '../agent-e2e/harness.ts';
import { MEMORY_STORE, type SuiteStore } from '../suite-stores.ts';
import { testKeyring } from '../test-keyring.ts';
import { E2E_TIER, pacedTikTokConnector } from './paced-connector.ts';

export { settle, until };

export const silent = { debug() {}, info() {}, warn() {}, error() {} };
export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const BC = TIKTOK_SANDBOX.bcId;
export const AD = TIKTOK_SANDBOX.adAccounts[0];

export function configText(hubId: string, idp: 'okta' | 'entra', apiBaseUrl: string, safety: Record<string, unknown> = {}, extraTeams: unknown[] = []): string {
  return JSON.stringify({
    identityProviders: {
      okta: { kind: 'okta', orgUrl: 'https://acme.okta.example' },
      entra: { kind: 'entra', tenantId: 't', clientId: 'c', clientSecret: 'env:ENTRA_SECRET', extensionAppId: 'x' },
    },
    hubs: [{
      id: hubId, connector: 'tiktok-business', identityProvider: idp,
      tiktok: { businessCenterId: BC, accessToken: 'env:TIKTOK_TOKEN', tokenUserId: TIKTOK_SANDBOX.tokenUserId, apiBaseUrl },
      scim: { tokens: ['env:SCIM_TOKEN'] },
      teams: [
        { group: 'TikTok Advertisers', appRole: 'STANDARD', assets: [{ type: 'ad_account', id: AD, role: 'OPERATOR' }] },
        { group: 'TikTok Admins', hubRole: 'owner', appRole: 'ADMIN', assets: [{ type: 'ad_account', id: AD, role: 'ADMIN' }] },
        ...extraTeams,
      ],
      safety: { settleSeconds: 1, removalThresholdPercent: 50, confirmDeprovisioning: false, ...safety },
    }],
  });
}

export interface TikTokHarness {
  hubId: string;
  emulator: TikTokEmulator;
  config: ReturnType<typeof parseConfig>;
  agent: Agent;
  store: Store;
  scim(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  checkForUpdates(): Promise<void>;
  close(): Promise<void>;
}

/** `store`: the store kind (test/suite-stores.ts), opened here and closed by `close`; memory by default. */
/**
 * `front`: a handler every call to the emulator passes first (a test that changes the world at a
 * chosen point of a read); it calls `next()` to have the emulator answer.
 */
/**
 * `freshConnectors`: every task attempt gets a new connector instance, as after a restart or on
 * another replica (nothing the connector kept in memory carries over; the store does). The
 * instances share one call window, as the product's do: replicas on a shared store through the
 * store (scim-server/compose.ts passes `fleetCallPace`), and on a store one process uses, that
 * process's one cached connector paces every call. Each with a pacer of its own, three instances
 * within one second made 11 calls against the emulator's 10 a second (TikTok's Basic tier), and a
 * retry's read came back 40100: one more attempt than the case under test makes (that case runs
 * on the Basic tier, `tier: 'basic'`).
 */
/** `clock`: the agent's and the emulator's time (a test that moves days ahead); `Date.now` by default. */
/**
 * `tier`: the developer app's TikTok tier. `ultimate` by default: the emulator enforces the
 * Ultimate tier and the connector paces itself at half of it (paced-connector.ts), so a check for
 * updates does not wait 2 s for its turns. `basic`: the emulator's and the connector's defaults
 * (10 QPS against a pace of 5), for a case about calls that must stay within the Basic tier.
 */
export async function startTikTokHub(idp: 'okta' | 'entra', o: { emulator?: TikTokEmulatorOptions; safety?: Record<string, unknown>; store?: SuiteStore; extraTeams?: unknown[]; front?: express.RequestHandler; freshConnectors?: boolean; clock?: () => number; tier?: 'ultimate' | 'basic' } = {}): Promise<TikTokHarness> {
  const hubId = `tiktok-${idp}`;
  const basic = o.tier === 'basic';
  const emulator = createTikTokEmulator({ ...(basic ? {} : { rateLimits: E2E_TIER }), ...(o.clock ? { now: o.clock } : {}), ...o.emulator });
  const api = o.front ? await listenOn(express().use(o.front, emulator.handler), 0, '127.0.0.1') : await emulator.listen(0);
  const config = parseConfig(configText(hubId, idp, api.url, o.safety, o.extraTeams), '/virtual/hubwarden.yaml', { SCIM_TOKEN: 'scim-secret', ENTRA_SECRET: 's', TIKTOK_TOKEN: TIKTOK_SANDBOX.token });
  const build = basic ? createHubConnector : pacedTikTokConnector;
  const connector = build(config.file.hubs[0]!, config, { log: silent });
  const { store, dispose } = await (o.store ?? MEMORY_STORE).open();
  const callPace = (store as Store).shared ? fleetCallPace(store) : processCallPace();
  const agent = createAgent({ config, store, connectorFor: () => (o.freshConnectors ? build(config.file.hubs[0]!, config, { log: silent, callPace }) : connector), log: silent, handlers: [checkForUpdatesHandler], auditFile: false, ...(o.clock ? { clock: o.clock } : {}), runner: { backoffBaseMs: 20, backoffMaxMs: 200, leaseMs: 2_000 } });
  const app = express();
  app.use('/scim/v2', createScimRouter({ config, store, keyring: testKeyring() }));
  const server = await new Promise<import('node:http').Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2/hubs/${hubId}`;
  await agent.start();
  const h: TikTokHarness = {
    hubId, emulator, config, agent, store,
    async scim(method, path, body) {
      const res = await fetch(`${base}${path}`, { method, headers: { authorization: 'Bearer scim-secret', 'content-type': 'application/scim+json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    checkForUpdates: () => checkForUpdates({ agent }, hubId, 20_000),
    async close() {
      await agent.stop(500);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await api.close();
      await dispose();
    },
  };
  try {
    await h.checkForUpdates(); // the first complete import
  } catch (err) {
    await h.close();
    throw err;
  }
  return h;
}

/** One process's call window (per second and per minute) for connector instances on a store no replica shares. */
function processCallPace() {
  let at: number[] = [];
  return async (_hubId: string, limits: CallPaceLimits): Promise<number> => {
    const now = Date.now();
    at = at.filter((t) => t > now - 60_000);
    const second = at.filter((t) => t > now - 1_000);
    if (second.length >= limits.perSecond) return Math.max(1, second[0]! + 1_000 - now);
    if (at.length >= limits.perMinute) return Math.max(1, at[0]! + 60_000 - now);
    at.push(now);
    return 0;
  };
}

/** The invite calls that named `email`. */
export const invitePosts = (e: TikTokEmulator, email: string) =>
  e.calls.filter((c) => c.endpoint === 'bc/member/invite' && c.code === 0 && ((c.body as { emails?: string[] }).emails ?? []).some((x) => x.toLowerCase() === email));

export const rowOf = (e: TikTokEmulator, email: string) => e.control.state().members.find((m) => m.bc_id === BC && m.user_email.toLowerCase() === email);
export const roleOn = (e: TikTokEmulator, userId: string, assetId = AD) => e.control.state().assignments.find((a) => a.bc_id === BC && a.user_id === userId && a.asset_id === assetId)?.role;
