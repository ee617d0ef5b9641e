import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppAssignmentRecord, AppMemberRecord } from '../app-state/records.ts';
import { computeGrant } from '../grants/effective-grant.ts';
import { TEST_RULES, testHub, testSeat, testUser } from '../grants/grant-fixtures.ts';
import type { Operation } from '../plan/operation.ts';
import { plan, type PlanActual } from '../plan/plan.ts';
import { removeMemberOperation } from '../plan/removal.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { classify } from './classify.ts';
import { defineHeldIndexes } from './held-indexes.ts';
import { addToReport, openReportOf } from './reports.ts';

/**
 * What a deprovisioning report is given (confirmDeprovisioning): seat removals, each once, and
 * nothing written when nothing is added.
 */
const NOW = '2026-12-08T09:00:00.000Z';
const hub = testHub({ safety: { confirmDeprovisioning: true } });

function store(): MemoryStore {
  const s = new MemoryStore();
  defineHeldIndexes(s);
  return s;
}

const nina = removeMemberOperation({ id: 'm-nina', role: 'EMPLOYEE', email: 'nina@example.com' }, { reason: 'deactivated', because: 'deactivated in the directory', directoryUserId: 'u-nina' });
const grantOp: Operation = { kind: 'unassign-asset', key: 'unassign:ad_account:act_1:m-nina', memberId: 'm-nina', asset: { type: 'ad_account', id: 'act_1' }, from: ['ADVERTISE'],
  effect: 'downgrade', reason: 'group-change', email: 'nina@example.com', summary: 'unassign ad_account act_1 from nina@example.com (had [ADVERTISE])' };

describe('addToReport: no empty report', () => {
  // Before, `if (added.length > 0 || !open)` wrote a new open report whenever the hub had none,
  // item or not: the dashboard and the admin API listed an open report with nothing to apply.
  for (const [name, ops] of [['no operation', []], ['no seat removal among them', [grantOp]]] as const) {
    test(`${name}, no open report: none is written`, async () => {
      const s = store();
      const { report, added } = await s.transact((tx) => addToReport(tx, hub.id, ops, new Date(NOW)));
      assert.deepEqual(added, []);
      assert.equal(report, undefined, 'no report to name');
      assert.deepEqual(await collect(s.list('reports', hub.id)), [], 'no report stored');
      assert.equal(await openReportOf(s, hub.id), undefined, 'no open report on the hub');
    });
  }

  test('an item already on the open report: that report is returned, unchanged', async () => {
    const s = store();
    // Her seat is in the snapshot (a removal of a seat no longer there is not reported: report-reapplied.test.ts).
    await s.transact(async (tx) => tx.put('appMembers', hub.id, 'm-nina', testSeat('m-nina', 'nina@example.com', 'EMPLOYEE', NOW)));
    const first = await s.transact((tx) => addToReport(tx, hub.id, [nina], new Date(NOW)));
    assert.deepEqual(first.added, ['m-nina']);
    const again = await s.transact((tx) => addToReport(tx, hub.id, [nina], new Date(NOW)));
    assert.deepEqual(again.added, []);
    assert.equal(again.report?.id, first.report?.id);
    const stored = await collect(s.list('reports', hub.id));
    assert.equal(stored.length, 1);
    assert.deepEqual(stored[0]!.items.map((i) => i.memberId), ['m-nina'], 'one item, not two');
  });
});

describe('a deprovisioning batch holds seat removals only', () => {
  // addToReport takes seat removals only: every operation the pass (apply-removals.ts) hands it is
  // one (added, an item already, or left off with why), because no other operation is of the `deprovision` class. A deactivated person's grant holds
  // nothing (effective-grant.ts), so the plan removes the seat and plans nothing else for it: their
  // asset grants and role go with the seat, and stay with it when the seat is held.
  const member = (id: string, email: string, role: string): AppMemberRecord => ({ hubId: hub.id, id, email, role, firstSeenAt: NOW, lastSeenAt: NOW });
  const assigned = (memberId: string): AppAssignmentRecord => ({ hubId: hub.id, key: `ad_account:act_1:${memberId}`, asset: { type: 'ad_account', id: 'act_1' }, userId: memberId, userType: 'member', tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] });
  const actual = (members: AppMemberRecord[]): PlanActual => ({ complete: true, members, invites: [], systemUsers: [], assignments: members.map((m) => assigned(m.id)), matches: [], exemptions: [] });
  const policy = { now: NOW, rules: TEST_RULES, drift: 'report' as const };
  const desired = (...users: Array<[string, string, boolean, string[]]>) => ({
    hubId: hub.id, departed: [], managedAssets: [{ type: 'ad_account' as const, id: 'act_1' }],
    grants: users.map(([id, email, active, groups]) => computeGrant(hub, testUser(id, email, active), groups, TEST_RULES)),
  });

  test('a deactivated employee with an asset grant: one seat removal, nothing else for them', () => {
    const r = plan(desired(['u-owner', 'owner@example.com', true, ['Meta Admins']], ['u-nina', 'nina@example.com', false, ['Meta Advertisers']]),
      actual([member('m-owner', 'owner@example.com', 'ADMIN'), member('m-nina', 'nina@example.com', 'EMPLOYEE')]), policy);
    const deprovision = r.operations.filter((o) => classify(o) === 'deprovision');
    assert.deepEqual(deprovision.map((o) => `${o.kind} ${o.key}`), ['remove-member remove:m-nina'], JSON.stringify(r.operations));
    assert.deepEqual(r.operations.filter((o) => o.directoryUserId === 'u-nina' && classify(o) !== 'deprovision'), [], 'no grant or role change of hers in another lane');
  });

  test('a deactivated last admin: the seat removal is held, and no grant or role change of theirs is planned in any lane', () => {
    const r = plan(desired(['u-owner', 'owner@example.com', false, ['Meta Admins']]), actual([member('m-owner', 'owner@example.com', 'ADMIN')]), policy);
    assert.deepEqual(r.operations.filter((o) => o.directoryUserId === 'u-owner'), [], JSON.stringify(r.operations));
    assert.deepEqual(r.held.map((h) => h.operation.kind), ['remove-member']);
  });
});
