import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTikTokTestBed } from '../test-setup.ts';
import { TIKTOK_SANDBOX as S } from '../emulator/sandbox-ids.ts';

/**
 * Before an assign or unassign the connector reads what the member holds of that asset
 * (`/bc/asset/get/` with `filtering.user_id`). A member holding many ad accounts made that read
 * every page of their holdings for each asset (a team of 200 ad accounts: 4 reads per assign);
 * `filtering.keyword` (a substring of `asset_name` or `asset_id` [INF #47]; a string in
 * github.com/tiktok/tiktok-business-api-sdk `yml_files/bc_asset_get.yml`) narrows it to the one asset. Where the narrowed read shows nothing, an unassign still reads everything before
 * it calls the access gone, and an assign refused over a role it did not see still finds it.
 */
const EVE = S.standard[0];
const MANY = Array.from({ length: 120 }, (_, i) => String(7100000000000050000n + BigInt(i)));

async function bedWithMany(readings = {}) {
  const bed = await startTikTokTestBed({ readings });
  const state = bed.emulator.control.state();
  bed.emulator.control.seed({
    ...state,
    assets: [...state.assets, ...MANY.map((id) => ({ asset_type: 'ADVERTISER' as const, asset_id: id, asset_name: `Account ${id}`, owner_bc_id: S.bcId }))],
    assignments: [...state.assignments, ...MANY.map((id) => ({ bc_id: S.bcId, asset_type: 'ADVERTISER' as const, asset_id: id, user_id: EVE, role: 'ANALYST' }))],
  });
  return bed;
}

const roleOf = (bed: Awaited<ReturnType<typeof bedWithMany>>, assetId: string) =>
  bed.emulator.control.state().assignments.find((a) => a.bc_id === S.bcId && a.user_id === EVE && a.asset_id === assetId)?.role;

describe('tiktok-business: reading a member\'s holding of one asset', () => {
  test('a role change and a repeat each read one page, not all 120 holdings', async () => {
    const bed = await bedWithMany();
    try {
      const c = bed.connector();
      bed.emulator.control.clearCalls();
      assert.equal(await c.assignAsset!({ asset: { type: 'ad_account', id: MANY[77]! }, userId: EVE, tasks: ['OPERATOR'] }), 'done');
      assert.equal(await c.assignAsset!({ asset: { type: 'ad_account', id: MANY[77]! }, userId: EVE, tasks: ['OPERATOR'] }), 'already-done');
      assert.equal(await c.unassignAsset!({ asset: { type: 'ad_account', id: MANY[5]! }, userId: EVE }), 'done');
      assert.equal(roleOf(bed, MANY[77]!), 'OPERATOR');
      assert.equal(roleOf(bed, MANY[5]!), undefined);
      // One narrowed read each, plus the connector's one-off check that `keyword` finds asset ids (two reads).
      const reads = bed.emulator.calls.filter((x) => x.endpoint === 'bc/asset/get');
      assert.equal(reads.length, 5);
      assert.equal(reads.filter((x) => String(x.query.filtering ?? '').includes('user_id')).length, 3);
    } finally {
      await bed.close();
    }
  });

  test('an assign refused over a held role (another reading) still swaps it; an unassign of access not held is already-done', async () => {
    const bed = await bedWithMany({ refuseAssignHeld: true });
    try {
      const c = bed.connector();
      assert.equal(await c.assignAsset!({ asset: { type: 'ad_account', id: MANY[3]! }, userId: EVE, tasks: ['ADMIN'] }), 'done');
      assert.equal(roleOf(bed, MANY[3]!), 'ADMIN');
      assert.equal(await c.unassignAsset!({ asset: { type: 'ad_account', id: S.adAccounts[1] }, userId: EVE }), 'already-done');
    } finally {
      await bed.close();
    }
  });
});
