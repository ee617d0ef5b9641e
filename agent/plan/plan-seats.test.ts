import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppInviteRecord, AppMemberRecord } from '../app-state/records.ts';
import { computeGrant } from '../grants/effective-grant.ts';
import { TEST_RULES, testHub, testUser } from '../grants/grant-fixtures.ts';
import { plan, type PlanActual } from './plan.ts';

/** Seat-less teams and claim teams in the plan: what reaches the app, and what is left alone. */
const NOW = '2026-11-23T12:00:00.000Z';
const hub = testHub({
  teams: [
    { group: 'Meta Admins', hubRole: 'owner', appRole: 'ADMIN', assets: [] },
    { group: 'Meta Advertisers', appRole: 'EMPLOYEE', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }] },
    { group: 'IT', hubRole: 'owner', seat: false },
    { group: 'Brand', appRole: 'EMPLOYEE', claim: true, assets: [{ type: 'page', id: '222', tasks: ['ANALYZE', 'DRAFT'] }] },
  ],
});
const member = (id: string, email: string, role: string): AppMemberRecord => ({ hubId: hub.id, id, email, role, firstSeenAt: NOW, lastSeenAt: NOW });
const invite = (id: string, email: string, role: string): AppInviteRecord => ({ hubId: hub.id, id, email, role, status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: NOW });
const admin = member('m-admin', 'admin@example.com', 'ADMIN');
const adminGrant = computeGrant(hub, testUser('u-admin', 'admin@example.com'), ['Meta Admins'], TEST_RULES);

const cases: Array<{ name: string; groups: string[]; claimed?: string[]; actual?: Partial<PlanActual>; expect: string[]; hubRole?: string }> = [
  { name: 'seat-less owner is never invited', groups: ['IT'], hubRole: 'owner', expect: [] },
  { name: 'seat-less owner keeps a seat held for another reason (no removal)', groups: ['IT'], actual: { members: [admin, member('m-j', 'jane@example.com', 'EMPLOYEE')] }, expect: [] },
  { name: 'seat-less owner keeps a pending invite sent for another reason', groups: ['IT'], actual: { invites: [invite('i-j', 'jane@example.com', 'EMPLOYEE')] }, expect: [] },
  { name: 'seat-less owner who is also an advertiser is invited by the seat team', groups: ['IT', 'Meta Advertisers'], hubRole: 'owner', expect: ['invite jane@example.com EMPLOYEE'] },
  { name: 'unclaimed offer: nothing reaches the app', groups: ['Brand'], expect: [] },
  { name: 'unclaimed offer: an existing seat is left alone', groups: ['Brand'], actual: { members: [admin, member('m-j', 'jane@example.com', 'EMPLOYEE')] }, expect: [] },
  { name: 'claimed offer: invited as for any grant', groups: ['Brand'], claimed: ['brand'], expect: ['invite jane@example.com EMPLOYEE'] },
  { name: 'claimed offer, seat taken: its asset is assigned', groups: ['Brand'], claimed: ['brand'], actual: { members: [admin, member('m-j', 'jane@example.com', 'EMPLOYEE')] }, expect: ['assign-asset m-j 222 ANALYZE+DRAFT'] },
  { name: 'claimed, then left the group: an ordinary removal (settle lane decides when)', groups: [], claimed: ['brand'], actual: { members: [admin, member('m-j', 'jane@example.com', 'EMPLOYEE')] }, expect: ['remove-member m-j'] },
  { name: 'in no team at all: a seat is removed as before', groups: [], actual: { members: [admin, member('m-j', 'jane@example.com', 'EMPLOYEE')] }, expect: ['remove-member m-j'] },
];

describe('plan: seat-less teams and offers', () => {
  for (const c of cases) {
    test(c.name, () => {
      const jane = computeGrant(hub, testUser('u-jane', 'jane@example.com'), c.groups, TEST_RULES, new Set(c.claimed ?? []));
      if (c.hubRole) assert.equal(jane.hubRole, c.hubRole);
      const actual: PlanActual = { complete: true, members: [admin], invites: [], systemUsers: [], assignments: [], matches: [], exemptions: [], ...c.actual };
      const r = plan({ hubId: hub.id, grants: [adminGrant, jane], departed: [], managedAssets: [{ type: 'ad_account', id: 'act_111' }, { type: 'page', id: '222' }] }, actual, { now: NOW, rules: TEST_RULES, drift: 'report' });
      assert.deepEqual(r.operations.map((op) => [op.kind, 'email' in op && op.kind === 'invite' ? op.email : 'memberId' in op ? op.memberId : '', 'asset' in op ? op.asset.id : '', 'tasks' in op ? op.tasks.join('+') : 'role' in op && op.kind === 'invite' ? op.role : ''].filter(Boolean).join(' ')), c.expect);
    });
  }

  test('the grant lists what each claim team offers, claimed or not', () => {
    const g = computeGrant(hub, testUser('u-jane', 'jane@example.com'), ['Brand', 'IT'], TEST_RULES);
    assert.equal(g.appRole, undefined);
    assert.equal(g.seatNotGoverned, true);
    assert.equal(g.hubRole, 'owner');
    assert.deepEqual(g.offerable, [{ group: 'Brand', appRole: 'EMPLOYEE', assets: [{ type: 'page', id: '222', tasks: ['ANALYZE', 'DRAFT'] }], offerDays: 30 }]);
    assert.deepEqual(g.mappedGroups, ['brand', 'it']);
  });
});
