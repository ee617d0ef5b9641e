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
