import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { plan, type PlanActual, type PlanDesired } from '../../agent/plan/plan.ts';
import { roleRulesOfHub } from '../../agent/grants/role-rules.ts';
import { classify, exceedsAccessThreshold } from '../../agent/safety/classify.ts';
import type { EffectiveGrant } from '../../agent/grants/effective-grant.ts';
import type { AppAssignmentRecord, AppMemberRecord } from '../../agent/app-state/records.ts';

/**
 * An ad account or catalog takes one role (`advertiser_role` ADMIN > OPERATOR > ANALYST,
 * `catalog_role` ADMIN > AD_PROMOTE: TikTok API for Business v1.3 `/bc/asset/assign/`, which
 * replaces the role held). A team raising the role it gives is a grant of more access: it goes at
 * once, like an app role raised, and takes nothing for the access brake. The plan judged the
 * change by task names (every name held is among the names given), and a single role shares no
 * name with the one above it: every raise was a downgrade, waited the settle window, and a config
 * raising one team's role counted as grants taken from all its people (halting for approval).
 */
const NOW = '2026-01-10T00:00:00.000Z';
const rules = roleRulesOfHub({ id: 'tiktok-main', connector: 'tiktok-business' });
const AD1 = { type: 'ad_account' as const, id: '7100000000000000001' };
const CAT = { type: 'catalog' as const, id: '7200000000000000001' };
const TT = { type: 'tiktok_account' as const, id: '7300000000000000001' };

const grantOf = (id: string, email: string, assets: EffectiveGrant['assets']): EffectiveGrant =>
  ({ hubId: 'tiktok-main', directoryUserId: id, userName: id, email, emails: [email], active: true, appRole: 'STANDARD', assets, grantedBy: ['T'], problems: [], offerable: [], mappedGroups: ['t'] });
const member = (id: string, email: string): AppMemberRecord => ({ hubId: 'tiktok-main', id, email, role: 'STANDARD', firstSeenAt: NOW, lastSeenAt: NOW });
const held = (userId: string, asset: { type: string; id: string }, tasks: string[]): AppAssignmentRecord =>
  ({ hubId: 'tiktok-main', key: `${asset.type}:${asset.id}:${userId}`, asset, userId, userType: 'member', businessId: '7000000000000000001', tasks, madeBy: 'hubwarden' });
const actualOf = (members: AppMemberRecord[], assignments: AppAssignmentRecord[]): PlanActual =>
  ({ complete: true, members, invites: [], systemUsers: [], assignments, matches: [], exemptions: [] });
const desiredOf = (grants: EffectiveGrant[]): PlanDesired => ({ hubId: 'tiktok-main', grants, departed: [], managedAssets: [AD1, CAT, TT] });
const effectOf = (have: { asset: typeof AD1 | typeof CAT | typeof TT; tasks: string[] }, want: string[]) => {
  const r = plan(desiredOf([grantOf('u-ada', 'ada@x.test', [{ ...have.asset, tasks: want }])]), actualOf([member('101', 'ada@x.test')], [held('101', have.asset, have.tasks)]), { now: NOW, rules, drift: 'report' });
  assert.equal(r.operations.length, 1, JSON.stringify(r.operations));
  return r.operations[0]!;
};

describe('tiktok-business: an asset role raised is an upgrade, lowered a downgrade', () => {
  const cases: Array<[string, typeof AD1 | typeof CAT | typeof TT, string[], string[], 'upgrade' | 'downgrade']> = [
    ['ad account ANALYST → OPERATOR', AD1, ['ANALYST'], ['OPERATOR'], 'upgrade'],
    ['ad account OPERATOR → ADMIN', AD1, ['OPERATOR'], ['ADMIN'], 'upgrade'],
    ['ad account ADMIN → ANALYST', AD1, ['ADMIN'], ['ANALYST'], 'downgrade'],
    ['catalog AD_PROMOTE → ADMIN', CAT, ['AD_PROMOTE'], ['ADMIN'], 'upgrade'],
    ['catalog ADMIN → AD_PROMOTE', CAT, ['ADMIN'], ['AD_PROMOTE'], 'downgrade'],
    ['TikTok account POST → POST, LIVE', TT, ['POST'], ['POST', 'LIVE'], 'upgrade'],
    ['TikTok account POST, LIVE → LIVE', TT, ['POST', 'LIVE'], ['LIVE'], 'downgrade'],
  ];
  for (const [name, asset, have, want, effect] of cases) {
    test(name, () => {
      const op = effectOf({ asset, tasks: have }, want);
      assert.equal(op.kind, 'assign-asset');
      assert.equal(op.effect, effect);
      assert.equal(classify(op), effect === 'upgrade' ? 'now' : 'settle');
    });
  }

  test('a team raising its ad account role for all its people takes no grants: the access brake does not halt', () => {
    const people = [1, 2, 3, 4].map((n) => ({ grant: grantOf(`u-${n}`, `p${n}@x.test`, [{ ...AD1, tasks: ['OPERATOR'] }]), member: member(`10${n}`, `p${n}@x.test`) }));
    const r = plan(desiredOf(people.map((p) => p.grant)), actualOf(people.map((p) => p.member), people.map((p) => held(p.member.id, AD1, ['ANALYST']))), { now: NOW, rules, drift: 'report' });
    assert.equal(r.operations.length, 4);
    assert.ok(exceedsAccessThreshold(r.operations, 4, 10).every((k) => !k.exceeds), JSON.stringify(exceedsAccessThreshold(r.operations, 4, 10)));
  });
});
