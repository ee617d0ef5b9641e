import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppInviteRecord, AppMemberRecord } from '../app-state/records.ts';
import { computeGrant } from '../grants/effective-grant.ts';
import { TEST_RULES, testHub, testUser } from '../grants/grant-fixtures.ts';
import { plan, type PlanActual, type PlanDesired } from './plan.ts';

/** A person is given one seat: never a second invite beside a seat they hold, never two invites to one address. */
const NOW = '2026-11-23T12:00:00.000Z';
const hub = testHub();
const member = (id: string, email: string, role: string): AppMemberRecord => ({ hubId: hub.id, id, email, role, firstSeenAt: NOW, lastSeenAt: NOW });
const invite = (id: string, email: string, role: string, extra: Partial<AppInviteRecord> = {}): AppInviteRecord =>
  ({ hubId: hub.id, id, email, role, status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: NOW, ...extra });
const owner = member('m-owner', 'owner@example.com', 'ADMIN');
const ownerAssets = [{ hubId: hub.id, key: 'ad_account:act_111:m-owner', asset: { type: 'ad_account' as const, id: 'act_111' }, userId: 'm-owner', userType: 'member' as const, tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] }];
const grantOf = (id: string, email: string, groups: string[], emails: string[] = [email]) => {
  const user = { ...testUser(id, email), emails };
  return computeGrant(hub, user, groups, TEST_RULES);
};
const desired = (grants: PlanDesired['grants']): PlanDesired => ({ hubId: hub.id, grants: [grantOf('u-owner', 'owner@example.com', ['Meta Admins']), ...grants], departed: [], managedAssets: [{ type: 'ad_account', id: 'act_111' }] });
const actual = (a: Partial<PlanActual>): PlanActual => ({ complete: true, members: [owner], invites: [], systemUsers: [], assignments: ownerAssets, matches: [], exemptions: [], ...a });
const policy = { now: NOW, rules: TEST_RULES, drift: 'report' as const };
const sends = (r: ReturnType<typeof plan>) => r.operations.filter((o) => o.kind === 'invite' || o.kind === 'reinvite').map((o) => `${o.kind} ${o.email} ${o.kind === 'invite' || o.kind === 'reinvite' ? o.role : ''}`);

describe('plan: one seat per person, one invite per address', () => {
  // Jane has two emails in the IdP and holds a seat at the first; an invite at her alias (sent by
  // hand in the app) lapsed. Judged on its own it was re-sent: a second seat for one person.
  for (const order of ['member listed, invite lapsed', 'live invite at her other email listed after the lapsed one'] as const) {
    test(`a lapsed invite at another of a person's emails is not re-sent while they hold a seat (${order})`, () => {
      const jane = grantOf('u-jane', 'jane@example.com', ['Meta Advertisers'], ['jane@example.com', 'jane.alias@example.com']);
      const lapsed = invite('i-old', 'jane.alias@example.com', 'EMPLOYEE', { status: 'expired' });
      const a = order === 'member listed, invite lapsed'
        ? actual({ members: [owner, member('m-jane', 'jane@example.com', 'EMPLOYEE')], invites: [lapsed] })
        : actual({ invites: [lapsed, invite('i-new', 'jane@example.com', 'EMPLOYEE')] });
      const r = plan(desired([jane]), a, policy);
      assert.deepEqual(sends(r), [], JSON.stringify(r.operations));
      assert.deepEqual(r.held, [], 'nothing for an owner to follow up: she holds a seat');
    });
  }

  test('a lapsed invite of a person without a seat is still re-sent', () => {
    const jane = grantOf('u-jane', 'jane@example.com', ['Meta Advertisers'], ['jane@example.com', 'jane.alias@example.com']);
    const r = plan(desired([jane]), actual({ invites: [invite('i-old', 'jane.alias@example.com', 'EMPLOYEE', { status: 'expired' })] }), policy);
    assert.deepEqual(sends(r), ['reinvite jane.alias@example.com EMPLOYEE']);
  });

  // Two active directory users share an address (an old and a new account), each in a team:
  // each was invited, two operations with one key in one plan, the role the first one listed.
  test('two directory users sharing an email are invited once, at the lower role either is owed, whatever their order', () => {
    const admin = grantOf('u-twin-a', 'twin@example.com', ['Meta Admins']);
    const employee = grantOf('u-twin-b', 'twin@example.com', ['Meta Advertisers']);
    for (const grants of [[admin, employee], [employee, admin]]) {
      const r = plan(desired(grants), actual({}), policy);
      assert.deepEqual(sends(r), ['invite twin@example.com EMPLOYEE'], JSON.stringify(r.operations));
      const keys = r.operations.map((o) => o.key);
      assert.equal(new Set(keys).size, keys.length, 'operation keys are unique');
    }
  });

  // An invite no one directory user governs (an address two directory users share, one an owner
  // un-matched, one taken for a guest's) lapsed: the new-seat pass invited its address afresh, and
  // after every decline again, without end. It is re-sent once, as a governed one is, then held.
  const unowned: Array<[string, (invite: AppInviteRecord) => Partial<PlanActual>, PlanDesired['grants']]> = [
    ['an email two directory users share', () => ({}), [grantOf('u-twin-a', 'twin@example.com', ['Meta Advertisers']), grantOf('u-twin-b', 'twin@example.com', ['Meta Advertisers'])]],
    ['an invite an owner un-matched', (i) => ({ matches: [{ hubId: hub.id, memberId: `invite:${i.id}`, outcome: 'unmatched', manual: true, at: NOW }] }), [grantOf('u-twin-a', 'twin@example.com', ['Meta Advertisers'])]],
    ["an invite taken for a guest's", (i) => ({ matches: [{ hubId: hub.id, memberId: `invite:${i.id}`, outcome: 'guest', manual: true, at: NOW }] }), [grantOf('u-twin-a', 'twin@example.com', ['Meta Advertisers'])]],
  ];
  for (const [name, rows, grants] of unowned) {
    test(`a declined invite no one governs (${name}) is re-sent once, then held: never invited afresh without end`, () => {
      const first = invite('i-1', 'twin@example.com', 'EMPLOYEE', { status: 'declined' });
      const once = plan(desired(grants), actual({ invites: [first], ...rows(first) }), policy);
      assert.deepEqual(once.operations.filter((o) => o.kind === 'invite' || o.kind === 'reinvite').map((o) => o.key), ['reinvite:i-1']);
      const again = invite('i-2', 'twin@example.com', 'EMPLOYEE', { status: 'declined', resendCount: 1 });
      const twice = plan(desired(grants), actual({ invites: [again], ...rows(again) }), policy);
      assert.deepEqual(sends(twice), [], JSON.stringify(twice.operations));
      assert.ok(twice.held.some((h) => h.operation.kind === 'invite' && /declined and was already re-sent 1 time.*an owner must follow up/.test(h.why)), JSON.stringify(twice.held));
    });
  }

  test('a lapsed invite an owner exempted is neither re-sent nor its address invited afresh', () => {
    const lapsed = invite('i-1', 'jane@example.com', 'EMPLOYEE', { status: 'declined' });
    const r = plan(desired([grantOf('u-jane', 'jane@example.com', ['Meta Advertisers'])]), actual({ invites: [lapsed],
      exemptions: [{ hubId: hub.id, memberId: 'invite:i-1', reason: 'agency contact', by: 'owner', at: NOW }],
      matches: [{ hubId: hub.id, memberId: 'invite:i-1', outcome: 'exempted', manual: true, at: NOW }] }), policy);
    assert.deepEqual(sends(r), [], JSON.stringify(r.operations));
  });
});
