import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppMemberRecord } from '../app-state/records.ts';
import { computeGrant } from '../grants/effective-grant.ts';
import { TEST_RULES, testHub, testUser } from '../grants/grant-fixtures.ts';
import { plan, type PlanActual, type PlanDesired } from './plan.ts';

/**
 * A seat the app has marked for removal (AppMember.removalPending): on its way out. It is not
 * counted as a seat kept, not removed a second time, not changed, and its person is not invited
 * again while it is listed; each case is reported as held for an owner.
 */
const NOW = '2026-11-23T12:00:00.000Z';
const hub = testHub();
const member = (id: string, email: string, role: string, extra: Partial<AppMemberRecord> = {}): AppMemberRecord =>
  ({ hubId: hub.id, id, email, role, firstSeenAt: NOW, lastSeenAt: NOW, ...extra });
const desiredOf = (people: Array<{ id: string; email: string; groups: string[] }>): PlanDesired => ({
  hubId: hub.id, departed: [], managedAssets: [{ type: 'ad_account', id: 'act_111' }],
  grants: people.map((p) => computeGrant(hub, testUser(p.id, p.email, true), p.groups, TEST_RULES)),
});
const actualOf = (members: AppMemberRecord[]): PlanActual => ({ complete: true, members, invites: [], systemUsers: [], assignments: [], matches: [], exemptions: [] });
const owner = member('m-owner', 'owner@example.com', 'ADMIN');
const ownerPerson = { id: 'u-owner', email: 'owner@example.com', groups: ['Meta Admins'] };

describe('plan: seats the app is removing', () => {
  test('granted a seat: no role change, no assignment, no new invite; held for an owner', () => {
    const r = plan(desiredOf([ownerPerson, { id: 'u-jane', email: 'jane@example.com', groups: ['Meta Admins'] }]),
      actualOf([owner, member('m-jane', 'jane@example.com', 'EMPLOYEE', { removalPending: true })]), { now: NOW, rules: TEST_RULES, drift: 'report' });
    assert.deepEqual(r.operations.filter((o) => o.email === 'jane@example.com').map((o) => o.kind), []);
    assert.equal(r.held.length, 1);
    assert.match(r.held[0]!.why, /marked for removal in the app/);
  });

  test('granted none: not removed a second time; held for an owner', () => {
    const r = plan(desiredOf([ownerPerson, { id: 'u-jane', email: 'jane@example.com', groups: [] }]), actualOf([owner, member('m-jane', 'jane@example.com', 'EMPLOYEE', { removalPending: true })]), { now: NOW, rules: TEST_RULES, drift: 'report' });
    assert.deepEqual(r.operations.filter((o) => o.email === 'jane@example.com').map((o) => o.kind), []);
    assert.deepEqual(r.held.map((h) => [h.operation.kind, /not removed a second time/.test(h.why)]), [['remove-member', true]]);
  });

  test('the other admin being removed by the app does not count: the last admin who stays is not removed', () => {
    const r = plan(desiredOf([{ ...ownerPerson, groups: [] }, { id: 'u-jane', email: 'jane@example.com', groups: ['Meta Admins'] }]),
      actualOf([owner, member('m-jane', 'jane@example.com', 'ADMIN', { removalPending: true })]), { now: NOW, rules: TEST_RULES, drift: 'report' });
    assert.deepEqual(r.operations.filter((o) => o.kind === 'remove-member'), []);
    assert.ok(r.held.some((h) => h.operation.kind === 'remove-member' && h.operation.memberId === 'm-owner' && /last admin/.test(h.why)), JSON.stringify(r.held));
  });
});
