import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { testHub, testUser } from '../grants/grant-fixtures.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { definePersonIndexes } from './person-input.ts';
import { formatPlan, planHub, planPerson, toPlannedOperations } from './plan-hub.ts';
import { actualOf, desiredOf, grantNeedsOf } from './plan-input.ts';
import { plan } from './plan.ts';
import { roleRulesOfHub } from '../grants/role-rules.ts';

/** A memory store with the directory's and the person plan's indexes. */
function indexedStore(): MemoryStore {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  return store;
}

test('dry run: planHub reads the store, prints the plan and changes nothing; a person\'s plan is the same slice', async () => {
  const store = indexedStore();
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
  const store = indexedStore();
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

test('a whole-hub plan keeps only the grants it can use, and plans as with every directory user\'s grant', async () => {
  const store = indexedStore();
  const hub = testHub();
  const at = '2026-11-23T12:00:00.000Z';
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane@example.com'));
    tx.put('directoryUsers', hub.id, 'u2', testUser('u2', 'bob@example.com', false));
    tx.put('directoryUsers', hub.id, 'u3', testUser('u3', 'Carol@Example.com'));
    tx.put('directoryUsers', hub.id, 'u4', { ...testUser('u4', 'dan@example.com'), email: undefined, emails: [], userName: 'Dan@Example.com' });
    for (let i = 0; i < 300; i++) tx.put('directoryUsers', hub.id, `other${i}`, testUser(`other${i}`, `other${i}@example.com`));
    tx.put('directoryGroups', hub.id, 'g1', { hubId: hub.id, id: 'g1', displayName: 'meta advertisers', members: [{ value: 'u1' }, { value: 'u2' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('directoryGroups', hub.id, 'g2', { hubId: hub.id, id: 'g2', displayName: 'Everyone', members: [{ value: 'u3' }, ...Array.from({ length: 300 }, (_, i) => ({ value: `other${i}` }))], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appMembers', hub.id, 'm-admin', { hubId: hub.id, id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-bob', { hubId: hub.id, id: 'm-bob', email: 'bob@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-carol', { hubId: hub.id, id: 'm-carol', email: 'carol@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appInvites', hub.id, 'i-dan', { hubId: hub.id, id: 'i-dan', email: 'dan@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: false, resendCount: 0, lastSeenAt: at });
    tx.put('memberMatches', hub.id, 'm-bob', { hubId: hub.id, memberId: 'm-bob', outcome: 'onboarded', manual: false, directoryUserId: 'u2', at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const actual = await actualOf(store, hub.id);
  const rules = roleRulesOfHub(hub);
  const kept = await desiredOf(store, hub, rules, grantNeedsOf(actual));
  // u1 is owed a seat; u2 is matched to m-bob; u3 (by email, case aside) and u4 (by the userName
  // its grant takes as email) hold rows. None of the 300 others: no seat, no row.
  assert.deepEqual(kept.grants.map((g) => g.directoryUserId), ['u1', 'u2', 'u3', 'u4']);
  const whole = await desiredOf(store, hub, rules);
  assert.equal(whole.grants.length, 304);
  const now = { now: at, rules, drift: hub.safety.drift };
  assert.deepEqual(await planHub(store, hub, { now: new Date(at) }), plan(whole, actual, now));
  assert.deepEqual(plan(kept, actual, now).operations.map((o) => o.key), ['invite:jane@example.com', 'remove:m-bob', 'remove:m-carol', 'cancel:i-dan']);
});

test('a pending invite matched to the person under another email is their seat in their own plan too: no second invite', async () => {
  const store = indexedStore();
  const hub = testHub();
  const at = '2026-11-23T12:00:00.000Z';
  await store.transact((tx) => {
    // Jane's emails were changed in the IdP (or an owner matched an invite sent to her old address).
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane.doe@example.com'));
    tx.put('directoryGroups', hub.id, 'g1', { hubId: hub.id, id: 'g1', displayName: 'Meta Advertisers', members: [{ value: 'u1' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appInvites', hub.id, 'i7', { hubId: hub.id, id: 'i7', email: 'jane@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
    tx.put('memberMatches', hub.id, 'invite:i7', { hubId: hub.id, memberId: 'invite:i7', outcome: 'onboarded', directoryUserId: 'u1', manual: true, at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const whole = await planHub(store, hub, { now: new Date(at) });
  assert.deepEqual(whole.operations, [], 'the hub plan sees the matched invite as Jane\'s seat');
  const person = await planPerson(store, hub, { directoryUserIds: ['u1'], emails: ['jane.doe@example.com'] }, { now: new Date(at) });
  assert.deepEqual(person.operations.map((o) => o.summary), [], 'her own plan (a group change, the re-plan before an invite) must not invite her again');
  // Moved to the admins, the pending invite's role follows (the invite is in her slice).
  await store.transact((tx) => tx.put('directoryGroups', hub.id, 'g1', { hubId: hub.id, id: 'g1', displayName: 'Meta Admins', members: [{ value: 'u1' }], scim: {}, created: at, lastModified: at, version: 2 }));
  const moved = await planPerson(store, hub, { directoryUserIds: ['u1'], emails: ['jane.doe@example.com'] }, { now: new Date(at) });
  assert.deepEqual(moved.operations.map((o) => o.kind), ['change-invite-role']);
});

test('a user the IdP sent without emails (an Entra user without a mailbox) is found by their email-like userName in their own plan', async () => {
  const store = indexedStore();
  const hub = testHub();
  const at = '2026-11-23T12:00:00.000Z';
  const group = (displayName: string, version: number) => ({ hubId: hub.id, id: 'g1', displayName, members: [{ value: 'u1' }], scim: {}, created: at, lastModified: at, version });
  await store.transact((tx) => {
    const { email: _none, ...noMail } = testUser('u1', 'jane@example.com');
    tx.put('directoryUsers', hub.id, 'u1', { ...noMail, emails: [] });
    tx.put('directoryGroups', hub.id, 'g1', group('Meta Advertisers', 1));
    tx.put('appMembers', hub.id, 'm-admin', { hubId: hub.id, id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    // The invite hubwarden sent to her userName, accepted before any check for updates matched it.
    tx.put('appMembers', hub.id, 'm-jane', { hubId: hub.id, id: 'm-jane', email: 'jane@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appAssignments', hub.id, 'ad_account:act_111:m-jane', { hubId: hub.id, key: 'ad_account:act_111:m-jane', asset: { type: 'ad_account', id: 'act_111' }, userId: 'm-jane', userType: 'member', tasks: ['ADVERTISE', 'ANALYZE'] });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const mine = () => planPerson(store, hub, { directoryUserIds: ['u1'], emails: [] }, { now: new Date(at) });
  assert.deepEqual((await planHub(store, hub, { now: new Date(at) })).operations, [], 'the hub plan sees her seat');
  assert.deepEqual((await mine()).operations.map((o) => o.summary), [], 'no invite for a seat she holds');
  // Moved to the admins: her own plan raises the seat she holds (not a second invite).
  await store.transact((tx) => tx.put('directoryGroups', hub.id, 'g1', group('Meta Admins', 2)));
  assert.deepEqual((await mine()).operations.map((o) => o.kind).sort(), ['assign-asset', 'change-member-role']);
});

// Okta's suspension and an offboarding leave the person inactive as a deactivation does, but the
// removal's why (its summary, in the audit log) said "deactivated in the directory" of all three.
test('a removal says what made the person inactive: deactivated, suspended, or offboarded', async () => {
  const store = indexedStore();
  const hub = testHub();
  const at = '2026-11-23T12:00:00.000Z';
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'dee@example.com', false));
    tx.put('directoryUsers', hub.id, 'u2', { ...testUser('u2', 'sue@example.com'), suspended: { at, by: 'okta' } });
    tx.put('directoryUsers', hub.id, 'u3', { ...testUser('u3', 'ollie@example.com'), offboarded: { at, by: 'admin' } });
    for (const [id, email] of [['m-dee', 'dee@example.com'], ['m-sue', 'sue@example.com'], ['m-ollie', 'ollie@example.com']]) tx.put('appMembers', hub.id, id!, { hubId: hub.id, id: id!, email, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-admin', { hubId: hub.id, id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const result = await planHub(store, hub, { now: new Date(at) });
  const why = Object.fromEntries([...result.operations, ...result.held.map((h) => h.operation)].map((o) => [o.key, o.summary.split(': ').at(-1)]));
  assert.equal(why['remove:m-dee'], 'deactivated in the directory');
  assert.equal(why['remove:m-sue'], 'suspended in the directory');
  assert.equal(why['remove:m-ollie'], 'offboarded');
});
