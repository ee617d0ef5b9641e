import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { plan, type PlanActual, type PlanDesired } from '../../agent/plan/plan.ts';
import { roleRulesOfHub } from '../../agent/grants/role-rules.ts';
import type { EffectiveGrant } from '../../agent/grants/effective-grant.ts';
import type { AppAssignmentRecord, AppMemberRecord } from '../../agent/app-state/records.ts';

/**
 * A Business Center ADMIN reaches every asset of the BC ("ADMIN: every BC feature: members,
 * assets, partners, settings"; an admin reaches every asset anyway, /bc/member/update/), and
 * `/bc/asset/member/get/` lists explicit assignments only. Planning asset calls for an admin is
 * pointless (an assign adds nothing it can reach, an unassign takes nothing away) and, where
 * TikTok refuses them, a failing call: the plan makes none, and an admin's invite carries no ad
 * accounts.
 */
const NOW = '2026-01-10T00:00:00.000Z';
const rules = roleRulesOfHub({ id: 'tiktok-main', connector: 'tiktok-business' });
const AD1 = { type: 'ad_account', id: '7100000000000000001' };
const AD2 = { type: 'ad_account', id: '7100000000000000002' };

function grantOf(id: string, email: string, appRole: string, assets: EffectiveGrant['assets']): EffectiveGrant {
  return { hubId: 'tiktok-main', directoryUserId: id, userName: id, email, emails: [email], active: true, appRole, assets, grantedBy: ['T'], problems: [], offerable: [], mappedGroups: ['t'] };
}
const member = (id: string, email: string, role: string): AppMemberRecord => ({ hubId: 'tiktok-main', id, email, role, firstSeenAt: NOW, lastSeenAt: NOW });
const held = (userId: string, asset: { type: string; id: string }, tasks: string[]): AppAssignmentRecord => ({ hubId: 'tiktok-main', key: `${asset.type}:${asset.id}:${userId}`, asset, userId, userType: 'member', businessId: '7000000000000000001', tasks });

function actualOf(members: AppMemberRecord[], assignments: AppAssignmentRecord[] = []): PlanActual {
  return { complete: true, members, invites: [], systemUsers: [], assignments, matches: [], exemptions: [] };
}
const desiredOf = (grants: EffectiveGrant[]): PlanDesired => ({ hubId: 'tiktok-main', grants, departed: [], managedAssets: [AD1, AD2] });
const kinds = (r: ReturnType<typeof plan>) => r.operations.map((o) => `${o.kind}${'memberId' in o && o.memberId ? ` ${o.memberId}` : ''}${'asset' in o && o.asset ? ` ${o.asset.id}` : ''}`);

describe('tiktok-business: an ADMIN reaches every asset', () => {
  test('the connector says so', () => {
    assert.equal(rules.adminReachesAllAssets, true);
  });

  test('an ADMIN who stays ADMIN: no assign for a team\'s ad account, no unassign of one no team gives', () => {
    const r = plan(desiredOf([grantOf('u-ada', 'ada@x.test', 'ADMIN', [{ ...AD1, tasks: ['OPERATOR'] }])]),
      actualOf([member('101', 'ada@x.test', 'ADMIN')], [held('101', AD2, ['ANALYST'])]), { now: NOW, rules });
    assert.deepEqual(kinds(r), []);
  });

  test('a STANDARD member promoted to ADMIN: the promotion only', () => {
    const r = plan(desiredOf([grantOf('u-eve', 'eve@x.test', 'ADMIN', [{ ...AD1, tasks: ['OPERATOR'] }])]),
      actualOf([member('103', 'eve@x.test', 'STANDARD')], [held('103', AD2, ['ANALYST'])]), { now: NOW, rules });
    assert.deepEqual(kinds(r), ['change-member-role 103']);
  });

  test('an ADMIN demoted to STANDARD gets exactly the team\'s assets (explicit assignments are what a STANDARD member keeps)', () => {
    const r = plan(desiredOf([grantOf('u-ada', 'ada@x.test', 'STANDARD', [{ ...AD1, tasks: ['OPERATOR'] }])]),
      actualOf([member('101', 'ada@x.test', 'ADMIN'), member('102', 'other.admin@x.test', 'ADMIN')], [held('101', AD2, ['ANALYST'])]), { now: NOW, rules });
    assert.deepEqual(kinds(r).sort(), ['assign-asset 101 7100000000000000001', 'change-member-role 101', 'unassign-asset 101 7100000000000000002']);
  });

  test('an ADMIN invitation carries no ad accounts; a STANDARD one does', () => {
    const r = plan(desiredOf([grantOf('u-new', 'new@x.test', 'ADMIN', [{ ...AD1, tasks: ['OPERATOR'] }]), grantOf('u-std', 'std@x.test', 'STANDARD', [{ ...AD1, tasks: ['OPERATOR'] }])]),
      actualOf([]), { now: NOW, rules });
    const invites = r.operations.filter((o) => o.kind === 'invite') as Array<{ email: string; assets?: unknown[] }>;
    assert.deepEqual(invites.map((o) => [o.email, o.assets?.length ?? 0]).sort(), [['new@x.test', 0], ['std@x.test', 1]]);
  });
});
