import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { configSchema } from '../../config/schema.ts';
import { buildHubMembers } from './member-view.ts';
import { MembersIndex } from './members-index.ts';
import { countOtherSeats } from './other-seats.ts';
import { defineDirectoryIndexes, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import '../app-state/records.ts';
import '../dispatch/departed-user.ts';

/** One person, several seats (other-seats.ts): flagged on the full build, counted from stored matches. */
const hub = configSchema.parse({ hubs: [{ id: 'h', connector: 'meta-business', meta: { businessId: '1' }, teams: [{ group: 'Sales', appRole: 'EMPLOYEE' }] }] }).hubs[0];
const at = '2026-11-01T00:00:00.000Z';
const user = (id: string, emails: string[]): DirectoryUserRecord =>
  ({ hubId: 'h', id, userName: emails[0], active: true, email: emails[0], emails, scim: {}, created: at, lastModified: at, version: 1 });

async function seeded(): Promise<MemoryStore> {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  await store.transact((tx) => {
    for (const [id, email] of [['m1', 'ann@x.com'], ['m2', 'ann@home.example'], ['m3', 'bob@x.com'], ['m4', 'cy@x.com']]) {
      tx.put('appMembers', 'h', id, { hubId: 'h', id, email, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    }
    // Cy holds a seat and a pending invite at a second address: a second seat once accepted.
    tx.put('appInvites', 'h', 'i1', { hubId: 'h', id: 'i1', email: 'cy@other.example', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: false, resendCount: 0, lastSeenAt: at });
    tx.put('directoryUsers', 'h', 'u-ann', user('u-ann', ['ann@x.com', 'ann@home.example']));
    tx.put('directoryUsers', 'h', 'u-bob', user('u-bob', ['bob@x.com']));
    tx.put('directoryUsers', 'h', 'u-cy', user('u-cy', ['cy@x.com', 'cy@other.example']));
  });
  return store;
}

test('members view: each seat or invite of a person holding another carries the others; a single seat none', async () => {
  const store = await seeded();
  const { views } = await buildHubMembers(store, hub, new Date(at));
  assert.deepEqual(views.map((v) => [v.id, v.status, v.otherSeats]), [
    ['m1', 'onboarded', ['m2']],
    ['m2', 'onboarded', ['m1']],
    ['m3', 'onboarded', undefined],
    ['m4', 'onboarded', ['invite:i1']],
    ['invite:i1', 'invited', ['m4']],
  ]);
  assert.equal('otherSeats' in views[2], false, 'no key on a single seat');
});

test('members index: flag=other-seats pages only the flagged rows; an unknown flag is refused', async () => {
  const store = await seeded();
  const index = new MembersIndex(store, () => new Map([['h', hub]]), () => new Date(at), 50);
  const page = (await index.query('h', { flag: 'other-seats', limit: 2 }))!;
  assert.deepEqual([page.total, page.items.map((v) => v.id)], [4, ['m2', 'm1']]);
  assert.deepEqual((await index.query('h', { flag: 'other-seats', status: 'invited' }))!.items.map((v) => v.id), ['invite:i1']);
  await assert.rejects(index.query('h', { flag: 'twins' as never }), /flag must be one of other-seats/);
  index.close();
});

test('countOtherSeats: onboarded matches of one directory user on member and invite rows; partners, exempted and unmatched rows do not count', () => {
  const m = (memberId: string, outcome: 'onboarded' | 'exempted' | 'unmatched', directoryUserId?: string) => ({ memberId, outcome, ...(directoryUserId ? { directoryUserId } : {}) });
  assert.equal(countOtherSeats([m('1', 'onboarded', 'u1'), m('invite:2', 'onboarded', 'u1'), m('3', 'onboarded', 'u2')]), 2);
  assert.equal(countOtherSeats([m('1', 'onboarded', 'u1'), m('partner:9:1', 'onboarded', 'u1'), m('2', 'exempted', 'u1'), m('3', 'unmatched')]), 0);
});
