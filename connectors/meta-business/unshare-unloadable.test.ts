import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../sdk/connector-error.ts';
import { SANDBOX } from './emulator/index.ts';
import { graphError, servedEmulator, type Reading } from './alternative-fetch.test-double.ts';

/**
 * Unsharing an asset whose DELETE Graph refuses and whose partners it then answers as a missing
 * object (100/33: "does not exist, cannot be loaded due to missing permissions, or does not support
 * this operation", https://developers.facebook.com/docs/graph-api/guides/error-handling). Taken as
 * "the asset is gone", the unshare was audited done while the partner kept the ad account.
 */
const unsupported = (verb: string, id: string) => graphError(100, `Unsupported ${verb} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`, { error_subcode: 33, type: 'GraphMethodException' });

/** From the DELETE on, act_111's partners answer 100/33; `listed`: whether owned_ad_accounts still lists act_111. */
function refusedFromDelete(listed: boolean): Reading {
  let refusing = false;
  return async (op, forward) => {
    if (op.path === 'act_111/agencies' && op.method === 'DELETE') refusing = true;
    if (refusing && op.path === 'act_111/agencies') return unsupported(op.method === 'DELETE' ? 'delete' : 'get', 'act_111');
    const a = await forward();
    if (!listed && op.path.endsWith('/owned_ad_accounts')) a.body.data = a.body.data.filter((x: { id: string }) => x.id !== 'act_111');
    return a;
  };
}

describe('unshare when Graph will not load the asset\'s partners after refusing the DELETE (100/33)', () => {
  const served = servedEmulator();
  const asset = { type: 'ad_account' as const, id: 'act_111' };
  const partner = SANDBOX.partner.businessId;
  const shared = () => served.emulator.control.state().shares.some((s) => s.assetId === 'act_111' && s.partnerBusinessId === partner);

  test('the business still lists the asset: the error stands (not applied), never already-done', async () => {
    const c = served.connector(refusedFromDelete(true));
    await assert.rejects(c.unshareAsset!({ asset, partnerBusinessId: partner }), (e: unknown) =>
      e instanceof ConnectorError && e.kind === 'not-found' && e.notApplied === true && /still lists it/.test(e.message) && /nothing was removed/.test(e.message));
    assert.ok(shared(), 'the partner still holds act_111');
  });

  test('the asset has left the business: already-done', async () => {
    const c = served.connector(refusedFromDelete(false));
    assert.equal(await c.unshareAsset!({ asset, partnerBusinessId: partner }), 'already-done');
  });
});
