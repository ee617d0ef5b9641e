import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppAssignmentRecord, AppMemberRecord } from '../app-state/records.ts';
import { computeGrant } from '../grants/effective-grant.ts';
import { TEST_RULES, testHub, testUser } from '../grants/grant-fixtures.ts';
import { ASSIGNMENTS_UNREAD_WHY, assignmentsUnreadIn, INCOMPLETE_LOWER_WHY, MEMBERS_HIDDEN_LOWER_WHY } from './partial-hold.ts';
import { plan, type PlanActual, type PlanDesired } from './plan.ts';

// Access lowered (a role, an asset's tasks, an unassign) from rows a partial check for updates
// kept as last seen is held, as a removal is; grants and upgrades still go.
const NOW = '2026-11-23T12:00:00.000Z';
const hub = testHub();
const member = (id: string, role: string): AppMemberRecord => ({ hubId: hub.id, id, email: `${id}@example.com`, role, firstSeenAt: NOW, lastSeenAt: NOW });
const assignment = (userId: string, type: 'ad_account' | 'page', id: string, tasks: string[]): AppAssignmentRecord =>
  ({ hubId: hub.id, key: `${type}:${id}:${userId}`, asset: { type, id }, userId, userType: 'member', tasks });

const desired: PlanDesired = {
  hubId: hub.id,
  grants: [
    computeGrant(hub, testUser('u-owner', 'owner@example.com'), ['Meta Admins'], TEST_RULES),
    computeGrant(hub, testUser('u-jane', 'jane@example.com'), ['Meta Advertisers'], TEST_RULES), // an admin and analyst before
    computeGrant(hub, testUser('u-carol', 'carol@example.com'), ['Meta Admins'], TEST_RULES), // an employee before
  ],
  departed: [],
  managedAssets: [{ type: 'ad_account', id: 'act_111' }, { type: 'page', id: '222' }],
};
const actual = (flags: Partial<PlanActual>): PlanActual => ({
  complete: true, invites: [], systemUsers: [], matches: [], exemptions: [],
  members: [member('owner', 'ADMIN'), member('jane', 'ADMIN'), member('carol', 'EMPLOYEE')],
  assignments: [
    assignment('owner', 'ad_account', 'act_111', ['MANAGE', 'ADVERTISE', 'ANALYZE']),
    assignment('jane', 'ad_account', 'act_111', ['MANAGE', 'ADVERTISE', 'ANALYZE']),
    assignment('jane', 'page', '222', ['ANALYZE', 'DRAFT']),
  ],
  ...flags,
});
const planned = (flags: Partial<PlanActual>) => {
  const r = plan(desired, actual(flags), { now: NOW, rules: TEST_RULES, drift: 'correct' });
  return { ops: r.operations.map((o) => `${o.effect} ${o.key}`).sort(), held: r.held.map((h) => `${h.operation.key}: ${h.why}`).sort() };
};

const LOWER = ['member-role:jane:EMPLOYEE', 'assign:ad_account:act_111:jane:ADVERTISE+ANALYZE', 'unassign:page:222:jane'];
const RAISE = ['grant assign:ad_account:act_111:carol:MANAGE+ADVERTISE+ANALYZE', 'upgrade member-role:carol:ADMIN'];

describe('the plan on a partial picture', () => {
  test('complete: every change is planned, nothing held', () => {
    assert.deepEqual(planned({}), {
      ops: ['downgrade assign:ad_account:act_111:jane:ADVERTISE+ANALYZE', 'downgrade member-role:jane:EMPLOYEE', 'downgrade unassign:page:222:jane', ...RAISE].sort(),
      held: [],
    });
  });

  test('member listing filtered: the role and asset downgrades are held, saying why; grants and upgrades go', () => {
    assert.deepEqual(planned({ complete: false, membersHidden: true }), { ops: RAISE, held: LOWER.map((k) => `${k}: ${MEMBERS_HIDDEN_LOWER_WHY}`).sort() });
  });

  test('no complete check for updates: the downgrades are held too', () => {
    assert.deepEqual(planned({ complete: false }), { ops: RAISE, held: LOWER.map((k) => `${k}: ${INCOMPLETE_LOWER_WHY}`).sort() });
  });

  test('assignments unread: the asset downgrade and unassign are held; the role downgrade (members read in full) goes', () => {
    assert.deepEqual(planned({ assignmentsUnread: true }), {
      ops: ['downgrade member-role:jane:EMPLOYEE', ...RAISE].sort(),
      held: [`${LOWER[1]}: ${ASSIGNMENTS_UNREAD_WHY}`, `${LOWER[2]}: ${ASSIGNMENTS_UNREAD_WHY}`].sort(),
    });
  });

  test('which sections count: assignments and assets, not partners or system users', () => {
    assert.equal(assignmentsUnreadIn({ unavailable: [{ section: 'assignments' }] }), true);
    assert.equal(assignmentsUnreadIn({ unavailable: [{ section: 'assets' }] }), true);
    assert.equal(assignmentsUnreadIn({ unavailable: [{ section: 'partners' }, { section: 'system users' }, { section: 'members' }] }), false);
    assert.equal(assignmentsUnreadIn(undefined), false);
  });
});
