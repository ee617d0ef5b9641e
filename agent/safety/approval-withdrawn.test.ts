import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import { parseConfig } from '../../config/load.ts';
import { createAgent } from '../agent.ts';
import { queryAudit } from '../audit/audit-query.ts';
import { requestReconcile } from '../check-for-updates/request.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';

const ENV = { SCIM_TOKEN: 'scim-token-withdrawn-0123456789', APP_TOKEN: 'app-token-withdrawn-0123456789' };
const at = '2026-12-04T01:00:00.000Z';
const ADVERTISERS = 8;

/** The hub's config: its advertisers' team mapped from `group` (the IdP's group is "Meta Advertisers"). */
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
 * An admin maps a mistyped group ("Meta Advertiser") and restarts: the removal brake holds the
 * advertisers' seat removals for an owner. Before anyone decides, the admin fixes the group and
 * restarts again. The approval stayed `pending` for good (the owner was asked to remove 8 people
 * no plan removed any more) and each advertiser's trail ended at "held for approval … pending".
 * Now the next check's pass withdraws it, audited once by the system, and closes each held entry.
 */
test('an approval whose removals a fixed config no longer plans is withdrawn: nothing removed, every held entry closed', async () => {
  const store = new MemoryStore();
  const called: string[] = [];
  const connector = {
    id: 'fake',
    removeMember: async (id: string) => { called.push(`remove ${id}`); return 'done' as const; },
    changeMemberRole: async (id: string) => { called.push(`role ${id}`); return 'done' as const; },
  } as unknown as HubConnector;
  const run = async (config: ReturnType<typeof configOf>, work?: () => Promise<void>) => {
    const agent = createAgent({ config, store, connectorFor: () => connector, log: { debug() {}, info() {}, warn() {}, error() {} }, auditFile: false, auditConfig: true });
    await agent.start();
    await work?.();
    await agent.idle();
    await agent.stop(0);
    return agent;
  };
  const check = () => store.transact(async (tx) => { await requestReconcile(tx, 'main', { type: 'schedule' }, 'check for updates'); });
  const right = configOf('Meta Advertisers');
  await run(right);
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

  await run(configOf('Meta Advertiser'), check);
  const [held, ...others] = await collect(store.list('approvals', 'main'));
  assert.equal(others.length, 0);
  assert.equal(held!.status, 'pending', 'the mistyped group halts the removals for an owner');
  const task = held!.taskId;

  const agent = await run(right, check);

  assert.deepEqual(called, [], 'nobody was removed');
  const [approval, ...more] = await collect(store.list('approvals', 'main'));
  assert.equal(more.length, 0, 'no other approval');
  assert.equal(approval!.id, held!.id);
  assert.equal(approval!.status, 'withdrawn');
  assert.match(approval!.withdrawnBecause ?? '', /no longer planned: the directory or config changed/);
  assert.equal((await store.get('tasks', 'main', task))?.status, 'cancelled', 'the halted pass no longer waits for an owner');
  const listed = (await agent.api.approvals('main')).find((a) => a.id === held!.id)!;
  assert.equal(listed.status, 'withdrawn', 'the admin API lists it withdrawn');
  assert.equal(listed.withdrawnBecause, approval!.withdrawnBecause);
  assert.equal('plannedAt' in listed, false, 'bookkeeping stays out of the API');
  await assert.rejects(agent.api.decideApproval(held!.id, 'approve', { type: 'admin', actor: 'owner' }), /withdrawn before anyone decided it/);

  const closing = (await queryAudit(store, { hubId: 'main', action: 'approval-withdrawn' })).items;
  assert.equal(closing.length, 1, 'audited once');
  assert.equal(closing[0]!.outcome, 'ok');
  assert.equal(closing[0]!.trigger.actor, 'system');
  assert.equal(closing[0]!.subject?.label, `approval ${held!.id}`);
  assert.match(closing[0]!.why, /no longer planned/);
  assert.deepEqual(closing[0]!.detail, { approvalId: held!.id, phase: 'settle', operations: ADVERTISERS, noLongerPlanned: ADVERTISERS, handledByPass: 0 });
  const audit = (await queryAudit(store, { hubId: 'main', action: 'remove-member' })).items;
  for (let i = 0; i < ADVERTISERS; i++) {
    const trail = audit.filter((e) => e.subject?.email === `p${i}@example.com`).sort((a, b) => a.seq - b.seq);
    assert.deepEqual(trail.map((e) => e.outcome), ['pending', 'skipped'], `p${i}: ${trail.map((e) => e.why).join(' | ')}`);
    assert.match(trail[1]!.why, new RegExp(`not done, no longer planned: p${i}@example.com is again in Meta Advertisers \\(approval ${held!.id} withdrawn\\)`));
    assert.equal(trail[1]!.trigger.actor, 'system');
  }
});
