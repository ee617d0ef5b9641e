/**
 * The world of the hub-role and My access browser tests: hubwarden as `npm start` composes it
 * (scim-server/compose.ts) with two hubs on two Meta emulators, a real OIDC provider whose people
 * are not global administrators (except one), and the directory the IdP pushed:
 *
 * - hub A (`acme-meta`, the sandbox business): Ada owns it (Meta Admins, hubRole owner); Ivan is
 *   a seat-less owner (IT Admins: hubRole owner, `seat: false`); Eve is a collaborator (Meta
 *   Advertisers); Cleo and Walt are in Brand Studio, a team of the `brand` collection (claim-only);
 *   Meta Managers makes a seat-less manager (a test that needs one puts Mona in it).
 * - hub B (`beta-meta`, a second business): Grace owns it; Ada is only staff there.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Keyring } from '../../agent/secrets/keyring.ts';
import type { AddressInfo } from 'node:net';
import type { Agent } from '../../agent/agent.ts';
import type { DirectoryGroupRecord, DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { recordDesiredChange } from '../../agent/outbox.ts';
import type { Transaction } from '../../agent/store/store.ts';
import { parseConfig } from '../../config/load.ts';
import { createMetaEmulator, SANDBOX, type MetaEmulator } from '../../connectors/meta-business/emulator/index.ts';
import { createApp } from '../../scim-server/app.ts';
import { composeHubwarden } from '../../scim-server/compose.ts';
import { HUB, seedDirectory } from '../check-for-updates-e2e/business.ts';
import { startOidcProvider, type TestProvider } from './oidc-test-provider.ts';
import { newContext, signInWithIdp, until } from './browser-kit.ts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { MEMORY_STORE, type AnyStore, type SuiteStore } from '../suite-stores.ts';

export const HUB_A = HUB;
export const HUB_B = 'beta-meta';
const CLIENT = { id: 'hubwarden-dashboard', secret: 'hub-roles-client-secret' };
const TRIGGER = { type: 'scim' as const, idp: 'okta' as const, actor: 'okta-provisioning' };

/** The IdP's people (login → claims). Only `admin` is a global administrator. */
export const PEOPLE = {
  admin: { login: 'aria', email: 'aria.admin@sandbox.example', groups: ['hubwarden-admins'] },
  owner: { login: 'ada', email: 'ada.lovelace@sandbox.example', groups: ['meta-people'] },
  itAdmin: { login: 'ivan', email: 'ivan.it@sandbox.example', groups: ['it'] },
  collaborator: { login: 'eve', email: 'eve@sandbox.example', groups: ['marketing'] },
  claimer: { login: 'cleo', email: 'cleo.brand@sandbox.example', groups: ['brand'] },
  leaver: { login: 'walt', email: 'walt.brand@sandbox.example', groups: ['brand'] },
  manager: { login: 'mona', email: 'mona.ops@sandbox.example', groups: ['ops'] },
};

export interface HubRolesWorld {
  url: string;
  idp: TestProvider;
  /** Hub A's business (the sandbox) and hub B's. */
  emulatorA: MetaEmulator;
  emulatorB: MetaEmulator;
  store: AnyStore;
  agent: Agent;
  /** Directory changes as the SCIM server writes them (the record, and the outbox entry in the same transaction). */
  removeFromGroup(hubId: string, groupId: string, userId: string): Promise<void>;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return (server.address() as AddressInfo).port;
}

const at = '2026-11-01T00:00:00.000Z';
const user = (hubId: string, id: string, email: string): DirectoryUserRecord =>
  ({ hubId, id, userName: email, active: true, displayName: id, email, emails: [email], scim: { userName: email }, created: at, lastModified: at, version: 1 });
const group = (hubId: string, id: string, displayName: string, members: string[]): DirectoryGroupRecord =>
  ({ hubId, id, displayName, members: members.map((value) => ({ value })), scim: {}, created: at, lastModified: at, version: 1 });

/** Users and groups pushed in one SCIM burst, with the outbox entry that makes the agent plan them. */
function push(tx: Transaction, hubId: string, users: DirectoryUserRecord[], groups: DirectoryGroupRecord[]): void {
  for (const u of users) tx.put('directoryUsers', hubId, u.id, u);
  for (const g of groups) tx.put('directoryGroups', hubId, g.id, g);
  recordDesiredChange(tx, { hubId, trigger: TRIGGER, changes: [
    ...users.map((u) => ({ kind: 'user-created' as const, userId: u.id })),
    ...groups.map((g) => ({ kind: 'group-members' as const, groupId: g.id, displayName: g.displayName, added: g.members.map((m) => m.value), removed: [] })),
  ] });
}

/** `kind`: the store the world runs on (test/suite-stores.ts), closed with it. */
export async function startHubRolesWorld(kind: SuiteStore = MEMORY_STORE): Promise<HubRolesWorld> {
  const http = createServer();
  const url = `http://127.0.0.1:${await listen(http)}`;
  const idp = await startOidcProvider({
    clientId: CLIENT.id, clientSecret: CLIENT.secret, redirectUri: `${url}/ui/auth/callback`,
    accounts: Object.fromEntries(Object.values(PEOPLE).map((p) => [p.login, { email: p.email, groups: p.groups }])),
  });
  const emulatorA = createMetaEmulator();
  const emulatorB = createMetaEmulator();
  const graphA = await emulatorA.listen(0);
  const graphB = await emulatorB.listen(0);
  const safety = '{ settleSeconds: 1, removalThresholdPercent: 50, confirmDeprovisioning: true, drift: report }';
  const config = parseConfig(`
server:
  publicUrl: ${url}
  oidc: { issuer: "${idp.issuer}", clientId: ${CLIENT.id}, clientSecret: env:OIDC_CLIENT_SECRET, allowedGroups: [hubwarden-admins] }
collections:
  - { id: brand, label: Brand studio, description: The brand team's ad account, offerDays: 14 }
hubs:
  - id: ${HUB_A}
    label: Acme on Meta (sandbox)
    connector: meta-business
    meta: { businessId: "${SANDBOX.businessId}", graphBaseUrl: sandbox }
    teams:
      - { group: Meta Admins, hubRole: owner, appRole: ADMIN }
      - { group: IT Admins, hubRole: owner, seat: false }
      - { group: Meta Managers, hubRole: manager, seat: false }
      - { group: Meta Advertisers, appRole: EMPLOYEE, assets: [{ type: ad_account, id: act_111, tasks: [ADVERTISE, ANALYZE] }] }
      - { group: Brand Studio, appRole: EMPLOYEE, collection: brand, assets: [{ type: ad_account, id: act_112, tasks: [ADVERTISE, ANALYZE] }] }
    partners: []
    checkForUpdates: { onConnect: false }
    safety: ${safety}
  - id: ${HUB_B}
    label: Beta on Meta
    connector: meta-business
    meta: { businessId: "${SANDBOX.businessId}", accessToken: env:META_TOKEN, graphBaseUrl: ${graphB.url} }
    teams:
      - { group: Beta Owners, hubRole: owner, appRole: ADMIN }
      - { group: Beta Staff, appRole: ADMIN }
    partners: []
    checkForUpdates: { onConnect: false }
    safety: ${safety}
`, '/tmp/hubwarden-hub-roles-test.yaml', { OIDC_CLIENT_SECRET: CLIENT.secret, META_TOKEN: SANDBOX.token });

  const { store, dispose } = await kind.open();
  await seedDirectory(store);
  await store.transact((tx) => {
    // Hub B knows Ada too, as staff: a seat there lets her manage nothing.
    for (const u of [user(HUB_B, 'b-grace', 'Grace.Hopper@Sandbox.example'), user(HUB_B, 'b-ada', PEOPLE.owner.email)]) tx.put('directoryUsers', HUB_B, u.id, u);
    tx.put('directoryGroups', HUB_B, 'b-owners', group(HUB_B, 'b-owners', 'Beta Owners', ['b-grace']));
    tx.put('directoryGroups', HUB_B, 'b-staff', group(HUB_B, 'b-staff', 'Beta Staff', ['b-ada']));
  });
  // The dashboard seals pending OIDC sign-ins with a key derived from it (main.ts passes the key file's).
  const keyring = Keyring.fromKey(randomBytes(32));
  const hubwarden = composeHubwarden({
    config, store, keyring, sandboxUrls: () => ({ 'meta-business': graphA.url }), auditFile: false,
    runner: { backoffBaseMs: 50, backoffMaxMs: 500, leaseMs: 5_000 },
  });
  await hubwarden.start();
  const agent = hubwarden.agent;
  // The production routers, the dashboard at /ui among them.
  const app = createApp({ store, log: { debug() {}, info() {}, warn() {}, error() {} } as never, routers: hubwarden.routers });
  http.on('request', app);

  // Both hubs imported (what a check for updates reads), then the newcomers pushed over SCIM:
  // the agent plans each of them at once (offers for the brand team, nothing for the seat-less owner).
  for (const hubId of [HUB_A, HUB_B]) {
    const check = await agent.api.checkForUpdates(hubId, { type: 'schedule', detail: 'browser test' });
    await until(`the first check for updates of ${hubId}`, async () => ['completed', 'failed'].includes((await agent.api.task(check.id))?.status ?? ''), 30_000);
  }
  await store.transact((tx) => push(tx, HUB_A,
    [user(HUB_A, 'dir-ivan', PEOPLE.itAdmin.email), user(HUB_A, 'dir-cleo', PEOPLE.claimer.email), user(HUB_A, 'dir-walt', PEOPLE.leaver.email)],
    [group(HUB_A, 'grp-it', 'IT Admins', ['dir-ivan']), group(HUB_A, 'grp-brand', 'Brand Studio', ['dir-cleo', 'dir-walt'])]));
  await agent.idle();

  return {
    url, idp, emulatorA, emulatorB, store, agent,
    async removeFromGroup(hubId, groupId, userId) {
      await store.transact(async (tx) => {
        const g = (await tx.get('directoryGroups', hubId, groupId))!;
        tx.put('directoryGroups', hubId, groupId, { ...g, members: g.members.filter((m) => m.value !== userId), version: g.version + 1, lastModified: new Date().toISOString() });
        recordDesiredChange(tx, { hubId, trigger: TRIGGER, changes: [{ kind: 'group-members', groupId, displayName: g.displayName, added: [], removed: [userId] }] });
      });
    },
    async close() {
      await hubwarden.stop(500);
      await new Promise<void>((resolve) => { http.closeAllConnections(); http.close(() => resolve()); });
      await graphA.close();
      await graphB.close();
      await idp.close();
      await dispose();
    },
  };
}

/** Every Graph call an emulator received that names `email` (path, query or body; any case). */
export function callsNaming(emulator: MetaEmulator, email: string) {
  const needle = email.toLowerCase();
  return emulator.calls.filter((c) => JSON.stringify([c.path, c.query, c.body]).toLowerCase().includes(needle));
}

/**
 * A page of a new browser context signed in as `who` through the world's IdP, having asked for
 * `next` (default `/ui/`); waits until the browser is back on hubwarden (or on `landing`). The
 * context goes into `contexts` (the caller closes them) and page errors into `pageErrors`.
 */
export async function signInPage(world: HubRolesWorld, browser: Browser, who: { login: string }, o: { contexts: BrowserContext[]; pageErrors: string[]; next?: string; landing?: string }): Promise<{ page: Page; context: BrowserContext }> {
  const context = await newContext(browser);
  o.contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => o.pageErrors.push(`${page.url()}: ${e.message}`));
  await page.goto(`${world.url}${o.next ?? '/ui/'}`);
  await signInWithIdp(page, world.idp.issuer, who.login);
  if (o.landing) await page.waitForURL(`${world.url}${o.landing}`);
  else await page.waitForURL((u) => u.href.startsWith(world.url));
  return { page, context };
}
