/**
 * A check for updates that could not read the asset assignments keeps the holders it knew
 * (snapshot.ts): the plan may not take asset access away on them. The unassign it would queue
 * after a complete read is held, with why; a grant still goes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { testGroup, testHub, testUser } from '../grants/grant-fixtures.ts';
import { planHub, planPerson } from '../plan/plan-hub.ts';
import { actualOf } from '../plan/plan-input.ts';
import { ASSIGNMENTS_UNREAD_WHY } from '../plan/partial-hold.ts';
import { runCheckForUpdates, type CheckInput } from './run-check.ts';
import { emptyApp, fakeConnector, type FakeApp } from './fake-app.test-double.ts';
import '../app-state/records.ts';

// drift: correct, so the unassign of a grant found at the first read is planned (plan.ts NOT_MADE_BY_HUBWARDEN_WHY).
const hub = testHub({ safety: { drift: 'correct' } });
const silent = { info() {}, warn() {} };
const at = '2026-11-23T10:00:00.000Z';
let clock = Date.parse(at);
const now = () => new Date((clock += 1000));

function business(): FakeApp {
  const app = emptyApp();
  app.members = [
    { id: 'm-owner', email: 'owner@example.com', role: 'ADMIN' },
    { id: 'm-jane', email: 'jane@example.com', role: 'EMPLOYEE' },
    { id: 'm-bob', email: 'bob@example.com', role: 'EMPLOYEE' },
  ];
  app.assets = [{ type: 'ad_account', id: 'act_111', ownership: 'owned' }, { type: 'page', id: '222', ownership: 'owned' }];
  app.assignments = [
    { asset: { type: 'ad_account', id: 'act_111' }, userId: 'm-owner', userType: 'member', tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] },
    { asset: { type: 'ad_account', id: 'act_111' }, userId: 'm-jane', userType: 'member', tasks: ['ADVERTISE', 'ANALYZE'] },
    // Jane was an analyst: the page is a team's asset her team (Meta Advertisers) does not give.
    { asset: { type: 'page', id: '222' }, userId: 'm-jane', userType: 'member', tasks: ['ANALYZE', 'DRAFT'] },
  ];
  return app;
}

async function directory(): Promise<MemoryStore> {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-owner', testUser('u-owner', 'owner@example.com'));
    tx.put('directoryUsers', hub.id, 'u-jane', testUser('u-jane', 'jane@example.com'));
    tx.put('directoryUsers', hub.id, 'u-bob', testUser('u-bob', 'bob@example.com'));
    tx.put('directoryGroups', hub.id, 'g-admins', testGroup('g-admins', 'Meta Admins', ['u-owner'], at));
    tx.put('directoryGroups', hub.id, 'g-adv', testGroup('g-adv', 'Meta Advertisers', ['u-jane', 'u-bob'], at));
  });
  return store;
}

const input = (store: MemoryStore, app: FakeApp, taskId: string, failAssignments = false): CheckInput => {
  const connector = fakeConnector(app);
  if (failAssignments) connector.failOn = { listing: 'listAssignments', kind: 'unavailable' };
  return { store, hub, connector, trigger: { type: 'admin', actor: 'test' }, taskId, now, log: silent };
};

const UNASSIGN = 'unassign:page:222:m-jane';
const BOB_ASSIGN = 'assign:ad_account:act_111:m-bob:ADVERTISE+ANALYZE';

describe('a check for updates that could not read the asset assignments', () => {
  test('complete read: the unassign of a task no team gives is planned (queued), for the hub and for the person', async () => {
    const store = await directory();
    const run = await runCheckForUpdates(input(store, business(), 't1'));
    assert.equal(run.unavailable, undefined);
    const result = await planHub(store, hub, { now: now() });
    assert.deepEqual(result.operations.map((o) => o.key).sort(), [BOB_ASSIGN, UNASSIGN]);
    assert.deepEqual(result.held, []);
    const jane = await planPerson(store, hub, { directoryUserIds: ['u-jane'], emails: [] }, { now: now() });
    assert.deepEqual(jane.operations.map((o) => o.key), [UNASSIGN]);
  });

  test('assignments unread: the same unassign is held with why (hub plan and person re-plan); the grant still goes', async () => {
    const store = await directory();
    await runCheckForUpdates(input(store, business(), 't1'));
    // The app now lists the same, but the assignments read fails: the holders are kept as last seen.
    const run = await runCheckForUpdates(input(store, business(), 't2', true));
    assert.deepEqual(run.unavailable?.map((u) => u.section), ['assignments']);
    assert.equal((await store.get('appImports', hub.id, hub.id))?.complete, true, 'the import is complete: seats may still be judged');
    assert.equal((await actualOf(store, hub.id)).assignmentsUnread, true);

    const result = await planHub(store, hub, { now: now() });
    assert.deepEqual(result.operations.map((o) => o.key), [BOB_ASSIGN]);
    assert.deepEqual(result.held.map((h) => [h.operation.key, h.why]), [[UNASSIGN, ASSIGNMENTS_UNREAD_WHY]]);
    const jane = await planPerson(store, hub, { directoryUserIds: ['u-jane'], emails: [] }, { now: now() });
    assert.deepEqual(jane.operations, []);
    assert.deepEqual(jane.held.map((h) => h.operation.key), [UNASSIGN]);

    // Read in full again: the unassign is planned again.
    await runCheckForUpdates(input(store, business(), 't3'));
    assert.equal((await actualOf(store, hub.id)).assignmentsUnread, false);
    assert.deepEqual((await planHub(store, hub, { now: now() })).operations.map((o) => o.key).sort(), [BOB_ASSIGN, UNASSIGN]);
  });
});
