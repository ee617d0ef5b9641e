import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppAssignmentRecord, AppMemberRecord } from '../app-state/records.ts';
import { computeGrant } from '../grants/effective-grant.ts';
import { TEST_RULES, testHub, testUser } from '../grants/grant-fixtures.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { definePersonIndexes } from './person-input.ts';
import { planHub, planPerson } from './plan-hub.ts';
import { NOT_MADE_BY_HUBWARDEN_WHY, plan, type PlanActual, type PlanPolicy } from './plan.ts';

/**
 * A grant on a team's asset that the person's teams do not give is unassigned when hubwarden made
 * it; one it found in the app (the first import, or made by hand) only under `safety.drift:
 * correct`. A record without `madeBy` (an earlier release's) counts as hubwarden's.
 */
const NOW = '2026-11-23T12:00:00.000Z';
const hub = testHub();
const member = (id: string, email: string, role: string): AppMemberRecord => ({ hubId: hub.id, id, email, role, firstSeenAt: NOW, lastSeenAt: NOW });
const grantOn = (userId: string, asset: { type: string; id: string }, tasks: string[], madeBy?: AppAssignmentRecord['madeBy']): AppAssignmentRecord =>
  ({ hubId: hub.id, key: `${asset.type}:${asset.id}:${userId}`, asset, userId, userType: 'member', tasks, ...(madeBy ? { madeBy } : {}) });
const admin = member('m-admin', 'admin@example.com', 'ADMIN');
const adminGrant = computeGrant(hub, testUser('u-admin', 'admin@example.com'), ['Meta Admins'], TEST_RULES);
const PAGE = { type: 'page', id: '222' };
const ACT = { type: 'ad_account', id: 'act_111' };
const adminsGrant = grantOn('m-admin', ACT, ['MANAGE', 'ADVERTISE', 'ANALYZE'], 'hubwarden');

/** Jane is an advertiser (act_111) holding page 222, which only the analysts' team gives. */
function janePlan(madeBy: AppAssignmentRecord['madeBy'], drift: PlanPolicy['drift'], groups = ['Meta Advertisers']) {
  const jane = computeGrant(hub, testUser('u-jane', 'jane@example.com'), groups, TEST_RULES);
  const actual: PlanActual = {
    complete: true, members: [admin, member('m-jane', 'jane@example.com', 'EMPLOYEE')], invites: [], systemUsers: [], matches: [], exemptions: [],
    assignments: [adminsGrant, grantOn('m-jane', ACT, ['ADVERTISE', 'ANALYZE'], 'other'), grantOn('m-jane', PAGE, ['ANALYZE'], madeBy)],
  };
  return plan({ hubId: hub.id, grants: [adminGrant, jane], departed: [], managedAssets: [ACT, PAGE] }, actual, { now: NOW, rules: TEST_RULES, drift });
}
const keys = (ops: ReadonlyArray<{ key: string }>) => ops.map((o) => o.key);

describe('plan: unassigning a grant no team gives, by who made it', () => {
  test('a grant hubwarden did not make: held under safety.drift report, with why', () => {
    const r = janePlan('other', 'report');
    assert.deepEqual(keys(r.operations), []);
    assert.deepEqual(r.held.map((h) => [h.operation.key, h.why]), [['unassign:page:222:m-jane', NOT_MADE_BY_HUBWARDEN_WHY]]);
    assert.match(NOT_MADE_BY_HUBWARDEN_WHY, /hubwarden did not make.*safety\.drift = report/);
  });

  test('a grant hubwarden did not make: unassigned under safety.drift correct', () => {
    const r = janePlan('other', 'correct');
    assert.deepEqual(keys(r.operations), ['unassign:page:222:m-jane']);
    assert.deepEqual(r.held, []);
  });

  test('a grant hubwarden made, and one recorded before `madeBy` was kept: unassigned under report', () => {
    for (const madeBy of ['hubwarden', undefined] as const) {
      const r = janePlan(madeBy, 'report');
      assert.deepEqual(keys(r.operations), ['unassign:page:222:m-jane'], String(madeBy));
      assert.deepEqual(r.held, []);
    }
  });

  test('a grant hubwarden did not make, on an asset the teams give with other tasks: changed as before', () => {
    const r = janePlan('other', 'report', ['Meta Advertisers', 'Meta Analysts']);
    assert.deepEqual(keys(r.operations), ['assign:ad_account:act_111:m-jane:ADVERTISE+ANALYZE+DRAFT', 'assign:page:222:m-jane:ANALYZE+DRAFT']);
    assert.deepEqual(r.held, []);
  });

  test('a leaver\'s seat goes with a grant hubwarden did not make on it', () => {
    const r = janePlan('other', 'report', []);
    assert.deepEqual(keys(r.operations), ['remove:m-jane']);
    assert.deepEqual(r.held, []);
  });
});

describe('planHub and planPerson: the hub\'s safety.drift decides', () => {
  for (const drift of ['report', 'correct'] as const) {
    test(`safety.drift ${drift}`, async () => {
      const h = testHub({ safety: { drift } });
      const store = new MemoryStore();
      defineDirectoryIndexes(store);
      definePersonIndexes(store);
      await store.transact((tx) => {
        tx.put('directoryUsers', h.id, 'u-jane', testUser('u-jane', 'jane@example.com'));
        tx.put('directoryGroups', h.id, 'g1', { hubId: h.id, id: 'g1', displayName: 'Meta Advertisers', members: [{ value: 'u-jane' }], scim: {}, created: NOW, lastModified: NOW, version: 1 });
        tx.put('appMembers', h.id, 'm-admin', admin);
        tx.put('directoryUsers', h.id, 'u-admin', testUser('u-admin', 'admin@example.com'));
        tx.put('directoryGroups', h.id, 'g2', { hubId: h.id, id: 'g2', displayName: 'Meta Admins', members: [{ value: 'u-admin' }], scim: {}, created: NOW, lastModified: NOW, version: 1 });
        tx.put('appMembers', h.id, 'm-jane', member('m-jane', 'jane@example.com', 'EMPLOYEE'));
        for (const a of [adminsGrant, grantOn('m-jane', ACT, ['ADVERTISE', 'ANALYZE'], 'other'), grantOn('m-jane', PAGE, ['ANALYZE'], 'other')]) tx.put('appAssignments', h.id, a.key, a);
        tx.put('appImports', h.id, h.id, { hubId: h.id, id: h.id, complete: true, completedAt: NOW });
      });
      const whole = await planHub(store, h, { now: new Date(NOW) });
      const hers = await planPerson(store, h, { directoryUserIds: ['u-jane'], emails: ['jane@example.com'] }, { now: new Date(NOW) });
      for (const r of [whole, hers]) {
        assert.deepEqual(keys(r.operations), drift === 'correct' ? ['unassign:page:222:m-jane'] : []);
        assert.deepEqual(keys(r.held.map((x) => x.operation)), drift === 'correct' ? [] : ['unassign:page:222:m-jane']);
      }
    });
  }
});
