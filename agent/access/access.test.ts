/**
 * What a signed-in person may manage (hub roles from the directory) and what they hold (My
 * access), read from a store seeded the way SCIM and a check for updates write it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema, withCollections } from '../../config/schema.ts';
import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { accessStore, directoryGroup, directoryUser, SEEDED_AT as at, seedDirectory } from './directory-fixtures.ts';
import { offerIdOf } from '../offers/offer-record.ts';
import { highestHubRole, lowestHubRole, personOnHubs, roleMay } from './hub-access.ts';
import { holdingsOf } from './my-access.ts';

const file = configSchema.parse({
  collections: [{ id: 'brand', label: 'Brand pages', description: 'Pages of the brand team' }],
  hubs: [
    {
      id: 'hub-a', label: 'Hub A', connector: 'meta-business', meta: { businessId: '1' },
      teams: [
        { group: 'A Owners', hubRole: 'owner', appRole: 'ADMIN' },
        { group: 'A IT', hubRole: 'owner', seat: false },
        { group: 'A Managers', hubRole: 'manager', appRole: 'EMPLOYEE' },
        { group: 'A Staff', appRole: 'EMPLOYEE', assets: [{ type: 'ad_account', id: 'act_1', tasks: ['ADVERTISE', 'ANALYZE'] }] },
        { group: 'A Brand', appRole: 'EMPLOYEE', collection: 'brand', assets: [{ type: 'page', id: '222', tasks: ['ANALYZE'] }] },
      ],
    },
    { id: 'hub-b', connector: 'meta-business', meta: { businessId: '2' }, teams: [{ group: 'B Staff', appRole: 'EMPLOYEE' }] },
  ],
});
const hubs = withCollections(file);
const NOW = new Date('2026-11-20T00:00:00.000Z');

function user(hubId: string, id: string, emails: string[], active = true): DirectoryUserRecord {
  return directoryUser(hubId, id, emails, { active });
}

async function seeded() {
  const store = await accessStore();
  await seedDirectory(store, [
    user('hub-a', 'a-olivia', ['Olivia@Acme.example']), user('hub-b', 'b-olivia', ['olivia@acme.example']),
    user('hub-a', 'a-ivan', ['ivan@acme.example']), user('hub-a', 'a-max', ['max@acme.example']),
    user('hub-a', 'a-cora', ['cora@acme.example', 'cora.old@acme.example']), user('hub-a', 'a-gone', ['gone@acme.example'], false),
    user('hub-a', 'a-lone', ['lone@acme.example']),
  ], [
    directoryGroup('hub-a', 'g-owners', 'A Owners', ['a-olivia', 'a-gone']),
    directoryGroup('hub-a', 'g-it', 'A IT', ['a-ivan']),
    directoryGroup('hub-a', 'g-managers', 'A Managers', ['a-max']),
    directoryGroup('hub-a', 'g-staff', 'A Staff', ['a-cora', 'a-olivia']),
    directoryGroup('hub-a', 'g-brand', 'A Brand', ['a-cora']),
    directoryGroup('hub-b', 'g-b-staff', 'B Staff', ['b-olivia']),
  ]);
  await store.transact((tx) => {
    // Cora's seat in the app, matched to her, with her ad account tasks; and a pending invite to her old address.
    tx.put('appMembers', 'hub-a', 'm-cora', { hubId: 'hub-a', id: 'm-cora', email: 'cora@acme.example', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('memberMatches', 'hub-a', 'm-cora', { hubId: 'hub-a', memberId: 'm-cora', outcome: 'onboarded', directoryUserId: 'a-cora', manual: false, at });
    tx.put('appAssets', 'hub-a', 'ad_account:act_1', { hubId: 'hub-a', type: 'ad_account', id: 'act_1', name: 'Main account', ownership: 'owned' });
    tx.put('appAssignments', 'hub-a', 'ad_account:act_1:m-cora', { hubId: 'hub-a', key: 'ad_account:act_1:m-cora', asset: { type: 'ad_account', id: 'act_1' }, userId: 'm-cora', userType: 'member', tasks: ['ADVERTISE', 'ANALYZE'] });
    tx.put('appInvites', 'hub-a', 'inv-9', { hubId: 'hub-a', id: 'inv-9', email: 'Cora.Old@acme.example', role: 'EMPLOYEE', status: 'pending', createdAt: at, expiresAt: '2026-12-01T00:00:00.000Z', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
    tx.put('appInvites', 'hub-a', 'inv-8', { hubId: 'hub-a', id: 'inv-8', email: 'cora@acme.example', role: 'EMPLOYEE', status: 'expired', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
    const offerId = offerIdOf('hub-a', 'a-cora', 'A Brand');
    tx.put('offers', 'hub-a', offerId, {
      id: offerId, hubId: 'hub-a', directoryUserId: 'a-cora', email: 'cora@acme.example', group: 'A Brand', collection: 'brand', appRole: 'EMPLOYEE',
      assets: [{ type: 'page', id: '222', tasks: ['ANALYZE'] }], status: 'offered', offeredAt: at, expiresAt: '2026-12-01T00:00:00.000Z', membership: 'a brand,a staff',
    });
  });
  return store;
}

describe('hub roles from the directory', () => {
  test('rights: owners manage and see settings, managers manage, collaborators and nobody neither', () => {
    assert.deepEqual([roleMay('owner', 'manage'), roleMay('owner', 'settings')], [true, true]);
    assert.deepEqual([roleMay('manager', 'manage'), roleMay('manager', 'settings')], [true, false]);
    assert.deepEqual([roleMay('collaborator', 'manage'), roleMay(undefined, 'manage')], [false, false]);
    assert.equal(highestHubRole(['collaborator', undefined, 'owner', 'manager']), 'owner');
    assert.equal(highestHubRole([]), undefined);
    // What a person who may be any of several directory users certainly holds (hub-access.ts signInOnHub).
    assert.equal(lowestHubRole(['owner', 'collaborator', 'manager']), 'collaborator');
    assert.equal(lowestHubRole(['owner', 'manager']), 'manager');
    assert.equal(lowestHubRole(['owner', undefined]), undefined);
    assert.equal(lowestHubRole([]), undefined);
  });

  test('a person is found by email (any case) on each hub; the highest role over their mapped groups wins', async () => {
    const store = await seeded();
    assert.deepEqual(await personOnHubs(store, hubs, 'OLIVIA@acme.example'), [
      { hubId: 'hub-a', hubRole: 'owner', directoryUserIds: ['a-olivia'], emails: ['olivia@acme.example'], ownDirectoryUserIds: ['a-olivia'] },
      { hubId: 'hub-b', hubRole: 'collaborator', directoryUserIds: ['b-olivia'], emails: ['olivia@acme.example'], ownDirectoryUserIds: ['b-olivia'] },
    ]);
    assert.deepEqual(await personOnHubs(store, hubs, 'ivan@acme.example'), [{ hubId: 'hub-a', hubRole: 'owner', directoryUserIds: ['a-ivan'], emails: ['ivan@acme.example'], ownDirectoryUserIds: ['a-ivan'] }], 'a seat-less owner is an owner');
    assert.deepEqual(await personOnHubs(store, hubs, 'max@acme.example'), [{ hubId: 'hub-a', hubRole: 'manager', directoryUserIds: ['a-max'], emails: ['max@acme.example'], ownDirectoryUserIds: ['a-max'] }]);
    assert.deepEqual(await personOnHubs(store, hubs, 'cora.old@acme.example'), [{ hubId: 'hub-a', hubRole: 'collaborator', directoryUserIds: ['a-cora'], emails: ['cora.old@acme.example', 'cora@acme.example'], ownDirectoryUserIds: ['a-cora'] }], 'any of their emails, and all of them');
    assert.deepEqual(await personOnHubs(store, hubs, 'gone@acme.example'), [{ hubId: 'hub-a', directoryUserIds: ['a-gone'], emails: ['gone@acme.example'], ownDirectoryUserIds: ['a-gone'] }], 'deactivated: no role, though in the owners group');
    assert.deepEqual(await personOnHubs(store, hubs, 'lone@acme.example'), [{ hubId: 'hub-a', directoryUserIds: ['a-lone'], emails: ['lone@acme.example'], ownDirectoryUserIds: ['a-lone'] }], 'in no mapped group, no default team');
    assert.deepEqual(await personOnHubs(store, hubs, 'stranger@elsewhere.example'), []);
    assert.deepEqual(await personOnHubs(store, hubs, '  '), []);
  });
});

describe('My access', () => {
  test('seat, assets with tasks, pending invites with expiry and offers labelled with their collection', async () => {
    const store = await seeded();
    const [a, ...rest] = await holdingsOf(store, hubs, file.collections, 'cora@acme.example', NOW);
    assert.equal(rest.length, 0, 'only hubs where a directory user has the email');
    const offerId = offerIdOf('hub-a', 'a-cora', 'A Brand');
    assert.deepEqual(a, {
      hubId: 'hub-a', label: 'Hub A', connector: 'meta-business', hubRole: 'collaborator', standing: 'onboarded',
      grantedAppRole: 'EMPLOYEE', grantedBy: ['A Staff'], seatless: false,
      seats: [{ memberId: 'm-cora', appRole: 'EMPLOYEE', email: 'cora@acme.example', assets: [{ type: 'ad_account', id: 'act_1', name: 'Main account', tasks: ['ADVERTISE', 'ANALYZE'] }] }],
      invites: [{ id: 'inv-9', email: 'Cora.Old@acme.example', appRole: 'EMPLOYEE', sentByHubwarden: true, createdAt: at, expiresAt: '2026-12-01T00:00:00.000Z' }],
      offers: [{
        id: offerId, hubId: 'hub-a', group: 'A Brand', collection: { id: 'brand', label: 'Brand pages', description: 'Pages of the brand team' }, appRole: 'EMPLOYEE',
        assets: [{ type: 'page', id: '222', tasks: ['ANALYZE'] }], status: 'offered', offeredAt: at, expiresAt: '2026-12-01T00:00:00.000Z',
      }],
    });
    // Past its expiry the offer reads expired, before any reconcile records it.
    const [later] = await holdingsOf(store, hubs, file.collections, 'cora@acme.example', new Date('2026-12-02T00:00:00.000Z'));
    assert.equal(later!.offers[0]!.status, 'expired');
  });

  test('a seat-less owner holds the hub role and no seat; a stranger holds nothing', async () => {
    const store = await seeded();
    const [ivan] = await holdingsOf(store, hubs, file.collections, 'ivan@acme.example', NOW);
    assert.deepEqual({ role: ivan!.hubRole, standing: ivan!.standing, seatless: ivan!.seatless, seats: ivan!.seats, granted: ivan!.grantedAppRole }, { role: 'owner', standing: 'none', seatless: true, seats: [], granted: undefined });
    assert.deepEqual(await holdingsOf(store, hubs, file.collections, 'stranger@elsewhere.example', NOW), []);
    const olivia = await holdingsOf(store, hubs, file.collections, 'olivia@acme.example', NOW);
    assert.deepEqual(olivia.map((h) => [h.hubId, h.hubRole, h.grantedAppRole]), [['hub-a', 'owner', 'ADMIN'], ['hub-b', 'collaborator', 'EMPLOYEE']]);
  });
});
