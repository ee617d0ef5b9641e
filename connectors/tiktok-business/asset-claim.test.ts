import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isConnectorError } from '../sdk/connector-error.ts';
import { allPages } from '../sdk/pages.ts';
import { startTikTokTestBed } from './test-setup.ts';
import { sandboxFixture, TIKTOK_SANDBOX as S } from './emulator/index.ts';

/**
 * `/bc/asset/get/` rows of ad accounts carry `relation_status`, the BC's claim on the asset:
 * BOUND, UNBOUND, PENDING or REJECTED (TikTok API for Business v1.3, asset object). Our emulator
 * used to answer BOUND only, and the connector took every row for an asset of the BC. An ad
 * account whose claim is pending or was rejected is not the BC's [INF #46]: listing it offered
 * it to teams, and TikTok's 40001 on assigning it, with the asset still listed, paused every
 * write of the hub.
 */
const PENDING_CLAIM = '7100000000000009901';
/** Listed with relation_type OWNER_INDIVIDUAL: a person owns it, not the BC. */
const INDIVIDUAL = '7100000000000009902';
const EVE = S.standard[0];

async function bedWithPendingClaim() {
  const state = sandboxFixture();
  state.assets.push({ asset_type: 'ADVERTISER', asset_id: PENDING_CLAIM, asset_name: 'Claim awaiting approval', owner_bc_id: S.bcId, relation_status: 'PENDING' });
  state.assets.push({ asset_type: 'ADVERTISER', asset_id: INDIVIDUAL, asset_name: 'A freelancer\'s own account', owner_bc_id: S.bcId, owned_by_individual: true });
  return startTikTokTestBed({ state });
}

describe('tiktok-business: ad accounts listed in the Business Center that are not its own (claim not held, or owned by a person)', () => {
  test('the emulator lists the row with its relation_status; the connector leaves it out of the BC\'s assets', async () => {
    const bed = await bedWithPendingClaim();
    try {
      const listed = bed.emulator.control.state().assets.find((a) => a.asset_id === PENDING_CLAIM);
      assert.equal(listed?.relation_status, 'PENDING');
      const assets = await allPages((cursor) => bed.connector().listAssets!('ad_account', cursor));
      assert.ok(assets.length > 0);
      assert.ok(!assets.some((a) => a.id === PENDING_CLAIM), 'an ad account with a PENDING claim is not an asset of the BC');
      assert.ok(!assets.some((a) => a.id === INDIVIDUAL), 'an ad account a person owns is not an asset of the BC');
      assert.ok(assets.some((a) => a.id === S.adAccounts[0]));
    } finally {
      await bed.close();
    }
  });

  test('assigning one fails not-found naming the asset (TikTok 40001), and the hub is not paused', async () => {
    const bed = await bedWithPendingClaim();
    try {
      const err = await bed.connector().assignAsset!({ asset: { type: 'ad_account', id: PENDING_CLAIM }, userId: EVE, tasks: ['ANALYST'] }).then(() => undefined, (e: unknown) => e);
      assert.ok(isConnectorError(err), String(err));
      assert.equal(err.kind, 'not-found', err.message);
      assert.match(err.message, new RegExp(PENDING_CLAIM));
      // Taking it away is already so: the BC never held it.
      assert.equal(await bed.connector().unassignAsset!({ asset: { type: 'ad_account', id: PENDING_CLAIM }, userId: EVE }), 'already-done');
      const individual = await bed.connector().assignAsset!({ asset: { type: 'ad_account', id: INDIVIDUAL }, userId: EVE, tasks: ['ANALYST'] }).then(() => undefined, (e: unknown) => e);
      assert.ok(isConnectorError(individual) && individual.kind === 'not-found', String(individual));
    } finally {
      await bed.close();
    }
  });
});
