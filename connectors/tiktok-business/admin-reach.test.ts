import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { plan, type PlanActual, type PlanDesired } from '../../agent/plan/plan.ts';
import { roleRulesOfHub } from '../../agent/grants/role-rules.ts';
import type { EffectiveGrant } from '../../agent/grants/effective-grant.ts';
import type { AppAssignmentRecord, AppMemberRecord } from '../../agent/app-state/records.ts';

/**
 * A Business Center ADMIN reaches every asset of the BC ("ADMIN: every BC feature: members,
 * assets, partners, settings"; an admin reaches every asset anyway, /bc/member/update/), and
 * `/bc/asset/member/get/` lists explicit assignments only: the views say an ADMIN reaches every
 * asset (`reachesAllAssets`). The plan still gives an ADMIN seat its team's assets as any other
 * (the connector contract: an invite carries the team's ad accounts, a BOUND member missing one
 * is assigned it, a grant hubwarden made that no team gives is unassigned): the explicit
 * assignment is what the person keeps if demoted.
 */
const NOW = '2026-01-10T00:00:00.000Z';
const rules = roleRulesOfHub({ id: 'tiktok-main', connector: 'tiktok-business' });
const AD1 = { type: 'ad_account', id: '7100000000000000001' };
const AD2 = { type: 'ad_account', id: '7100000000000000002' };

function grantOf(id: string, email: string, appRole: string, assets: EffectiveGrant['assets']): EffectiveGrant {
  return { hubId: 'tiktok-main', directoryUserId: id, userName: id, email, emails: [email], active: true, appRole, assets, grantedBy: ['T'], problems: [], offerable: [], mappedGroups: ['t'] };
}
const member = (id: string, email: string, role: string): AppMemberRecord => ({ hubId: 'tiktok-main', id, email, role, firstSeenAt: NOW, lastSeenAt: NOW });
const held = (userId: string, asset: { type: string; id: string }, tasks: string[], madeBy: AppAssignmentRecord['madeBy'] = 'hubwarden'): AppAssignmentRecord =>
  ({ hubId: 'tiktok-main', key: `${asset.type}:${asset.id}:${userId}`, asset, userId, userType: 'member', businessId: '7000000000000000001', tasks, madeBy });

function actualOf(members: AppMemberRecord[], assignments: AppAssignmentRecord[] = []): PlanActual {
  return { complete: true, members, invites: [], systemUsers: [], assignments, matches: [], exemptions: [] };
}
const desiredOf = (grants: EffectiveGrant[]): PlanDesired => ({ hubId: 'tiktok-main', grants, departed: [], managedAssets: [AD1, AD2] });
const kinds = (r: ReturnType<typeof plan>) => r.operations.map((o) => `${o.kind}${'memberId' in o && o.memberId ? ` ${o.memberId}` : ''}${'asset' in o && o.asset ? ` ${o.asset.id}` : ''}`);

describe('tiktok-business: an ADMIN seat gets its team\'s assets', () => {
  test('the connector marks admins as reaching every asset (views only)', () => {
    assert.equal(rules.adminReachesAllAssets, true);
  });

  test('a BOUND ADMIN lacking a team\'s ad account: one assign; one no team gives (hubwarden\'s, managed): one unassign', () => {
    const r = plan(desiredOf([grantOf('u-ada', 'ada@x.test', 'ADMIN', [{ ...AD1, tasks: ['OPERATOR'] }])]),
      actualOf([member('101', 'ada@x.test', 'ADMIN')], [held('101', AD2, ['ANALYST'])]), { now: NOW, rules, drift: 'report' });
    assert.deepEqual(kinds(r).sort(), ['assign-asset 101 7100000000000000001', 'unassign-asset 101 7100000000000000002']);
    const assign = r.operations.find((o) => o.kind === 'assign-asset') as { tasks: string[] };
    assert.deepEqual(assign.tasks, ['OPERATOR']);
  });

  test('a BOUND member holding an ad account no team gives that hubwarden did not make: held under safety.drift report, unassigned under correct', () => {
    const d = desiredOf([grantOf('u-ada', 'ada@x.test', 'STANDARD', [{ ...AD1, tasks: ['OPERATOR'] }])]);
    const a = actualOf([member('101', 'ada@x.test', 'STANDARD')], [held('101', AD1, ['OPERATOR']), held('101', AD2, ['ANALYST'], 'other')]);
    const report = plan(d, a, { now: NOW, rules, drift: 'report' });
    assert.deepEqual(kinds(report), []);
    assert.deepEqual(report.held.map((h) => `${h.operation.kind} ${h.operation.key}`), ['unassign-asset unassign:ad_account:7100000000000000002:101']);
    assert.match(report.held[0]!.why, /did not make.*safety\.drift = report/);
    assert.deepEqual(kinds(plan(d, a, { now: NOW, rules, drift: 'correct' })), ['unassign-asset 101 7100000000000000002']);
  });

  test('a BOUND ADMIN holding the wrong role on a team\'s ad account: one assign with the team\'s role; holding it right: nothing', () => {
    const wrong = plan(desiredOf([grantOf('u-ada', 'ada@x.test', 'ADMIN', [{ ...AD1, tasks: ['OPERATOR'] }])]),
      actualOf([member('101', 'ada@x.test', 'ADMIN')], [held('101', AD1, ['ANALYST'])]), { now: NOW, rules, drift: 'report' });
    assert.deepEqual(kinds(wrong), ['assign-asset 101 7100000000000000001']);
    const right = plan(desiredOf([grantOf('u-ada', 'ada@x.test', 'ADMIN', [{ ...AD1, tasks: ['OPERATOR'] }])]),
      actualOf([member('101', 'ada@x.test', 'ADMIN')], [held('101', AD1, ['OPERATOR'])]), { now: NOW, rules, drift: 'report' });
    assert.deepEqual(kinds(right), []);
  });

  test('an ADMIN seat and a STANDARD one with the same assets get the same asset calls', () => {
    const asAdmin = plan(desiredOf([grantOf('u-ada', 'ada@x.test', 'ADMIN', [{ ...AD1, tasks: ['OPERATOR'] }])]),
      actualOf([member('101', 'ada@x.test', 'ADMIN')], [held('101', AD2, ['ANALYST'])]), { now: NOW, rules, drift: 'report' });
    const asStandard = plan(desiredOf([grantOf('u-ada', 'ada@x.test', 'STANDARD', [{ ...AD1, tasks: ['OPERATOR'] }])]),
      actualOf([member('101', 'ada@x.test', 'STANDARD')], [held('101', AD2, ['ANALYST'])]), { now: NOW, rules, drift: 'report' });
    assert.deepEqual(kinds(asAdmin).sort(), kinds(asStandard).sort());
  });

  test('a STANDARD member promoted to ADMIN: the promotion and the team\'s assets', () => {
    const r = plan(desiredOf([grantOf('u-eve', 'eve@x.test', 'ADMIN', [{ ...AD1, tasks: ['OPERATOR'] }])]),
      actualOf([member('103', 'eve@x.test', 'STANDARD')], [held('103', AD2, ['ANALYST'])]), { now: NOW, rules, drift: 'report' });
    assert.deepEqual(kinds(r).sort(), ['assign-asset 103 7100000000000000001', 'change-member-role 103', 'unassign-asset 103 7100000000000000002']);
  });

  test('an ADMIN demoted to STANDARD gets exactly the team\'s assets (explicit assignments are what a STANDARD member keeps)', () => {
    const r = plan(desiredOf([grantOf('u-ada', 'ada@x.test', 'STANDARD', [{ ...AD1, tasks: ['OPERATOR'] }])]),
      actualOf([member('101', 'ada@x.test', 'ADMIN'), member('102', 'other.admin@x.test', 'ADMIN')], [held('101', AD2, ['ANALYST'])]), { now: NOW, rules, drift: 'report' });
    assert.deepEqual(kinds(r).sort(), ['assign-asset 101 7100000000000000001', 'change-member-role 101', 'unassign-asset 101 7100000000000000002']);
  });

  test('an ADMIN team with ad accounts: the invitation carries them with their role, as a STANDARD one does', () => {
    const r = plan(desiredOf([grantOf('u-new', 'new@x.test', 'ADMIN', [{ ...AD1, tasks: ['OPERATOR'] }, { ...AD2, tasks: ['OPERATOR'] }]), grantOf('u-std', 'std@x.test', 'STANDARD', [{ ...AD1, tasks: ['OPERATOR'] }])]),
      actualOf([]), { now: NOW, rules, drift: 'report' });
    const invites = r.operations.filter((o) => o.kind === 'invite') as Array<{ email: string; role: string; assets?: Array<{ asset: { id: string }; tasks: string[] }> }>;
    assert.deepEqual(invites.map((o) => [o.email, o.role, (o.assets ?? []).map((a) => `${a.asset.id}:${a.tasks.join('+')}`)]).sort(), [
      ['new@x.test', 'ADMIN', ['7100000000000000001:OPERATOR', '7100000000000000002:OPERATOR']],
      ['std@x.test', 'STANDARD', ['7100000000000000001:OPERATOR']],
    ]);
  });
});
