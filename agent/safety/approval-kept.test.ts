import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import { parseConfig } from '../../config/load.ts';
import { createAgent } from '../agent.ts';
import { createMemberService } from '../members/member-service.ts';
import { recordDesiredChange } from '../outbox.ts';
import { queryAudit } from '../audit/audit-query.ts';
import { requestReconcile } from '../check-for-updates/request.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';

const ENV = { SCIM_TOKEN: 'scim-token-kept-0123456789abcd', APP_TOKEN: 'app-token-kept-0123456789abcde' };
const at = '2026-12-04T01:00:00.000Z';
const config = parseConfig(`hubs:
  - id: main
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:APP_TOKEN }
    scim: { tokens: [env:SCIM_TOKEN] }
    checkForUpdates: { onConnect: false }
    safety: { settleSeconds: 0, removalThresholdPercent: 20, confirmDeprovisioning: false }
    teams:
      - { group: Meta Admins, hubRole: owner, appRole: ADMIN }
      - { group: Meta Advertisers, appRole: EMPLOYEE }
`, '/etc/hubwarden/hubwarden.yaml', ENV);
const owner = { type: 'admin' as const, actor: 'owner@example.com' };
const user = (id: string, email: string) => ({ hubId: 'main', id, userName: email, active: true, email, emails: [email], scim: {}, created: at, lastModified: at, version: 1 });
const group = (members: string[]) => ({ hubId: 'main', id: 'g-adv', displayName: 'Meta Advertisers', members: members.map((value) => ({ value })), scim: {}, created: at, lastModified: at, version: 2 });

/**
 * Three of eight advertisers leave the group: the removal brake holds their removals for an
 * owner. Before anyone decides, one is put back in the group (re-evaluated, as a SCIM push or
 * `reevaluate` does) and another's seat is exempted. The approval still asked an owner to remove
 * all three until the next whole-hub check, and approving it approved removals of people the
 * desired state keeps. Now each leaves the approval at once (audited `skipped` in their trail),
 * approving removes the one still planned, and an approval left with none is withdrawn.
 */
test('a pending approval lets go of a person as soon as they keep access: re-assigned or exempted; approving removes only the rest', async () => {
  const store = new MemoryStore();
  const called: string[] = [];
  const connector = {
    id: 'fake',
    removeMember: async (id: string) => { called.push(`remove ${id}`); return 'done' as const; },
    changeMemberRole: async (id: string) => { called.push(`role ${id}`); return 'done' as const; },
  } as unknown as HubConnector;
  const agent = createAgent({ config, store, connectorFor: () => connector, log: { debug() {}, info() {}, warn() {}, error() {} }, auditFile: false, auditConfig: true });
  await agent.start();
  const ids = Array.from({ length: 8 }, (_, i) => `u-${i}`);
  await store.transact((tx) => {
    for (let i = 0; i < 8; i++) {
      tx.put('directoryUsers', 'main', `u-${i}`, user(`u-${i}`, `p${i}@example.com`));
      tx.put('appMembers', 'main', `m-${i}`, { hubId: 'main', id: `m-${i}`, email: `p${i}@example.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    }
    tx.put('directoryUsers', 'main', 'u-admin', user('u-admin', 'owner@example.com'));
    tx.put('appMembers', 'main', 'm-admin', { hubId: 'main', id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('directoryGroups', 'main', 'g-adv', group(ids.slice(3)));
    tx.put('directoryGroups', 'main', 'g-admins', { hubId: 'main', id: 'g-admins', displayName: 'Meta Admins', members: [{ value: 'u-admin' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appImports', 'main', 'main', { hubId: 'main', id: 'main', complete: true, completedAt: at });
  });
  await store.transact(async (tx) => { await requestReconcile(tx, 'main', { type: 'schedule' }, 'check for updates'); });
  await agent.idle();
  const [held, ...others] = await collect(store.list('approvals', 'main'));
  assert.equal(others.length, 0);
  assert.equal(held!.status, 'pending', '3 of 9 removals halt for an owner');
  assert.deepEqual(held!.planned.map((o) => o.key).sort(), ['remove:m-0', 'remove:m-1', 'remove:m-2']);

  // p0 is put back in the group and re-evaluated (no whole-hub check runs).
  await store.transact((tx) => { tx.put('directoryGroups', 'main', 'g-adv', { ...group(['u-0', ...ids.slice(3)]), version: 3 }); });
  await agent.api.reevaluatePerson({ email: 'p0@example.com' }, { type: 'scim', actor: 'okta' });
  await agent.idle();
  let approval = (await store.get('approvals', 'main', held!.id))!;
  assert.equal(approval.status, 'pending');
  assert.deepEqual(approval.planned.map((o) => o.key).sort(), ['remove:m-1', 'remove:m-2'], 'p0 left the approval at once');
  assert.deepEqual(approval.operations.map((o) => o.summary).filter((s) => s.includes('p0@')), [], 'an owner is no longer shown p0');

  // An owner exempts p1's seat.
  const members = createMemberService({ config, store, log: { info() {}, warn() {}, error() {} } });
  await members.exemptMember('main', 'm-1', { reason: 'contractor until March' }, owner);
  approval = (await store.get('approvals', 'main', held!.id))!;
  assert.deepEqual(approval.planned.map((o) => o.key), ['remove:m-2'], 'p1 left the approval at once');

  await agent.api.decideApproval(held!.id, 'approve', owner);
  await agent.idle();
  assert.deepEqual(called, ['remove m-2'], 'approving removed only the person still planned');
  for (const [email, why] of [['p0@example.com', /not done, directory user u-0 keeps this access now/], ['p1@example.com', /not done, exempted by owner@example\.com/]] as const) {
    const trail = (await queryAudit(store, { hubId: 'main', action: 'remove-member' })).items.filter((e) => e.subject?.email === email).sort((a, b) => a.seq - b.seq);
    assert.deepEqual(trail.map((e) => e.outcome), ['pending', 'skipped'], `${email}: ${trail.map((e) => e.why).join(' | ')}`);
    assert.match(trail[1]!.why, why);
    assert.match(trail[1]!.why, new RegExp(`approval ${held!.id} no longer holds it`));
  }
  await agent.stop(0);
});

test('an approval all of whose people come back is withdrawn at once, its halted pass cancelled; approving it is refused', async () => {
  const store = new MemoryStore();
  const called: string[] = [];
  const connector = { id: 'fake', removeMember: async (id: string) => { called.push(`remove ${id}`); return 'done' as const; } } as unknown as HubConnector;
  const agent = createAgent({ config, store, connectorFor: () => connector, log: { debug() {}, info() {}, warn() {}, error() {} }, auditFile: false, auditConfig: true });
  await agent.start();
  const ids = Array.from({ length: 8 }, (_, i) => `u-${i}`);
  await store.transact((tx) => {
    for (let i = 0; i < 8; i++) {
      tx.put('directoryUsers', 'main', `u-${i}`, user(`u-${i}`, `p${i}@example.com`));
      tx.put('appMembers', 'main', `m-${i}`, { hubId: 'main', id: `m-${i}`, email: `p${i}@example.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    }
    tx.put('directoryUsers', 'main', 'u-admin', user('u-admin', 'owner@example.com'));
    tx.put('appMembers', 'main', 'm-admin', { hubId: 'main', id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('directoryGroups', 'main', 'g-adv', group(ids.slice(2)));
    tx.put('directoryGroups', 'main', 'g-admins', { hubId: 'main', id: 'g-admins', displayName: 'Meta Admins', members: [{ value: 'u-admin' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appImports', 'main', 'main', { hubId: 'main', id: 'main', complete: true, completedAt: at });
  });
  await store.transact(async (tx) => { await requestReconcile(tx, 'main', { type: 'schedule' }, 'check for updates'); });
  await agent.idle();
  const [held] = await collect(store.list('approvals', 'main'));
  assert.equal(held!.status, 'pending');
  // p0 re-evaluated (a reconcile-person task); p1 pushed back into the group over SCIM (the
  // outbox entry the SCIM server records, planned by the dispatcher).
  await store.transact((tx) => { tx.put('directoryGroups', 'main', 'g-adv', { ...group(['u-0', ...ids.slice(2)]), version: 3 }); });
  await agent.api.reevaluatePerson({ email: 'p0@example.com' }, { type: 'scim', actor: 'okta' });
  await agent.idle();
  assert.deepEqual((await store.get('approvals', 'main', held!.id))!.planned.map((o) => o.key), ['remove:m-1']);
  await store.transact((tx) => {
    tx.put('directoryGroups', 'main', 'g-adv', { ...group(ids), version: 4 });
    recordDesiredChange(tx, { hubId: 'main', trigger: { type: 'scim', actor: 'okta' }, changes: [{ kind: 'group-members', groupId: 'g-adv', displayName: 'Meta Advertisers', added: ['u-1'], removed: [] }] });
  });
  await agent.idle();
  const approval = (await store.get('approvals', 'main', held!.id))!;
  assert.equal(approval.status, 'withdrawn');
  assert.match(approval.withdrawnBecause ?? '', /no longer planned: directory user u-\d keeps this access now/);
  assert.equal((await store.get('tasks', 'main', held!.taskId))?.status, 'cancelled');
  await assert.rejects(agent.api.decideApproval(held!.id, 'approve', owner), /withdrawn before anyone decided it/);
  assert.deepEqual(called, []);
  await agent.stop(0);
});

/**
 * Already so before: an approval decided before the person's re-plan ran (the group changed, no
 * push dispatched yet) does not remove them either: each approved removal re-plans its person
 * just before the call (operation-handler.ts) and is skipped when the desired state keeps them.
 */
test('approving before the re-plan of a person who came back: their removal is skipped at its call', async () => {
  const store = new MemoryStore();
  const called: string[] = [];
  const connector = { id: 'fake', removeMember: async (id: string) => { called.push(`remove ${id}`); return 'done' as const; } } as unknown as HubConnector;
  const agent = createAgent({ config, store, connectorFor: () => connector, log: { debug() {}, info() {}, warn() {}, error() {} }, auditFile: false, auditConfig: true });
  await agent.start();
  const ids = Array.from({ length: 8 }, (_, i) => `u-${i}`);
  await store.transact((tx) => {
    for (let i = 0; i < 8; i++) {
      tx.put('directoryUsers', 'main', `u-${i}`, user(`u-${i}`, `p${i}@example.com`));
      tx.put('appMembers', 'main', `m-${i}`, { hubId: 'main', id: `m-${i}`, email: `p${i}@example.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    }
    tx.put('directoryUsers', 'main', 'u-admin', user('u-admin', 'owner@example.com'));
    tx.put('appMembers', 'main', 'm-admin', { hubId: 'main', id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('directoryGroups', 'main', 'g-adv', group(ids.slice(3)));
    tx.put('directoryGroups', 'main', 'g-admins', { hubId: 'main', id: 'g-admins', displayName: 'Meta Admins', members: [{ value: 'u-admin' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appImports', 'main', 'main', { hubId: 'main', id: 'main', complete: true, completedAt: at });
  });
  await store.transact(async (tx) => { await requestReconcile(tx, 'main', { type: 'schedule' }, 'check for updates'); });
  await agent.idle();
  const [held] = await collect(store.list('approvals', 'main'));
  assert.equal(held!.planned.length, 3);
  await store.transact((tx) => { tx.put('directoryGroups', 'main', 'g-adv', { ...group(['u-0', ...ids.slice(3)]), version: 3 }); });
  await agent.api.decideApproval(held!.id, 'approve', owner);
  await agent.idle();
  assert.deepEqual(called.sort(), ['remove m-1', 'remove m-2'], 'p0, kept by the desired state, was not removed');
  const trail = (await queryAudit(store, { hubId: 'main', action: 'remove-member' })).items.filter((e) => e.subject?.email === 'p0@example.com').sort((a, b) => a.seq - b.seq);
  assert.equal(trail.at(-1)!.outcome, 'skipped', trail.map((e) => e.why).join(' | '));
  await agent.stop(0);
});
