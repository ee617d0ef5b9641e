/**
 * A lapsed invite (expired, declined, gone from the app's pending invites) after its one re-send:
 * held for an owner while the person is still owed a seat; closed once they are not (left their
 * groups, deactivated, deleted), so the members view stops showing them invited and, assigned again
 * later, they are invited afresh. Before, the record stayed for ever: `lapsed` in the members view
 * (then `invited`) and the person "seated", never invited again.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppInviteRecord, AppMemberRecord } from '../app-state/records.ts';
import { computeGrant } from '../grants/effective-grant.ts';
import { TEST_RULES, testHub, testUser } from '../grants/grant-fixtures.ts';
import { rowStatus } from '../standing/standing.ts';
import { plan, type PlanActual, type PlanDesired } from './plan.ts';

const NOW = '2026-11-23T12:00:00.000Z';
const hub = testHub();
const owner: AppMemberRecord = { hubId: hub.id, id: 'm-owner', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: NOW, lastSeenAt: NOW };
const lapsed = (status: AppInviteRecord['status'], resendCount = 1): AppInviteRecord =>
  ({ hubId: hub.id, id: 'i-1', email: 'jane@example.com', role: 'EMPLOYEE', status, expiresAt: '2026-11-20T00:00:00.000Z', sentByHubwarden: true, resendCount, lastSeenAt: NOW });

function desired(janeGroups: string[] | 'deleted', active = true): PlanDesired {
  const people = [computeGrant(hub, testUser('u-owner', 'owner@example.com'), ['Meta Admins'], TEST_RULES)];
  if (janeGroups !== 'deleted') people.push(computeGrant(hub, testUser('u-jane', 'jane@example.com', active), janeGroups, TEST_RULES));
  return { hubId: hub.id, grants: people, departed: janeGroups === 'deleted' ? [{ directoryUserId: 'u-jane', emails: ['jane@example.com'] }] : [], managedAssets: [{ type: 'ad_account', id: 'act_111' }] };
}
const actual = (invites: AppInviteRecord[]): PlanActual => ({
  complete: true, members: [owner], invites, systemUsers: [], exemptions: [],
  assignments: [{ hubId: hub.id, key: 'ad_account:act_111:m-owner', asset: { type: 'ad_account', id: 'act_111' }, userId: 'm-owner', userType: 'member', tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] }],
  matches: [{ hubId: hub.id, memberId: 'invite:i-1', outcome: 'onboarded', manual: false, directoryUserId: 'u-jane', at: NOW }],
});
const run = (d: PlanDesired, a: PlanActual) => plan(d, a, { now: NOW, rules: TEST_RULES, drift: 'report' });

describe('a lapsed invite after its re-send', () => {
  test('still owed a seat: held for an owner, nothing sent', () => {
    for (const status of ['expired', 'declined', 'canceled'] as const) {
      const r = run(desired(['Meta Advertisers']), actual([lapsed(status)]));
      assert.deepEqual(r.operations, [], status);
      assert.ok(r.held.some((h) => h.operation.kind === 'reinvite' && /already re-sent 1 time/.test(h.why)), status);
    }
  });

  test('the person left their groups, was deactivated or deleted: the lapsed invite is closed (one cancel, its own key)', () => {
    const cases: Array<[string, PlanDesired, string]> = [
      ['left the group', desired([]), 'unassigned'],
      ['deactivated', desired(['Meta Advertisers'], false), 'deactivated'],
      ['deleted', desired('deleted'), 'deleted'],
    ];
    for (const [what, d, reason] of cases) {
      for (const status of ['expired', 'declined', 'canceled'] as const) {
        const r = run(d, actual([lapsed(status)]));
        assert.deepEqual(r.operations.map((o) => [o.kind, o.reason, o.key]), [['cancel-invite', reason, 'cancel:i-1']], `${what}, ${status}`);
        const op = r.operations[0]!;
        assert.equal(op.kind === 'cancel-invite' && op.inviteId, 'i-1');
        assert.equal(op.directoryUserId, 'u-jane');
        assert.match(op.summary, /^close the lapsed invite of jane@example\.com \(it (expired|was declined)/, `${what}, ${status}`);
        assert.deepEqual(r.held, [], `${what}, ${status}: nothing held`);
      }
    }
  });

  test('an expired invite not re-sent yet of a person who left is closed too, not re-sent', () => {
    const r = run(desired([]), actual([lapsed('expired', 0)]));
    assert.deepEqual(r.operations.map((o) => o.kind), ['cancel-invite']);
  });

  test('assigned again once the record is closed: one fresh invite', () => {
    const r = run(desired(['Meta Advertisers']), { ...actual([]), matches: [] });
    assert.deepEqual(r.operations.map((o) => [o.kind, o.email]), [['invite', 'jane@example.com']]);
  });
});

describe('the members view status of a row', () => {
  test('a matched invite: invited while pending, lapsed once not (no seat)', () => {
    assert.equal(rowStatus('onboarded', 'invite'), 'invited');
    assert.equal(rowStatus('onboarded', 'invite', true), 'invited');
    assert.equal(rowStatus('onboarded', 'invite', false), 'lapsed');
    assert.equal(rowStatus('onboarded', 'member', false), 'onboarded', 'a member is no invite');
    assert.equal(rowStatus('exempted', 'invite', false), 'exempted', "an owner's decision outranks the invite's state");
    assert.equal(rowStatus('unmatched', 'invite', false), 'unmatched');
  });
});
