/**
 * The composed server (scim-server/compose.ts, memory store) with two hubs, each on a Meta
 * emulator of its own (the sandbox business), and two admin tokens: one of every hub and one
 * scoped to hub B (`{ token, hubs: [B] }`). Both hubs are imported, so each has member rows and
 * a task; each has a deprovisioning report, an approval and an offer for Ada (a claim team).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { DirectoryGroupRecord, DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { Keyring } from '../../agent/secrets/keyring.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { offerIdOf } from '../../agent/offers/offer-record.ts';
import { parseConfig } from '../../config/load.ts';
import { createMetaEmulator, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { createApp } from '../../scim-server/app.ts';
import { composeHubwarden, type Hubwarden } from '../../scim-server/compose.ts';
import { HUB, seedDirectory } from '../check-for-updates-e2e/business.ts';
import { until } from '../agent-e2e/harness.ts';

export const A = HUB;
export const B = 'beta-meta';
export const EVERY = 'scoped-test-every-hub-token-0123456789';
export const ONLY_B = 'scoped-test-hub-b-token-0123456789ab';
export const ADA = 'ada.lovelace@sandbox.example';
export const PERKS = 'Perks';

const at = '2026-11-01T00:00:00.000Z';
const user = (hubId: string, id: string, email: string): DirectoryUserRecord =>
  ({ hubId, id, userName: email, active: true, displayName: id, email, emails: [email], scim: { userName: email }, created: at, lastModified: at, version: 1 });
const group = (hubId: string, id: string, displayName: string, members: string[]): DirectoryGroupRecord =>
  ({ hubId, id, displayName, members: members.map((value) => ({ value })), scim: {}, created: at, lastModified: at, version: 1 });

export interface ScopedServer {
  url: string;
  hubwarden: Hubwarden;
  store: MemoryStore;
  tasks: Record<string, string>;
  reports: Record<string, string>;
  approvals: Record<string, string>;
  offers: Record<string, string>;
  close(): Promise<void>;
}

export async function scopedServer(): Promise<ScopedServer> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const graphA = await createMetaEmulator().listen(0);
  const graphB = await createMetaEmulator().listen(0);
  const hub = (id: string, graph: string, owners: string) => `  - id: ${id}
    connector: meta-business
    meta: { businessId: "${SANDBOX.businessId}", accessToken: env:META_TOKEN, graphBaseUrl: ${graph} }
    teams:
      - { group: ${owners}, hubRole: owner, appRole: ADMIN }
      - { group: Meta Advertisers, appRole: EMPLOYEE }
      - { group: ${PERKS}, appRole: EMPLOYEE, claim: true }
    partners: []
    safety: { confirmDeprovisioning: false }
    checkForUpdates: { onConnect: false }
`;
  const config = parseConfig(`
server:
  publicUrl: ${url}
  adminTokens: [env:EVERY, { token: env:ONLY_B, hubs: [${B}] }]
hubs:
${hub(A, graphA.url, 'Meta Admins')}${hub(B, graphB.url, 'Beta Owners')}`, '/tmp/hubwarden-scoped-token.yaml', { EVERY, ONLY_B, META_TOKEN: SANDBOX.token });
  const store = new MemoryStore();
  await seedDirectory(store);
  await store.transact((tx) => {
    for (const u of [user(B, 'b-ada', ADA), user(B, 'b-frank', 'frank.ledger@sandbox.example')]) tx.put('directoryUsers', B, u.id, u);
    tx.put('directoryGroups', B, 'b-perks', group(B, 'b-perks', PERKS, ['b-ada']));
    tx.put('directoryGroups', A, 'a-perks', group(A, 'a-perks', PERKS, ['dir-ada']));
  });
  const hubwarden = composeHubwarden({ config, store, keyring: Keyring.fromKey(randomBytes(32)), auditFile: false, runner: { backoffBaseMs: 50, backoffMaxMs: 500, leaseMs: 5_000 } });
  await hubwarden.start();
  http.on('request', createApp({ store, log: { debug() {}, info() {}, warn() {}, error() {} } as never, routers: hubwarden.routers }));

  const tasks: Record<string, string> = {};
  const reports: Record<string, string> = {};
  const approvals: Record<string, string> = {};
  const offers: Record<string, string> = {};
  for (const [hubId, adaId] of [[A, 'dir-ada'], [B, 'b-ada']] as const) {
    const check = await hubwarden.agent.api.checkForUpdates(hubId, { type: 'schedule', detail: 'scoped token test' });
    await until(`the first check for updates of ${hubId}`, async () => ['completed', 'failed'].includes((await hubwarden.agent.api.task(check.id))?.status ?? ''), 30_000);
    tasks[hubId] = check.id;
    reports[hubId] = `report-${hubId}`;
    approvals[hubId] = `approval-${hubId}`;
    offers[hubId] = offerIdOf(hubId, adaId, PERKS);
    await store.transact((tx) => {
      tx.put('reports', hubId, reports[hubId]!, { id: reports[hubId]!, hubId, createdAt: at, status: 'open', items: [], operations: {} });
      tx.put('approvals', hubId, approvals[hubId]!, { id: approvals[hubId]!, hubId, createdAt: at, status: 'pending', explanation: 'test', operations: [], taskId: check.id, planned: [] });
      tx.put('offers', hubId, offers[hubId]!, { id: offers[hubId]!, hubId, directoryUserId: adaId, email: ADA, group: PERKS, appRole: 'EMPLOYEE', assets: [], status: 'offered', offeredAt: new Date().toISOString(), membership: PERKS });
    });
  }
  await hubwarden.agent.idle();
  return {
    url, hubwarden, store, tasks, reports, approvals, offers,
    async close() {
      await hubwarden.stop(500);
      await new Promise<void>((resolve) => { http.closeAllConnections(); http.close(() => resolve()); });
      await graphA.close();
      await graphB.close();
    },
  };
}
