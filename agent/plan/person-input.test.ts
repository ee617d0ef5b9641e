import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { testHub, testUser } from '../grants/grant-fixtures.ts';
import { roleRulesOfHub } from '../grants/role-rules.ts';
import { defineStandingIndexes } from '../standing/standing.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { Store } from '../store/store.ts';
import { definePersonIndexes, personInput, PERSON_INDEX } from './person-input.ts';

const at = '2026-12-03T08:00:00.000Z';

test('a person\'s slice holds every admin (any case of the role) and no other member: the role index files admins only', async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
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
  assert.deepEqual([...ofMatches], [PERSON_INDEX.matchByDirectoryUser]);
});
