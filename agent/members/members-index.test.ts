import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { configSchema } from '../../config/schema.ts';
import { MembersIndex } from './members-index.ts';
import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import '../app-state/records.ts';

const hub = configSchema.parse({ hubs: [{ id: 'h', connector: 'meta-business', meta: { businessId: '1' } }] }).hubs[0];
const at = '2026-11-01T00:00:00.000Z';
const user = (id: string, email: string): DirectoryUserRecord => ({ hubId: 'h', id, userName: email, active: true, email, emails: [email], scim: {}, created: at, lastModified: at, version: 1 });

test('directory bursts are picked up at most once per lag window; snapshot and decisions at once', async () => {
  const store = new MemoryStore();
  await store.transact((tx) => {
    tx.put('appMembers', 'h', 'm1', { hubId: 'h', id: 'm1', email: 'ann@x.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', 'h', 'm2', { hubId: 'h', id: 'm2', email: 'bob@x.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
  });
  const index = new MembersIndex(store, () => new Map([['h', hub]]), () => new Date(at), 500);
  await new Promise((r) => setTimeout(r, 600)); // the first build is "old" once the window has passed
  assert.equal(index.get('h', 'm1')?.status, 'unmatched');
  // A first directory change after a quiet spell shows at once…
  await new Promise((r) => setTimeout(r, 600));
  await store.transact((tx) => tx.put('directoryUsers', 'h', 'u1', user('u1', 'ann@x.com')));
  assert.equal(index.get('h', 'm1')?.status, 'onboarded');
  // …the next one within the window waits for it…
  await store.transact((tx) => tx.put('directoryUsers', 'h', 'u2', user('u2', 'bob@x.com')));
  assert.equal(index.get('h', 'm2')?.status, 'unmatched');
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(index.get('h', 'm2')?.status, 'onboarded');
  // …while a snapshot change rebuilds at once.
  await store.transact((tx) => tx.delete('appMembers', 'h', 'm2'));
  assert.equal(index.get('h', 'm2'), undefined);
  index.close();
});

test("an owner's decision re-builds only its row; counts, filters and orders follow", async () => {
  const store = new MemoryStore();
  await store.transact((tx) => {
    for (const [id, email] of [['m1', 'ann@x.com'], ['m2', 'bob@x.com'], ['m3', 'cy@x.com']]) tx.put('appMembers', 'h', id, { hubId: 'h', id, email, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('directoryUsers', 'h', 'u1', user('u1', 'ann@x.com'));
  });
  const index = new MembersIndex(store, () => new Map([['h', hub]]), () => new Date(at));
  assert.deepEqual(index.counts('h'), { onboarded: 1, invited: 0, unmatched: 2, guest: 0, exempted: 0 });
  assert.deepEqual(index.query('h', { sort: 'status' })!.items.map((v) => v.id), ['m1', 'm2', 'm3']);
  const before = index.get('h', 'm3');
  await store.transact((tx) => tx.put('exemptions', 'h', 'm2', { hubId: 'h', memberId: 'm2', reason: 'agency', by: 'owner', at }));
  assert.equal(index.get('h', 'm2')?.status, 'exempted');
  assert.equal(index.get('h', 'm3'), before, 'other rows are kept as they were');
  assert.deepEqual(index.counts('h'), { onboarded: 1, invited: 0, unmatched: 1, guest: 0, exempted: 1 });
  assert.deepEqual(index.query('h', { status: 'exempted' })!.items.map((v) => v.id), ['m2']);
  assert.deepEqual(index.query('h', { sort: 'status' })!.items.map((v) => v.id), ['m2', 'm1', 'm3']);
  await store.transact((tx) => tx.put('matchDecisions', 'h', 'm3', { hubId: 'h', memberId: 'm3', outcome: 'onboarded', manual: true, directoryUserId: 'u1', at }));
  assert.deepEqual([index.get('h', 'm3')?.status, index.get('h', 'm3')?.directoryUserId], ['onboarded', 'u1']);
  assert.deepEqual(index.counts('h'), { onboarded: 2, invited: 0, unmatched: 0, guest: 0, exempted: 1 });
  index.close();
});
