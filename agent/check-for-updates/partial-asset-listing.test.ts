/**
 * An asset type the app lists only in part (a page's `incomplete`, e.g. the shared assets refused
 * while the owned ones list): the read counts the type as read for what it listed, and the
 * snapshot keeps the assets of the refused part it knew, with their assignments.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyApp, fakeConnector, TEST_ASSET_TYPES } from './fake-app.test-double.ts';
import { readApp, type AppReading } from './read-app.ts';
import { buildSnapshot, type HubSnapshot } from './snapshot.ts';
import { findChanges } from './changes.ts';
import type { AppAssignmentRecord } from '../app-state/records.ts';

const H = 'hub-1';
const GAP = { reason: 'shared ad accounts: refused', ownership: 'client' as const };

describe('an asset type listed only in part', () => {
  test('read: the type counts as read, its listed assets and their assignments are read, and the gap is reported', async () => {
    const app = emptyApp();
    app.members.push({ id: 'm1', email: 'ann@example.com', role: 'EMPLOYEE' });
    app.assets.push({ type: 'ad_account', id: 'act_1', ownership: 'owned' });
    app.assignments.push({ asset: { type: 'ad_account', id: 'act_1' }, userId: 'm1', userType: 'member', tasks: ['ANALYZE'] });
    const fake = fakeConnector(app, 2);
    const list = fake.listAssets!.bind(fake);
    fake.listAssets = async (type, cursor) => ({ ...(await list(type, cursor)), ...(type === 'ad_account' ? { incomplete: GAP } : {}) });
    const reading = await readApp(fake, { assetTypes: TEST_ASSET_TYPES, partnersWithToken: [], managedAssetTypes: ['ad_account'] });
    assert.deepEqual(reading.assetTypes, [...TEST_ASSET_TYPES]);
    assert.deepEqual(reading.unreadableAssetTypes, []);
    assert.deepEqual(reading.incompleteAssetTypes, [{ type: 'ad_account', message: GAP.reason, ownership: 'client' }]);
    assert.deepEqual(reading.assignments.map((a) => a.asset.id), ['act_1']);
    assert.deepEqual(reading.unavailable.map((u) => u.section), ['assets']);
    assert.match(reading.unavailable[0].message, /^ad_account: listed only in part \(shared ad accounts: refused\); the client assets it could not list are kept as last seen$/);
  });

  test('read: a type no team manages listed in part is noted only (as a type it may not list at all)', async () => {
    const app = emptyApp();
    app.assets.push({ type: 'ad_account', id: 'act_1', ownership: 'owned' });
    const fake = fakeConnector(app, 2);
    const list = fake.listAssets!.bind(fake);
    fake.listAssets = async (type, cursor) => ({ ...(await list(type, cursor)), ...(type === 'ad_account' ? { incomplete: GAP } : {}) });
    const reading = await readApp(fake, { assetTypes: TEST_ASSET_TYPES, partnersWithToken: [], managedAssetTypes: ['page'] });
    assert.deepEqual(reading.incompleteAssetTypes?.map((t) => t.type), ['ad_account']);
    assert.deepEqual(reading.unavailable, []);
  });

  test('read: any other listing that says it is incomplete fails the read', async () => {
    const fake = fakeConnector(emptyApp(), 2);
    const list = fake.listMembers!.bind(fake);
    fake.listMembers = async (cursor) => ({ ...(await list(cursor)), incomplete: GAP });
    await assert.rejects(readApp(fake, { assetTypes: TEST_ASSET_TYPES, partnersWithToken: [] }), /read members: the app listed only part of it: shared ad accounts: refused/);
  });

  test('snapshot: known assets of the refused part keep their record and assignments; others the listing lacks are gone', () => {
    const at = '2026-11-10T00:00:00.000Z';
    const held = (id: string): AppAssignmentRecord => ({ hubId: H, key: `ad_account:${id}:m1`, asset: { type: 'ad_account', id }, userId: 'm1', userType: 'member', tasks: ['ANALYZE'] });
    const previous: HubSnapshot = {
      members: [{ hubId: H, id: 'm1', email: 'ann@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at }],
      invites: [], systemUsers: [], partners: [], partnerUsers: [],
      assets: [
        { hubId: H, type: 'ad_account', id: 'act_1', ownership: 'owned' },
        { hubId: H, type: 'ad_account', id: 'act_2', ownership: 'owned' },
        { hubId: H, type: 'ad_account', id: 'act_9', ownership: 'client', permittedTasks: ['ANALYZE'] },
      ],
      assignments: [held('act_1'), held('act_2'), held('act_9')],
    };
    const reading: AppReading = {
      members: [{ id: 'm1', email: 'ann@example.com', role: 'EMPLOYEE' }], invites: [], systemUsers: [], partners: [], partnerUsers: [],
      assets: [{ type: 'ad_account', id: 'act_1', ownership: 'owned' }],
      assignments: [{ asset: { type: 'ad_account', id: 'act_1' }, userId: 'm1', userType: 'member', tasks: ['ANALYZE'] }],
      partnerFailures: [], assetTypes: ['ad_account'], unreadableAssetTypes: [], unsupported: [],
      incompleteAssetTypes: [{ type: 'ad_account', message: GAP.reason, ownership: 'client' }],
      unavailable: [{ section: 'assets', message: 'ad_account: listed only in part' }],
    };
    const next = buildSnapshot({ hubId: H, reading, previous, startedAt: '2026-11-11T00:00:00.000Z', now: '2026-11-11T00:00:00.000Z' });
    assert.deepEqual(next.assets.map((a) => a.id).sort(), ['act_1', 'act_9'], 'the owned act_2 the full owned part lacks is gone; the client act_9 is kept');
    assert.deepEqual(next.assignments.map((a) => a.asset.id).sort(), ['act_1', 'act_9']);
    assert.deepEqual(findChanges(previous, next, true).drift.filter((d) => d.asset?.id === 'act_9'), [], 'no tasks reported removed by hand on the kept client asset');
  });
});
