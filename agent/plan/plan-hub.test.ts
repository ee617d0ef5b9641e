import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { testHub, testUser } from '../grants/grant-fixtures.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { definePersonIndexes } from './person-input.ts';
import { formatPlan, planHub, planPerson, toPlannedOperations } from './plan-hub.ts';

test('dry run: planHub reads the store, prints the plan and changes nothing; a person\'s plan is the same slice', async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  const hub = testHub();
  const at = '2026-11-23T12:00:00.000Z';
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane@example.com'));
    tx.put('directoryUsers', hub.id, 'u2', testUser('u2', 'bob@example.com', false));
    tx.put('directoryGroups', hub.id, 'g1', { hubId: hub.id, id: 'g1', displayName: 'Meta Advertisers', members: [{ value: 'u1' }, { value: 'u2' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appMembers', hub.id, 'm-admin', { hubId: hub.id, id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-bob', { hubId: hub.id, id: 'm-bob', email: 'bob@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const everything = async () => JSON.stringify(await Promise.all(['directoryUsers', 'directoryGroups', 'appMembers', 'tasks', 'audit'].map((c) => collect(store.list(c as 'appMembers', hub.id)))));
  const before = await everything();
  const result = await planHub(store, hub, { now: new Date(at) });
  assert.deepEqual(result.operations.map((o) => o.kind), ['invite', 'remove-member']);
  const text = formatPlan(hub.id, result);
  assert.match(text, /plan for hub meta-main: 2 operation\(s\) \(dry run, nothing changed\)/);
  assert.match(text, /invite jane@example.com as EMPLOYEE/);
  assert.match(text, /remove bob@example.com \(EMPLOYEE\) from the business: deactivated in the directory/);
  assert.deepEqual(toPlannedOperations(result).map((o) => o.memberId), [undefined, 'm-bob']);
  assert.equal(await everything(), before, 'nothing changed');
  const bob = await planPerson(store, hub, { directoryUserIds: ['u2'], emails: [] }, { now: new Date(at) });
  assert.deepEqual(bob.operations.map((o) => o.key), ['remove:m-bob']);
});

test('a person\'s slice knows which admins are system users: the last human admin is held, as in the hub\'s plan', async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  const hub = testHub();
  const at = '2026-11-23T12:00:00.000Z';
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane@example.com', false));
    tx.put('appMembers', hub.id, 'bot', { hubId: hub.id, id: 'bot', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appSystemUsers', hub.id, 'bot', { hubId: hub.id, id: 'bot', role: 'ADMIN' });
    tx.put('appMembers', hub.id, 'm-jane', { hubId: hub.id, id: 'm-jane', email: 'jane@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const jane = await planPerson(store, hub, { directoryUserIds: ['u1'], emails: [] }, { now: new Date(at) });
  assert.deepEqual(jane.operations, []);
  assert.deepEqual(jane.held.map((h) => [h.operation.key, h.why]), [['remove:m-jane', 'the last admin of the business is never removed or demoted']]);
  assert.deepEqual(jane, await planHub(store, hub, { now: new Date(at) }));
});
