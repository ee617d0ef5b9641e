import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../sdk/connector-error.ts';
import { SANDBOX } from './emulator/index.ts';
import { graphError, servedEmulator, type Reading } from './alternative-fetch.test-double.ts';

/**
 * Unsharing from a partner whose row cannot show the share. Meta's B2B guide
 * (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business)
 * documents `productcatalog_permissions` on `GET /{business}/agencies` as a default edge field and
 * `id` on every row, and says nothing of a row without them: a partner row with no catalog list, or
 * a row with no id, may be the very share. Read as "not shared", the unshare was answered
 * already-done while the partner kept the catalog (or ad account). It now fails `unavailable`, not
 * applied (retried), unless another documented read settles it; a catalog whose share no read can
 * show is unshared by the documented DELETE (catalog-unshare-unread.test.ts).
 */
const catalog = { type: 'catalog' as const, id: SANDBOX.catalogId };
const partner = SANDBOX.partner.businessId;

/** The business's agencies answered without `productcatalog_permissions` (a Graph leaving the list out); `catalogEdge`: whether GET /{catalog}/agencies is served. */
function catalogListLeftOut(catalogEdge: boolean): Reading {
  return async (op, forward) => {
    if (op.method === 'GET' && op.path === `${catalog.id}/agencies` && !catalogEdge) return graphError(2500, 'Unknown path components: /agencies');
    const a = await forward();
    if (op.method === 'GET' && op.path === `${SANDBOX.businessId}/agencies`) for (const row of a.body.data ?? []) delete row.productcatalog_permissions;
    return a;
  };
}

/** `act_111/agencies` answered with rows without their `id`. */
const idsLeftOut: Reading = async (op, forward) => {
  const a = await forward();
  if (op.method === 'GET' && op.path === 'act_111/agencies') for (const row of a.body.data ?? []) delete row.id;
  return a;
};

describe('unshare when the partner listing cannot show the share', () => {
  const served = servedEmulator();
  const shareOf = (assetId: string) => served.emulator.control.state().shares.find((s: { assetId: string; partnerBusinessId: string }) => s.assetId === assetId && s.partnerBusinessId === partner);
  const notApplied = (e: unknown): e is ConnectorError => e instanceof ConnectorError && e.kind === 'unavailable' && e.notApplied === true && /is not known/.test(e.message) && /nothing was removed/.test(e.message);

  test('a shared catalog, its partner row without productcatalog_permissions, no GET on the catalog\'s agencies: the DELETE is sent (catalog-unshare-unread.test.ts), never already-done from the row', async () => {
    const c = served.connector(catalogListLeftOut(false));
    assert.equal(await c.shareAsset!({ asset: catalog, partnerBusinessId: partner, tasks: ['ADVERTISE'] }), 'done');
    assert.equal(await c.unshareAsset!({ asset: catalog, partnerBusinessId: partner }), 'done');
    assert.equal(shareOf(catalog.id), undefined, 'the partner no longer holds the catalog');
  });

  test('the same, with the catalog\'s own agencies served: that read settles it and the share is removed', async () => {
    const c = served.connector(catalogListLeftOut(true));
    assert.equal(await c.shareAsset!({ asset: catalog, partnerBusinessId: partner, tasks: ['ADVERTISE'] }), 'done');
    assert.equal(await c.unshareAsset!({ asset: catalog, partnerBusinessId: partner }), 'done');
    assert.equal(shareOf(catalog.id), undefined);
    assert.equal(await c.unshareAsset!({ asset: catalog, partnerBusinessId: partner }), 'already-done');
  });

  test('an ad account whose partners come without ids: not applied, never already-done', async () => {
    const c = served.connector(idsLeftOut);
    await assert.rejects(c.unshareAsset!({ asset: { type: 'ad_account', id: 'act_111' }, partnerBusinessId: partner }), (e: unknown) => notApplied(e) && /without its id/.test(e.message));
    assert.ok(shareOf('act_111'), 'the partner still holds act_111');
  });

  test('our emulator as is: a catalog never shared is already-done on unshare', async () => {
    const c = served.connector();
    assert.equal(await c.unshareAsset!({ asset: catalog, partnerBusinessId: partner }), 'already-done');
  });
});
