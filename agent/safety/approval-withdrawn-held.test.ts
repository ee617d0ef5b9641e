import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import { parseConfig } from '../../config/load.ts';
import { createAgent } from '../agent.ts';
import { queryAudit } from '../audit/audit-query.ts';
import { requestReconcile } from '../check-for-updates/request.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';

const ENV = { SCIM_TOKEN: 'scim-token-withdrawn-held-0123456789', APP_TOKEN: 'app-token-withdrawn-held-0123456789' };
const at = '2026-12-04T01:00:00.000Z';
const ADVERTISERS = 8;

const configOf = (group: string) => parseConfig(`hubs:
  - id: main
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:APP_TOKEN }
    scim: { tokens: [env:SCIM_TOKEN] }
    checkForUpdates: { onConnect: false }
    safety: { settleSeconds: 0, removalThresholdPercent: 20, confirmDeprovisioning: false }
    teams:
      - { group: Meta Admins, hubRole: owner, appRole: ADMIN }
      - { group: ${group}, appRole: EMPLOYEE }
`, '/etc/hubwarden/hubwarden.yaml', ENV);

/**
 * A mistyped group halts the advertisers' seat removals for an owner. Before anyone decides, a
 * check for updates reads the app through a credential that no longer sees every member: the plan
 * holds every removal (no removal on an incomplete listing), and so plans none. That is no
 * evidence the cause went away: the approval stays pending, and no held person's trail is closed
 * as "no longer planned" (withdraw-approval.ts).
 */
test('a pass on an incomplete listing, which holds the approval\'s removals, does not withdraw it', async () => {
  const store = new MemoryStore();
  const called: string[] = [];
  const connector = {
    id: 'fake',
    removeMember: async (id: string) => { called.push(`remove ${id}`); return 'done' as const; },
  } as unknown as HubConnector;
  const run = async (config: ReturnType<typeof configOf>, work?: () => Promise<void>) => {
    const agent = createAgent({ config, store, connectorFor: () => connector, log: { debug() {}, info() {}, warn() {}, error() {} }, auditFile: false, auditConfig: true });
    await agent.start();
    await work?.();
    await agent.idle();
    await agent.stop(0);
  };
  const check = () => store.transact(async (tx) => { await requestReconcile(tx, 'main', { type: 'schedule' }, 'check for updates'); });
  await run(configOf('Meta Advertisers'));
  await store.transact(async (tx) => {
    const user = (id: string, email: string) => ({ hubId: 'main', id, userName: email, active: true, email, emails: [email], scim: {}, created: at, lastModified: at, version: 1 });
    const ids: string[] = [];
    for (let i = 0; i < ADVERTISERS; i++) {
      tx.put('directoryUsers', 'main', `u-${i}`, user(`u-${i}`, `p${i}@example.com`));
      tx.put('appMembers', 'main', `m-${i}`, { hubId: 'main', id: `m-${i}`, email: `p${i}@example.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
      ids.push(`u-${i}`);
    }
    tx.put('directoryUsers', 'main', 'u-admin', user('u-admin', 'owner@example.com'));
    tx.put('appMembers', 'main', 'm-admin', { hubId: 'main', id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('directoryGroups', 'main', 'g-adv', { hubId: 'main', id: 'g-adv', displayName: 'Meta Advertisers', members: ids.map((value) => ({ value })), scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('directoryGroups', 'main', 'g-admins', { hubId: 'main', id: 'g-admins', displayName: 'Meta Admins', members: [{ value: 'u-admin' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appImports', 'main', 'main', { hubId: 'main', id: 'main', complete: true, completedAt: at });
  });
  const mistyped = configOf('Meta Advertiser');
  await run(mistyped, check);
  const [held] = await collect(store.list('approvals', 'main'));
  assert.equal(held?.status, 'pending', 'the mistyped group halts the removals for an owner');

  // The next check could not list every member (a narrower credential): incomplete.
  await store.transact((tx) => tx.put('appImports', 'main', 'main', { hubId: 'main', id: 'main', complete: false, completedAt: at, unavailable: [{ section: 'members', message: 'the credential does not see every member' }] }));
  await run(mistyped, check);

  assert.deepEqual(called, [], 'nobody was removed');
  const approvals = await collect(store.list('approvals', 'main'));
  assert.deepEqual(approvals.map((a) => [a.id, a.status]), [[held!.id, 'pending']], 'still pending: the plan holds its removals, it did not drop them');
  assert.deepEqual((await queryAudit(store, { hubId: 'main', action: 'approval-withdrawn' })).items, []);
  // Their entries say they are held, as for any removal an incomplete listing holds; none says "no longer planned".
  const trail = (await queryAudit(store, { hubId: 'main', action: 'remove-member' })).items;
  assert.deepEqual(trail.filter((e) => /no longer planned|withdrawn/.test(e.why)).map((e) => e.why), []);
  assert.ok(trail.some((e) => e.outcome === 'skipped' && /held, the app credential does not see every member/.test(e.why)), 'the holds are audited');
});
