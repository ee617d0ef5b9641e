import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { completeImport, testGroup, testHub, testSeat, testUser } from '../grants/grant-fixtures.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { replanRehireAfterRemoval } from '../tasks/operations/rehire-after-removal.ts';
import { definePersonIndexes } from './person-input.ts';
import { removeMemberOperation } from './removal.ts';
import { planHub, planPerson } from './plan-hub.ts';

// A person's plan (planPerson: one directory user's slice) and the hub's plan must agree on whose a
// seat is: the person's plan runs on every SCIM push and acts at once.
const at = '2026-12-03T08:00:00.000Z';
const hub = testHub();

function hubStore(): MemoryStore {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  return store;
}

/** A user Entra sent without `emails` (no mailbox: `mail` empty), known by an email-like userName. */
const withoutMailbox = (id: string, userName: string): DirectoryUserRecord => {
  const { email: _none, ...user } = testUser(id, userName);
  return { ...user, emails: [] };
};

test("a new user given a leaver's old address does not remove, as deleted, the seat matched to the person who still holds it", async () => {
  const store = hubStore();
  await store.transact((tx) => {
    // Ann's seat was matched to her; the IdP changed her email since (the app still lists the old one).
    tx.put('directoryUsers', hub.id, 'u-ann', testUser('u-ann', 'ann.new@example.com'));
    tx.put('directoryUsers', hub.id, 'u-new', { ...testUser('u-new', 'ann@example.com'), userName: 'new.hire' });
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', 'Meta Advertisers', ['u-ann'], at));
    tx.put('appMembers', hub.id, 'm-ann', testSeat('m-ann', 'ann@example.com', 'EMPLOYEE', at));
    tx.put('memberMatches', hub.id, 'm-ann', { hubId: hub.id, memberId: 'm-ann', outcome: 'onboarded', manual: false, directoryUserId: 'u-ann', reason: 'matched by directory user; email changed in the IdP', at });
    tx.put('appImports', hub.id, hub.id, completeImport(at));
  });
  const theirs = await planPerson(store, hub, { directoryUserIds: ['u-new'], emails: [] }, { now: new Date(at) });
  assert.deepEqual([...theirs.operations, ...theirs.held.map((h) => h.operation)].map((o) => o.summary), [], 'not removed, and no one invited to the seated address');
  // As the hub's plan: another user's email names the row now, so it waits for the check for
  // updates to dispute it (match-members.ts), seated meanwhile; Ann is not invited at her new address.
  const hubs = await planHub(store, hub, { now: new Date(at) });
  assert.deepEqual(hubs.operations.map((o) => o.summary), []);
  const anns = await planPerson(store, hub, { directoryUserIds: ['u-ann'], emails: [] }, { now: new Date(at) });
  assert.deepEqual(anns.operations.map((o) => o.summary), []);
});

test("a person's plan counts a user sent without emails among an address's holders, as matching does: a deactivated namesake's plan leaves that user's seat alone", async () => {
  const store = hubStore();
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-ann', withoutMailbox('u-ann', 'ann@example.com'));
    // Another account with the address in `emails`, deactivated.
    tx.put('directoryUsers', hub.id, 'u-old', { ...testUser('u-old', 'ann@example.com', false), userName: 'ann.old' });
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', 'Meta Advertisers', ['u-ann'], at));
    tx.put('appMembers', hub.id, 'm-ann', testSeat('m-ann', 'ann@example.com', 'EMPLOYEE', at));
    tx.put('appImports', hub.id, hub.id, completeImport(at));
  });
  const hubs = await planHub(store, hub, { now: new Date(at) });
  assert.deepEqual(hubs.operations.map((o) => o.kind), ['assign-asset'], "the hub's plan: Ann's seat (the one active holder)");
  const old = await planPerson(store, hub, { directoryUserIds: ['u-old'], emails: [] }, { now: new Date(at) });
  assert.ok(!old.operations.some((o) => o.kind === 'remove-member'), `the deactivated account's plan removed Ann's seat: ${old.operations.map((o) => o.summary).join('; ')}`);
  assert.deepEqual(old.operations.map((o) => o.kind), ['assign-asset'], 'the slice reads Ann too, and plans as the hub does');
});

test("a leaver's seat removed: the one other active holder of its email is re-planned, a user sent without emails too", async () => {
  const store = hubStore();
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-old', { ...testUser('u-old', 'ann@example.com', false), userName: 'ann.old' });
    tx.put('directoryUsers', hub.id, 'u-ann', withoutMailbox('u-ann', 'Ann@Example.com'));
  });
  const op = removeMemberOperation(testSeat('m-ann', 'ann@example.com', 'EMPLOYEE', at), { reason: 'deactivated', because: 'deactivated in the directory', directoryUserId: 'u-old' });
  await store.transact((tx) => replanRehireAfterRemoval(tx, hub.id, op, 't-remove', new Date(at)));
  const tasks = await collect(store.list('tasks', hub.id));
  assert.deepEqual(tasks.map((t) => [t.kind, (t.payload as { directoryUserId?: string }).directoryUserId]), [['reconcile-person', 'u-ann']]);
});
