import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { testHub, testUser } from '../grants/grant-fixtures.ts';
import { connectors } from '../../connectors/registry.ts';
import type { ConnectorDefinition } from '../../connectors/sdk/connector.ts';
import { roleRulesOf, roleRulesOfHub } from '../grants/role-rules.ts';
import { defineStandingIndexes } from '../standing/standing.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { roundTrips } from '../store/round-trips.test-double.ts';
import type { Store } from '../store/store.ts';
import { definePersonIndexes, personInput, PERSON_INDEX } from './person-input.ts';
import { planPerson } from './plan-hub.ts';

const at = '2026-12-03T08:00:00.000Z';

/** A memory store with the directory's and the person plan's indexes. */
function hubStore(): Store {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  return store;
}

test('a person\'s slice holds every admin (any case of the role) and no other member: the role index files admins only', async () => {
  const store = hubStore();
  const hub = testHub();
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane@example.com'));
    tx.put('appMembers', hub.id, 'm-owner', { hubId: hub.id, id: 'm-owner', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-lower', { hubId: hub.id, id: 'm-lower', email: 'lower@example.com', role: 'admin', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-bob', { hubId: hub.id, id: 'm-bob', email: 'bob@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-jane', { hubId: hub.id, id: 'm-jane', email: 'jane@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
  });
  const { actual } = await personInput(store, hub, { directoryUserIds: ['u1'], emails: [] }, roleRulesOfHub(hub));
  assert.deepEqual(actual.members.map((m) => m.id).sort(), ['m-jane', 'm-lower', 'm-owner']);
  assert.deepEqual(await store.lookup('appMembers', PERSON_INDEX.memberByRole, `${hub.id}\u0000EMPLOYEE`), []);
  // A member promoted to admin is filed; demoted, it leaves the index.
  await store.transact((tx) => tx.put('appMembers', hub.id, 'm-bob', { hubId: hub.id, id: 'm-bob', email: 'bob@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at }));
  await store.transact((tx) => tx.put('appMembers', hub.id, 'm-owner', { hubId: hub.id, id: 'm-owner', email: 'owner@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at }));
  const admins = await store.lookup('appMembers', PERSON_INDEX.memberByRole, `${hub.id}\u0000ADMIN`);
  assert.deepEqual(admins.map((m) => m.id).sort(), ['m-bob', 'm-lower']);
});

test('the plan and standing read one index of matches by directory user, not two with the same keys', () => {
  const defined: Array<[string, string]> = [];
  const recorder = { defineIndex: (collection: string, name: string) => void defined.push([collection, name]) } as unknown as Store;
  definePersonIndexes(recorder);
  defineStandingIndexes(recorder);
  const ofMatches = new Set(defined.filter(([c]) => c === 'memberMatches').map(([, n]) => n));
  // Plus the index of disputed rows by candidate: other keys (candidates), for disputed rows only.
  assert.deepEqual([...ofMatches].sort(), [PERSON_INDEX.disputedByCandidate, PERSON_INDEX.matchByDirectoryUser].sort());
});

test('a person\'s slice is read in two round trips, three once they hold a seat: reads that need no other read\'s answer are asked for together', async () => {
  const store = hubStore();
  const hub = testHub();
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane@example.com'));
    tx.put('directoryGroups', hub.id, 'g1', { hubId: hub.id, id: 'g1', displayName: 'Meta Advertisers', members: [{ value: 'u1' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appMembers', hub.id, 'm-owner', { hubId: hub.id, id: 'm-owner', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const pushed = roundTrips(store);
  const { desired, actual } = await personInput(pushed.store, hub, { directoryUserIds: ['u1'], emails: [] }, roleRulesOfHub(hub));
  assert.deepEqual(desired.grants.map((g) => g.directoryUserId), ['u1']);
  assert.deepEqual(actual.members.map((m) => m.id), ['m-owner']);
  assert.equal(actual.complete, true);
  // One after another, the same reads were eight round trips.
  assert.equal(pushed.count(), 2);
  // An invite's re-plan names the email too.
  const replan = roundTrips(store);
  await personInput(replan.store, hub, { directoryUserIds: ['u1'], emails: ['Jane@example.com'] }, roleRulesOfHub(hub));
  assert.equal(replan.count(), 2);
  // Once they hold a seat, what it holds (its match, assignments, exemption) takes a round more.
  await store.transact((tx) => tx.put('appMembers', hub.id, 'm-jane', { hubId: hub.id, id: 'm-jane', email: 'jane@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at }));
  const seated = roundTrips(store);
  const after = await personInput(seated.store, hub, { directoryUserIds: ['u1'], emails: [] }, roleRulesOfHub(hub));
  assert.deepEqual(after.actual.members.map((m) => m.id), ['m-jane', 'm-owner']);
  assert.equal(seated.count(), 3);
});

test('a person\'s slice follows emails to other users, members and invites, and keeps the order they were met in', async () => {
  const store = hubStore();
  const hub = testHub();
  const member = (id: string, email: string, role = 'EMPLOYEE') => ({ hubId: hub.id, id, email, role, firstSeenAt: at, lastSeenAt: at });
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane@example.com'));
    // Another directory user with the same address, and one of their own.
    tx.put('directoryUsers', hub.id, 'u2', { ...testUser('u2', 'jd2@example.com'), emails: ['jane@example.com', 'jd2@example.com'] });
    tx.put('departedUsers', hub.id, 'u1', { hubId: hub.id, directoryUserId: 'u1', userName: 'jane@example.com', emails: ['old@example.com'], at });
    tx.put('memberMatches', hub.id, 'm1', { hubId: hub.id, memberId: 'm1', outcome: 'onboarded', directoryUserId: 'u1', manual: true, at });
    tx.put('appMembers', hub.id, 'm1', member('m1', 'jane.work@example.com'));
    tx.put('appMembers', hub.id, 'm2', member('m2', 'jane@example.com'));
    tx.put('appMembers', hub.id, 'm3', member('m3', 'jd2@example.com'));
    tx.put('appMembers', hub.id, 'm4', member('m4', 'old@example.com'));
    tx.put('appMembers', hub.id, 'mA', member('mA', 'boss@example.com', 'ADMIN'));
    tx.put('appMembers', hub.id, 'm9', member('m9', 'someone.else@example.com'));
    tx.put('appInvites', hub.id, 'i1', { hubId: hub.id, id: 'i1', email: 'old@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
    tx.put('exemptions', hub.id, 'm3', { hubId: hub.id, memberId: 'm3', reason: 'contractor', by: 'owner@example.com', at });
  });
  const { store: view } = roundTrips(store);
  const { desired, actual, person } = await personInput(view, hub, { directoryUserIds: ['u1'], emails: [] }, roleRulesOfHub(hub));
  assert.deepEqual(desired.grants.map((g) => g.directoryUserId), ['u1', 'u2']);
  assert.deepEqual(person.directoryUserIds, ['u1', 'u2']);
  assert.deepEqual(person.emails, ['jane@example.com', 'old@example.com', 'jane.work@example.com', 'jd2@example.com']);
  assert.deepEqual(actual.members.map((m) => m.id), ['m1', 'm2', 'm4', 'm3', 'mA']);
  assert.deepEqual(actual.invites.map((i) => i.id), ['i1']);
  assert.deepEqual(actual.matches.map((m) => m.memberId), ['m1']);
  assert.deepEqual(actual.exemptions.map((x) => x.memberId), ['m3']);
  assert.deepEqual(desired.departed, [{ directoryUserId: 'u1', emails: ['old@example.com'] }]);
  assert.equal(actual.complete, false);
});

test("a seat disputed between the person (whose email changed) and another user is in the person's slice, so their plan does not invite them again", async () => {
  const store = hubStore();
  const hub = testHub();
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-jane', testUser('u-jane', 'jane.new@example.com'));
    tx.put('directoryUsers', hub.id, 'u-hire', testUser('u-hire', 'jane@example.com'));
    tx.put('directoryGroups', hub.id, 'g1', { hubId: hub.id, id: 'g1', displayName: 'Meta Advertisers', members: [{ value: 'u-jane' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appMembers', hub.id, 'm-owner', { hubId: hub.id, id: 'm-owner', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-jane', { hubId: hub.id, id: 'm-jane', email: 'jane@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
    tx.put('memberMatches', hub.id, 'm-jane', { hubId: hub.id, memberId: 'm-jane', outcome: 'unmatched', manual: false, candidates: ['u-hire', 'u-jane'], at });
  });
  const result = await planPerson(store, hub, { directoryUserIds: ['u-jane'], emails: [] }, { now: new Date(at) });
  assert.deepEqual(result.operations.map((o) => o.summary), []);
});

test("a person's slice holds the admins of an app whose admin role is not named ADMIN (a test connector's `owner`), and no other app's", async () => {
  // An organization-style app: roles owner > member, owner administers (connectors/sdk/definition.ts `roles`).
  const orgRules = roleRulesOf({ id: 'org-test', roles: { ranking: ['owner', 'member'], assignable: ['member'], admin: 'owner' }, assetTypes: {} } as unknown as ConnectorDefinition);
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store, ['ADMIN', 'owner']);
  const hub = testHub();
  const member = (id: string, role: string) => ({ hubId: hub.id, id, email: `${id}@example.com`, role, firstSeenAt: at, lastSeenAt: at });
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-ann', testUser('u-ann', 'ann@example.com'));
    tx.put('appMembers', hub.id, 'ann', member('ann', 'owner'));
    tx.put('appMembers', hub.id, 'bob', member('bob', 'Owner'));
    tx.put('appMembers', hub.id, 'eve', member('eve', 'member'));
    tx.put('appMembers', hub.id, 'max', member('max', 'ADMIN'));
  });
  // Without Bob, Ann's plan took her for the last admin and held her removal or demotion.
  const { actual } = await personInput(store, hub, { directoryUserIds: ['u-ann'], emails: [] }, orgRules);
  assert.deepEqual(actual.members.map((m) => m.id).sort(), ['ann', 'bob']);
  assert.deepEqual(actual.members.filter((m) => orgRules.isAdmin(m.role)).map((m) => m.id).sort(), ['ann', 'bob']);
  // A hub whose admin role is ADMIN does not count an `owner` (another app's admin role) as one.
  const theirs = await personInput(store, hub, { directoryUserIds: ['u-ann'], emails: [] }, roleRulesOfHub(hub));
  assert.deepEqual(theirs.actual.members.map((m) => m.id).sort(), ['ann', 'max']);
});

test('the admin index files the admin role of every registered connector by default', () => {
  let keysOf: ((m: { role: string }, hub: string) => string[]) | undefined;
  const recorder = { defineIndex: (_c: string, name: string, fn: typeof keysOf) => { if (name === PERSON_INDEX.memberByRole) keysOf = fn; } } as unknown as Store;
  definePersonIndexes(recorder);
  for (const c of connectors) assert.deepEqual(keysOf!({ role: c.roles.admin.toLowerCase() }, 'h'), ['h\u0000ADMIN'], c.id);
  assert.deepEqual(keysOf!({ role: 'some-other-role' }, 'h'), []);
});
