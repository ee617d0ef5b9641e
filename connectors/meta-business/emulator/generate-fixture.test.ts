import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateFixture } from './generate-fixture.ts';
import { createMetaEmulator } from './index.ts';
import { checkTaskBundle } from './task-bundles.ts';
import { SANDBOX } from './sandbox-ids.ts';

test('generateFixture builds the benchmark business with the counts asked and valid task bundles', () => {
  const f = generateFixture({ members: 300, invites: 40, adAccounts: 30, pages: 7, catalogs: 5, pixels: 2, sharedAdAccounts: 4, partnerUsers: 3 });
  const ours = (x: { businessId: string }) => x.businessId === SANDBOX.businessId;
  assert.equal(f.businessUsers.filter(ours).length, 300);
  assert.equal(f.invites.length, 40);
  const count = (type: string) => f.assets.filter((a) => a.type === type).length;
  assert.deepEqual([count('ad_account'), count('page'), count('catalog'), count('pixel')], [30, 7, 5, 2]);
  assert.equal(f.shares.length, 4);
  assert.equal(f.businessUsers.filter((u) => u.businessId === SANDBOX.partner.businessId).length, 3);
  const types = new Map(f.assets.map((a) => [a.id, a.type]));
  for (const a of f.assignments) assert.doesNotThrow(() => checkTaskBundle(types.get(a.assetId)!, a.tasks), `${a.assetId} ${a.tasks}`);
  assert.ok(f.businessUsers.filter(ours).some((u) => u.role === 'ADMIN'));
  // Seeding checks every reference; a broken fixture would throw here.
  const state = createMetaEmulator({ fixture: f }).control.state();
  assert.equal(state.assignments.length, f.assignments.length);
});

test('the default size is the issue-3 benchmark business', () => {
  const f = generateFixture();
  assert.equal(f.businessUsers.filter((u) => u.businessId === SANDBOX.businessId).length, 10_000);
  assert.equal(f.invites.length, 1_000);
  assert.equal(f.assets.filter((a) => a.type === 'ad_account').length, 2_000);
  assert.equal(f.assets.filter((a) => a.type === 'page').length, 500);
  assert.equal(f.assets.filter((a) => a.type === 'catalog').length, 200);
});
