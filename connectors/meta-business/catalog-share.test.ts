import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from './emulator/index.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import { graphError, servedEmulator, type Reading } from './alternative-fetch.test-double.ts';

/**
 * Meta's B2B guide gives a catalog's `agencies` edge POST and DELETE only (GET is documented for ad
 * accounts and Pages). A Graph built strictly from those docs answers GET /{catalog}/agencies
 * 2500; the connector read the current share there before every catalog share or unshare, so
 * both failed every time. It now reads the catalog's share from the partner's
 * `productcatalog_permissions` on GET /{business}/agencies (documented in the same guide).
 * Once the partner holds no catalog, our emulator leaves that list out of its row; a removal does
 * not read that as "not shared" (unshare-row-unshown.test.ts): it asks the catalog's own agencies,
 * and on a Graph without that read sends the DELETE; refused, the repeat fails once (not applied,
 * invalid-argument, not retried) instead of already-done (catalog-unshare-unread.test.ts).
 */
const catalog = { type: 'catalog' as const, id: SANDBOX.catalogId };
const partner = SANDBOX.partner.businessId;

describe('meta-business connector: sharing a catalog with a partner', () => {
  const served = servedEmulator();
  const assetReads: string[] = [];
  const strict: Reading = async (op, forward) => {
    if (op.method === 'GET' && op.path === `${catalog.id}/agencies`) {
      assetReads.push(op.path);
      return graphError(2500, 'Unknown path components: /agencies');
    }
    return forward();
  };

  test('share, repeat, unshare, repeat: against a Graph with no GET on a catalog\'s agencies', async () => {
    const c = served.connector(strict);
    assert.equal(await c.shareAsset!({ asset: catalog, partnerBusinessId: partner, tasks: ['ADVERTISE'] }), 'done');
    const shared = () => served.emulator.control.state().shares.find((s: { assetId: string; partnerBusinessId: string }) => s.assetId === catalog.id && s.partnerBusinessId === partner);
    assert.deepEqual(shared()?.permittedTasks, ['ADVERTISE']);
    assert.equal(await c.shareAsset!({ asset: catalog, partnerBusinessId: partner, tasks: ['ADVERTISE'] }), 'already-done');
    assert.equal(await c.shareAsset!({ asset: catalog, partnerBusinessId: partner, tasks: ['MANAGE', 'ADVERTISE'] }), 'done');
    assert.deepEqual(shared()?.permittedTasks, ['MANAGE', 'ADVERTISE']);
    assert.equal(await c.unshareAsset!({ asset: catalog, partnerBusinessId: partner }), 'done');
    assert.equal(shared(), undefined);
    assert.deepEqual(assetReads, []);
    // The partner's row (it still holds act_111 and Page 222) now lists no catalogs: not shown, so
    // not known gone on this Graph; never answered already-done from it: the DELETE, refused, fails once.
    await assert.rejects(c.unshareAsset!({ asset: catalog, partnerBusinessId: partner }), (e: unknown) =>
      e instanceof ConnectorError && e.kind === 'invalid-argument' && e.notApplied === true && /without productcatalog_permissions/.test(e.message));
    assert.deepEqual(assetReads, [`${catalog.id}/agencies`]);
  });
});
