/**
 * Everything the dashboard's browser test runs against: a real OIDC provider, the Meta emulator
 * (sandbox business), hubwarden as `npm start` composes it (scim-server/compose.ts: agent,
 * member service, check for updates, admin API) on a store (memory by default) seeded with the sandbox
 * directory, and the dashboard at /ui, on 127.0.0.1 and free ports.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Keyring } from '../../agent/secrets/keyring.ts';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newContext, until } from './browser-kit.ts';
import type { Agent } from '../../agent/agent.ts';
import { recordDesiredChange } from '../../agent/outbox.ts';
import { parseConfig, type LoadedConfig } from '../../config/load.ts';
import { createMetaEmulator, SANDBOX, type MetaEmulator } from '../../connectors/meta-business/emulator/index.ts';
import { createApp } from '../../scim-server/app.ts';
import { composeHubwarden } from '../../scim-server/compose.ts';
import { createWebRouter } from '../../scim-server/web/router.ts';
import { DIR, HUB, seedDirectory } from '../check-for-updates-e2e/business.ts';
import { startOidcProvider, type TestProvider } from './oidc-test-provider.ts';
import { MEMORY_STORE, type AnyStore, type SuiteStore } from '../suite-stores.ts';

export { DIR, HUB };
export const ADMIN_TOKEN = 'browser-test-admin-token-42';

/** Signs `page` in with the admin token on the sign-in form and waits for the hubs page (its `hub` listed). */
export async function signInWithToken(page: Page, url: string, token = ADMIN_TOKEN, hub = HUB): Promise<void> {
  await page.goto(`${url}/ui/sign-in`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in with token' }).click();
  await page.locator(`[data-hub="${hub}"]`).waitFor();
}
const CLIENT = { id: 'hubwarden-dashboard', secret: 'browser-test-client-secret' };
/** The IdP's test people: an allowed admin (by group) and someone who is not. */
/** A dashboard world after its first check for updates, and a page signed in with the admin token (the accessibility tests' start). */
export async function signedInDashboard(): Promise<{ world: DashboardWorld; browser: Browser; page: Page }> {
  const world = await startDashboardWorld();
  const task = await world.agent.api.checkForUpdates(HUB, { type: 'schedule' });
  await until('the check for updates', async () => ['completed', 'failed'].includes((await world.agent.api.task(task.id))?.status ?? '') && true, 60_000);
  const browser = await launchChromium();
  const page = await (await newContext(browser)).newPage();
  await signInWithToken(page, world.url);
  return { world, browser, page };
}

export const PEOPLE = {
  owner: { login: 'olivia', email: 'olivia.owner@sandbox.example', groups: ['hubwarden-admins'] },
  outsider: { login: 'oscar', email: 'oscar@sandbox.example', groups: ['marketing'] },
};
const silent = { debug() {}, info() {}, warn() {}, error() {} };

export interface DashboardWorld {
  url: string;
  idp: TestProvider;
  emulator: MetaEmulator;
  store: AnyStore;
  agent: Agent;
  config: LoadedConfig;
  /** A directory change as the SCIM server writes it (deactivation → the agent's safety path). */
  deactivate(userId: string): Promise<void>;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return (server.address() as AddressInfo).port;
}

/** `kind`: the store the world runs on (test/suite-stores.ts), closed with it. */
export async function startDashboardWorld(kind: SuiteStore = MEMORY_STORE): Promise<DashboardWorld> {
  const http = createServer();
  const url = `http://127.0.0.1:${await listen(http)}`;
  const idp = await startOidcProvider({
    clientId: CLIENT.id, clientSecret: CLIENT.secret, redirectUri: `${url}/ui/auth/callback`,
    accounts: Object.fromEntries(Object.values(PEOPLE).map((p) => [p.login, { email: p.email, groups: p.groups }])),
  });
  // Expired invites listed with their status (the emulator's looser 'keep-expired' reading): the
  // funnel's expired count comes from an invite the emulator expires at once.
  const emulator = createMetaEmulator({ inviteVisibility: 'keep-expired' });
  const graph = await emulator.listen(0);
  const config = parseConfig(`
server:
  publicUrl: ${url}
  adminTokens: [env:ADMIN_TOKEN]
  oidc:
    issuer: ${idp.issuer}
    clientId: ${CLIENT.id}
    clientSecret: env:OIDC_CLIENT_SECRET
    allowedGroups: [hubwarden-admins]
hubs:
  - id: ${HUB}
    label: Acme on Meta (sandbox)
    connector: meta-business
    meta: { businessId: "${SANDBOX.businessId}", graphBaseUrl: sandbox }
    teams:
      - { group: Meta Admins, hubRole: owner, appRole: ADMIN }
      - group: Meta Advertisers
        appRole: EMPLOYEE
        assets: [{ type: ad_account, id: act_111, tasks: [ADVERTISE, ANALYZE] }]
    partners:
      - { businessId: "${SANDBOX.partner.businessId}", token: env:PARTNER_TOKEN }
    checkForUpdates: { onConnect: false }
    safety: { settleSeconds: 1, removalThresholdPercent: 50, confirmDeprovisioning: true, drift: report }
`, '/tmp/hubwarden-browser-test.yaml', { ADMIN_TOKEN, OIDC_CLIENT_SECRET: CLIENT.secret, PARTNER_TOKEN: SANDBOX.partner.token });

  const { store, dispose } = await kind.open();
  await seedDirectory(store);
  // Casey (the contractor's directory identity) is an advertiser: matching the contractor to
  // Casey makes the agent grant the advertisers' tasks in Meta.
  await store.transact(async (tx) => {
    const g = (await tx.get('directoryGroups', HUB, 'grp-advertisers'))!;
    tx.put('directoryGroups', HUB, g.id, { ...g, members: [...g.members, { value: DIR.casey }], version: g.version + 1 });
  });
  // The production composition root (connectors, agent, member service, check for updates,
  // admin API, hooks), with the dashboard mounted the way main.ts is expected to mount it.
  // The dashboard seals pending OIDC sign-ins with a key derived from it (main.ts passes the key file's).
  const keyring = Keyring.fromKey(randomBytes(32));
  const hubwarden = composeHubwarden({
    config, store, keyring, sandboxUrls: () => ({ 'meta-business': graph.url }), auditFile: false,
    runner: { backoffBaseMs: 50, backoffMaxMs: 500, leaseMs: 5_000 },
  });
  await hubwarden.start();
  const agent = hubwarden.agent;
  const app = createApp({
    store,
    log: silent as never,
    routers: [...hubwarden.routers, { path: '/ui', router: createWebRouter({ config, agent: agent.api, store, log: silent, keyring }) }],
  });
  http.on('request', app);

  return {
    url, idp, emulator, store, agent, config,
    async deactivate(userId) {
      await store.transact(async (tx) => {
        const u = (await tx.get('directoryUsers', HUB, userId))!;
        tx.put('directoryUsers', HUB, userId, { ...u, active: false, version: u.version + 1, lastModified: new Date().toISOString() });
        recordDesiredChange(tx, { hubId: HUB, trigger: { type: 'scim', idp: 'okta', actor: 'okta-provisioning' }, changes: [{ kind: 'user-deactivated', userId }] });
      });
    },
    async close() {
      await hubwarden.stop(500);
      await new Promise<void>((resolve) => { http.closeAllConnections(); http.close(() => resolve()); });
      await graph.close();
      await idp.close();
      await dispose();
    },
  };
}
