import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeGrant } from './effective-grant.ts';
import { TEST_RULES, testHub, testUser } from './grant-fixtures.ts';

describe('effective grant', () => {
  const cases: Array<{ name: string; groups: string[]; active?: boolean; hub?: Partial<Record<string, unknown>>; role?: string; hubRole?: string; assets?: Record<string, string[]>; by?: string[] }> = [
    { name: 'one team', groups: ['Meta Advertisers'], role: 'EMPLOYEE', hubRole: 'collaborator', assets: { 'ad_account:act_111': ['ADVERTISE', 'ANALYZE'] }, by: ['Meta Advertisers'] },
    { name: 'group names match case-insensitively', groups: ['meta advertisers'], role: 'EMPLOYEE', assets: { 'ad_account:act_111': ['ADVERTISE', 'ANALYZE'] } },
    { name: 'highest role and bundle win', groups: ['Meta Advertisers', 'Meta Admins'], role: 'ADMIN', hubRole: 'owner', assets: { 'ad_account:act_111': ['MANAGE', 'ADVERTISE', 'ANALYZE'] }, by: ['Meta Advertisers', 'Meta Admins'] },
    { name: 'tasks unioned within bundles, extras kept', groups: ['Meta Advertisers', 'Meta Analysts'], role: 'EMPLOYEE', assets: { 'ad_account:act_111': ['ADVERTISE', 'ANALYZE', 'DRAFT'], 'page:222': ['ANALYZE', 'DRAFT'] } },
    { name: 'finance role outranks employee', groups: ['Meta Advertisers', 'Finance'], role: 'FINANCE_ANALYST' },
    { name: 'unmapped groups grant nothing', groups: ['Everyone'], role: undefined, assets: {} },
    { name: 'deactivated users hold nothing', groups: ['Meta Admins'], active: false, role: undefined, assets: {} },
    { name: 'default team for users without a mapped group', groups: [], hub: { defaultTeam: { appRole: 'EMPLOYEE' } }, role: 'EMPLOYEE', hubRole: 'collaborator', by: ['(default team)'] },
    { name: 'default team not used when a team applies', groups: ['Meta Admins'], hub: { defaultTeam: { appRole: 'EMPLOYEE' } }, role: 'ADMIN' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const g = computeGrant(testHub(c.hub), testUser('u1', 'Jane@Example.com', c.active ?? true), c.groups, TEST_RULES);
      assert.equal(g.appRole, c.role);
      assert.equal(g.email, 'jane@example.com');
      if (c.hubRole) assert.equal(g.hubRole, c.hubRole);
      if (c.assets) assert.deepEqual(Object.fromEntries(g.assets.map((a) => [`${a.type}:${a.id}`, a.tasks])), c.assets);
      if (c.by) assert.deepEqual(g.grantedBy, c.by);
    });
  }
});
