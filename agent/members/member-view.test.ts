import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { configSchema } from '../../config/schema.ts';
import { buildHubMembers } from './member-view.ts';
import { MembersIndex } from './members-index.ts';
import { defineDirectoryIndexes, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import '../app-state/records.ts';
import '../dispatch/departed-user.ts';

const hub = configSchema.parse({ hubs: [{ id: 'h', connector: 'meta-business', meta: { businessId: '1' }, teams: [{ group: 'Sales', appRole: 'EMPLOYEE' }] }] }).hubs[0];
const at = '2026-11-01T00:00:00.000Z';
const user = (id: string, email: string, extra: Partial<DirectoryUserRecord> = {}): DirectoryUserRecord =>
  ({ hubId: 'h', id, userName: email, active: true, email, emails: [email], scim: {}, created: at, lastModified: at, version: 1, ...extra });

async function seeded(): Promise<MemoryStore> {
  const store = new MemoryStore();
  defineDirectoryIndexes(store); // a patch matches its rows through them (MembersIndex defines them)
  await store.transact((tx) => {
    for (const [id, email] of [['m1', 'ann@x.com'], ['m2', 'bob@x.com'], ['m3', 'cy@x.com'], ['m4', 'dee@x.com'], ['m5', 'eve@x.com'], ['m6', 'fay@x.com']]) {
      tx.put('appMembers', 'h', id, { hubId: 'h', id, email, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    }
    tx.put('directoryUsers', 'h', 'u1', user('u1', 'ann@x.com'));
    tx.put('directoryUsers', 'h', 'u2', user('u2', 'bob@x.com', { active: false }));
    tx.put('directoryUsers', 'h', 'u3', user('u3', 'cy@x.com', { suspended: { at, by: 'okta-event-hook' } }));
    // Fay was offboarded by a leaver workflow while the IdP still pushes her active.
    tx.put('directoryUsers', 'h', 'u6', user('u6', 'fay@x.com', { offboarded: { at, by: 'entra-lifecycle' } }));
    // Dee was deleted in the IdP (SCIM DELETE): her user record is gone, her seat not yet.
    tx.put('departedUsers', 'h', 'u4', { hubId: 'h', directoryUserId: 'u4', userName: 'dee@x.com', emails: ['Dee@x.com'], at });
    tx.put('directoryGroups', 'h', 'g1', { hubId: 'h', id: 'g1', displayName: 'Sales', members: [{ value: 'u1' }, { value: 'u2' }, { value: 'u3' }, { value: 'u6' }], scim: {}, created: at, lastModified: at, version: 1 });
  });
  return store;
}

test("members view: each matched row says where its directory user stands in the IdP; a deleted user's row says deleted", async () => {
  const store = await seeded();
  const { views } = await buildHubMembers(store, hub, new Date(at));
  const byId = new Map(views.map((v) => [v.id, v]));
  // Bob and Cy still show the group that granted them (their seats wait for removal): the status says why.
  assert.deepEqual(views.map((v) => [v.id, v.status, v.grantedBy.join(), v.directoryStatus]), [
    ['m1', 'onboarded', 'Sales', 'active'],
    ['m2', 'onboarded', 'Sales', 'deactivated'],
    ['m3', 'onboarded', 'Sales', 'suspended'],
    ['m4', 'unmatched', '', 'deleted'],
    ['m5', 'unmatched', '', undefined],
    ['m6', 'onboarded', 'Sales', 'offboarded'],
  ]);
  assert.equal('directoryStatus' in byId.get('m5')!, false, 'no key on a row with no directory user');
  // A patch of a few rows (an owner's decision) says the same.
  const patched = await buildHubMembers(store, hub, new Date(at), new Set(['m3', 'm4']));
  assert.deepEqual(patched.views.map((v) => v.directoryStatus), ['suspended', 'deleted']);
});

test('members index: filtering by directoryStatus; a suspension shows after the directory lag', async () => {
  const store = await seeded();
  const index = new MembersIndex(store, () => new Map([['h', hub]]), () => new Date(at), 50);
  assert.deepEqual((await index.query('h', { directoryStatus: 'suspended' }))!.items.map((v) => v.id), ['m3']);
  assert.deepEqual((await index.query('h', { directoryStatus: 'offboarded' }))!.items.map((v) => v.id), ['m6']);
  assert.deepEqual((await index.query('h', { status: 'onboarded', directoryStatus: 'active' }))!.items.map((v) => v.id), ['m1']);
  await assert.rejects(index.query('h', { directoryStatus: 'gone' as never }), /directoryStatus must be one of active, deactivated, suspended, offboarded, deleted/);
  await new Promise((r) => setTimeout(r, 60));
  await store.transact((tx) => tx.put('directoryUsers', 'h', 'u1', user('u1', 'ann@x.com', { suspended: { at, by: 'okta-event-hook' } })));
  await new Promise((r) => setTimeout(r, 60));
  assert.equal((await index.get('h', 'm1'))?.directoryStatus, 'suspended');
  index.close();
});

test('members view: a seat the app has marked for removal says so (removalPending); other seats carry no such key', async () => {
  const store = await seeded();
  await store.transact((tx) => tx.put('appMembers', 'h', 'm1', { hubId: 'h', id: 'm1', email: 'ann@x.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at, removalPending: true }));
  const byId = new Map((await buildHubMembers(store, hub, new Date(at))).views.map((v) => [v.id, v]));
  assert.equal(byId.get('m1')!.removalPending, true);
  assert.equal('removalPending' in byId.get('m5')!, false);
});
