import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../config/schema.ts';
import { computeGrant } from '../../agent/grants/effective-grant.ts';
import { roleRulesOfHub } from '../../agent/grants/role-rules.ts';
import type { DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { plan } from '../../agent/plan/plan.ts';

/**
 * An ad account's Graph node id is `act_<account_id>`; Ads Manager shows the bare account id. A
 * team naming the bare number gets the node id, as every listing of the connector reports it
 * (mappers/asset.ts), so the plan compares like with like.
 */
const NOW = '2026-11-23T12:00:00.000Z';
const hubOf = (id: string) => configSchema.parse({ hubs: [{ id: 'meta-main', connector: 'meta-business', meta: { businessId: '1234567890' },
  teams: [{ group: 'Advertisers', appRole: 'EMPLOYEE', assets: [{ type: 'ad_account', id, tasks: ['ADVERTISE', 'ANALYZE'] }, { type: 'page', id: '222', tasks: ['ANALYZE'] }] }] }] }).hubs[0]!;
const user: DirectoryUserRecord = { hubId: 'meta-main', id: 'u1', userName: 'jane@example.com', active: true, email: 'jane@example.com', emails: ['jane@example.com'], scim: {}, created: NOW, lastModified: NOW, version: 1 };

describe('meta-business: a team\'s ad account id', () => {
  test('the bare account id is the act_ node id; other ids and asset types are kept as written', () => {
    assert.deepEqual(hubOf('111').teams[0]!.assets.map((a) => a.id), ['act_111', '222']);
    assert.deepEqual(hubOf('act_111').teams[0]!.assets.map((a) => a.id), ['act_111', '222']);
  });

  test('a team naming the bare id: a member holding the grant on act_111 is in sync (no assign again, nothing left unmanaged)', () => {
    const hub = hubOf('111');
    const rules = roleRulesOfHub(hub);
    const managedAssets = hub.teams.flatMap((t) => t.assets.map((a) => ({ type: a.type, id: a.id })));
    const r = plan({ hubId: hub.id, grants: [computeGrant(hub, user, ['Advertisers'], rules)], departed: [], managedAssets }, {
      complete: true, invites: [], systemUsers: [], matches: [], exemptions: [],
      members: [{ hubId: hub.id, id: 'm1', email: 'jane@example.com', role: 'EMPLOYEE', firstSeenAt: NOW, lastSeenAt: NOW }],
      assignments: [
        { hubId: hub.id, key: 'ad_account:act_111:m1', asset: { type: 'ad_account', id: 'act_111' }, userId: 'm1', userType: 'member', tasks: ['ADVERTISE', 'ANALYZE'] },
        { hubId: hub.id, key: 'page:222:m1', asset: { type: 'page', id: '222' }, userId: 'm1', userType: 'member', tasks: ['ANALYZE'] },
      ],
    }, { now: NOW, rules, drift: 'correct' });
    assert.deepEqual(r.operations.map((o) => o.summary), []);
  });
});
