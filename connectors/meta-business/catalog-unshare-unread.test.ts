import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../sdk/connector-error.ts';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { graphError, servedEmulator, type Reading } from './alternative-fetch.test-double.ts';

/**
 * Unsharing a catalog on a Graph where the share cannot be read: the partner's row on
 * `GET /{business}/agencies` comes without `productcatalog_permissions` (a default edge field, B2B
 * guide https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business,
 * which says nothing of a row without it) and `GET /{catalog}/agencies` is answered 2500 (the guide
 * documents only POST and DELETE there). The unshare failed `unavailable`, not applied, on every
 * attempt (retried, the same each time), never sending the documented `DELETE /{catalog}/agencies`:
 * the partner kept the catalog. Now the DELETE is sent: accepted, done; refused, it fails once as
 * invalid-argument (not retried) saying why, never already-done (Meta documents no answer for a
 * catalog not shared); 100/33 with the catalog no longer listed is already-done.
 */
const catalog = { type: 'catalog' as const, id: SANDBOX.catalogId };
const partner = SANDBOX.partner.businessId;

function unread(writes: string[], deleteAnswer?: () => ReturnType<typeof graphError>): Reading {
  return async (op, forward) => {
    if (op.method === 'GET' && op.path === `${catalog.id}/agencies`) return graphError(2500, 'Unknown path components: /agencies');
    if (op.method === 'DELETE') {
      writes.push(`DELETE ${op.path}`);
      if (deleteAnswer) return deleteAnswer();
    }
    const a = await forward();
    if (op.method === 'GET' && op.path === `${SANDBOX.businessId}/agencies`) for (const row of a.body.data ?? []) delete row.productcatalog_permissions;
    return a;
  };
}

describe('unsharing a catalog whose share cannot be read', () => {
  const served = servedEmulator();
  const shareOf = () => served.emulator.control.state().shares.find((s: { assetId: string; partnerBusinessId: string }) => s.assetId === catalog.id && s.partnerBusinessId === partner);

  test('shared: the documented DELETE is sent and the partner loses the catalog', async () => {
    const writes: string[] = [];
    const c = served.connector(unread(writes));
    assert.equal(await c.shareAsset!({ asset: catalog, partnerBusinessId: partner, tasks: ['ADVERTISE'] }), 'done');
    assert.equal(await c.unshareAsset!({ asset: catalog, partnerBusinessId: partner }), 'done');
    assert.deepEqual(writes, [`DELETE ${catalog.id}/agencies`]);
    assert.equal(shareOf(), undefined, 'the partner no longer holds the catalog');
  });

  test('not shared: the DELETE refused fails once, invalid-argument (not retried), not applied, with the reason', async () => {
    const writes: string[] = [];
    const c = served.connector(unread(writes));
    assert.equal(shareOf(), undefined);
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(c.unshareAsset!({ asset: catalog, partnerBusinessId: partner }), (e: unknown) =>
        e instanceof ConnectorError && e.kind === 'invalid-argument' && e.notApplied === true && e.providerCode === '100'
        && /Graph refused the DELETE/.test(e.message) && /without productcatalog_permissions/.test(e.message)
        && /not taken as already-done/.test(e.message) && /nothing was removed/.test(e.message) && !e.message.includes(SANDBOX.token));
    }
    assert.deepEqual(writes, [`DELETE ${catalog.id}/agencies`, `DELETE ${catalog.id}/agencies`]);
  });

  test('a throttled DELETE stays a rate limit (waited out), not a refusal', async () => {
    const writes: string[] = [];
    const c = served.connector(unread(writes, () => graphError(4, '(#4) Application request limit reached')));
    assert.equal(await c.shareAsset!({ asset: catalog, partnerBusinessId: partner, tasks: ['ADVERTISE'] }), 'done');
    await assert.rejects(c.unshareAsset!({ asset: catalog, partnerBusinessId: partner }), (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited');
    assert.ok(shareOf(), 'the partner still holds the catalog');
  });

  test('the catalog gone from the business (DELETE answered 100/33, no longer listed): already-done', async () => {
    const writes: string[] = [];
    const c = served.connector(unread(writes, () => graphError(100, `Unsupported delete request. Object with ID '${catalog.id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`, { error_subcode: 33 })));
    const f = sandboxFixture();
    f.assets = f.assets.filter((a) => a.id !== catalog.id);
    f.shares = f.shares.filter((s) => s.assetId !== catalog.id);
    f.assignments = f.assignments.filter((a) => a.assetId !== catalog.id);
    served.emulator.control.seed(f);
    assert.equal(await c.unshareAsset!({ asset: catalog, partnerBusinessId: partner }), 'already-done');
    assert.deepEqual(writes, [`DELETE ${catalog.id}/agencies`]);
  });
});
