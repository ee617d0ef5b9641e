import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import type { MetaFixture } from './emulator/fixture.ts';
import { createMetaBusiness } from './connector.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { HubConnector } from '../sdk/connector.ts';
import type { AppPartner } from '../sdk/hub-model.ts';
import { alternativeFetch, all, graphError, log, type Reading } from './alternative-fetch.test-double.ts';

/**
 * A pixel names its partners only on `GET /{pixel}/shared_agencies` (the business's `agencies`
 * edge has no pixel permission list): the connector reads it for every owned pixel, batched, and
 * merges those pixels into the partners it lists. A pixel read that fails fails the listing.
 */

const OTHER_AGENCY = { id: '3000000000000003', name: 'Pixel Only Agency' };

/** The sandbox with pixel 444 shared with Northwind (ANALYZE) and `pixels` more owned pixels. */
function fixture(options: { pixels?: number; onlyPixelPartner?: boolean; partnersOn444?: number } = {}): MetaFixture {
  const f = sandboxFixture();
  f.shares.push({ assetId: SANDBOX.pixelId, partnerBusinessId: SANDBOX.partner.businessId, permittedTasks: ['ANALYZE'], accessStatus: 'CONFIRMED' });
  for (let i = 0; i < (options.pixels ?? 0); i++) {
    const id = String(5000 + i);
    f.assets.push({ type: 'pixel', id, name: `Pixel ${id}`, ownerBusinessId: SANDBOX.businessId });
    f.shares.push({ assetId: id, partnerBusinessId: SANDBOX.partner.businessId, permittedTasks: ['ADVERTISE', 'ANALYZE'], accessStatus: 'CONFIRMED' });
  }
  if (options.onlyPixelPartner) {
    f.businesses.push({ ...OTHER_AGENCY });
    f.shares.push({ assetId: SANDBOX.pixelId, partnerBusinessId: OTHER_AGENCY.id, permittedTasks: ['EDIT', 'ADVERTISE', 'ANALYZE'], accessStatus: 'CONFIRMED' });
  }
  for (let i = 0; i < (options.partnersOn444 ?? 0); i++) {
    const id = String(4000000000000000 + i);
    f.businesses.push({ id, name: `Agency ${i}` });
    f.shares.push({ assetId: SANDBOX.pixelId, partnerBusinessId: id, permittedTasks: ['ANALYZE'], accessStatus: 'CONFIRMED' });
  }
  return f;
}

describe('meta-business connector: partners of the business\'s pixels', () => {
  const server = listeningEmulator();
  const { emulator } = server;
  const connector = (f: MetaFixture, reading?: Reading): HubConnector => {
    emulator.control.seed(f);
    emulator.control.setFaults({});
    emulator.control.clearCalls();
    return createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, ...(reading ? { fetch: alternativeFetch(reading) } : {}) });
  };
  const agency = (partners: AppPartner[], id: string) => {
    const found = partners.filter((p) => p.businessId === id && p.relation === 'agency');
    assert.equal(found.length, 1, `agency ${id} listed once`);
    return found[0];
  };

  test('a partner\'s pixels show with their permitted tasks and status, beside its ad account and page shares, read in batches', async () => {
    const c = connector(fixture({ pixels: 60 }));
    const partners = await all((x) => c.listPartners!(x));
    const northwind = agency(partners, SANDBOX.partner.businessId);
    assert.deepEqual(northwind.assets.find((a) => a.id === SANDBOX.pixelId), { type: 'pixel', id: SANDBOX.pixelId, permittedTasks: ['ANALYZE'], accessStatus: 'CONFIRMED' });
    assert.deepEqual(northwind.assets.filter((a) => a.type === 'pixel').map((a) => a.id).sort(), [SANDBOX.pixelId, ...Array.from({ length: 60 }, (_, i) => String(5000 + i))].sort());
    assert.ok(northwind.assets.filter((a) => a.id.startsWith('50')).every((a) => a.permittedTasks.join() === 'ADVERTISE,ANALYZE'));
    // What the agencies edge lists is kept.
    assert.deepEqual(northwind.assets.find((a) => a.id === 'act_111'), { type: 'ad_account', id: 'act_111', permittedTasks: ['ADVERTISE', 'ANALYZE'], accessStatus: 'CONFIRMED' });
    assert.ok(northwind.assets.some((a) => a.type === 'page' && a.id === '222'));
    // 61 pixels: operations inside two batch requests, never one request per pixel.
    const reads = emulator.calls.filter((x) => x.path.endsWith('/shared_agencies'));
    assert.equal(reads.length, 61);
    assert.ok(reads.every((x) => x.batch === true), 'each pixel read is a batch operation');
    assert.ok(reads.every((x) => x.query.fields === 'id,name,permitted_tasks,access_status'));
  });

  test('a partner that holds only pixels is listed, also by a Graph whose agencies edge leaves it out', async () => {
    for (const leaveOut of [false, true]) {
      const c = connector(fixture({ onlyPixelPartner: true }), leaveOut ? async (op, forward) => {
        const a = await forward();
        // Another reading: `agencies` names only partners with a permission list it carries.
        if (op.path.endsWith('/agencies') && Array.isArray(a.body?.data)) a.body.data = a.body.data.filter((p: { id: string }) => p.id !== OTHER_AGENCY.id);
        return a;
      } : undefined);
      const partners = await all((x) => c.listPartners!(x));
      const other = agency(partners, OTHER_AGENCY.id);
      assert.equal(other.name, OTHER_AGENCY.name);
      assert.deepEqual(other.assets, [{ type: 'pixel', id: SANDBOX.pixelId, permittedTasks: ['EDIT', 'ADVERTISE', 'ANALYZE'], accessStatus: 'CONFIRMED' }]);
      agency(partners, SANDBOX.partner.businessId);
    }
  });

  test('a pixel with more partners than a page holds is read to its last page', async () => {
    const c = connector(fixture({ partnersOn444: 130 }));
    const partners = await all((x) => c.listPartners!(x));
    const onPixel = partners.filter((p) => p.relation === 'agency' && p.assets.some((a) => a.id === SANDBOX.pixelId));
    assert.equal(onPixel.length, 131);
    const pages = emulator.calls.filter((x) => x.path === `/${SANDBOX.pixelId}/shared_agencies`);
    assert.ok(pages.length >= 2 && pages.some((x) => x.query.after), 'shared_agencies was paged');
  });

  test('a pixel read that fails fails the partner listing: never partners without their pixels', async () => {
    // A throttle on one pixel's partners (first page).
    let c = connector(fixture({ pixels: 3 }));
    emulator.control.setFaults({ throttle: { code: 80004, match: '/5001/shared_agencies' } });
    await assert.rejects(all((x) => c.listPartners!(x)), (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited' && /pixel 5001/.test(e.message));

    // A next page Graph refuses mid-read: the pages before it are not the pixel's partners.
    c = connector(fixture({ partnersOn444: 130 }), async (op, forward) => {
      if (op.path.endsWith('/shared_agencies') && op.query.get('after')) return graphError(100, '(#100) The After Cursor specified is invalid');
      return forward();
    });
    await assert.rejects(all((x) => c.listPartners!(x)), (e: unknown) => e instanceof ConnectorError && e.kind === 'unavailable' && /changed while it was read/.test(e.message));

    // 100/33 on a pixel the business still lists: its partners are not known.
    c = connector(fixture({ pixels: 2 }), async (op, forward) => {
      if (op.path === '5000/shared_agencies') return graphError(100, 'Unsupported get request. Object with ID \'5000\' does not exist, cannot be loaded due to missing permissions, or does not support this operation', { error_subcode: 33, type: 'GraphMethodException' });
      return forward();
    });
    await assert.rejects(all((x) => c.listPartners!(x)), (e: unknown) => e instanceof ConnectorError && e.kind === 'unavailable' && /pixel 5000/.test(e.message) && !e.message.includes(SANDBOX.token));
  });

  test('a token that may not list pixels lists the partners without their pixels, as before pixels were read', async () => {
    const c = connector(fixture({ pixels: 2 }), async (op, forward) => {
      if (op.path === `${SANDBOX.businessId}/owned_pixels`) return graphError(200, '(#200) Requires ads_management permission to manage the object');
      return forward();
    });
    const partners = await all((x) => c.listPartners!(x));
    const northwind = agency(partners, SANDBOX.partner.businessId);
    assert.ok(northwind.assets.length > 0, 'its ad account and page shares are listed');
    assert.ok(!northwind.assets.some((a) => a.type === 'pixel'), 'no pixel share is claimed');
    // Any other failure of that listing still fails the partners: never partners without their pixels.
    const d = connector(fixture({ pixels: 2 }), async (op, forward) => {
      if (op.path === `${SANDBOX.businessId}/owned_pixels`) return graphError(2, 'An unexpected error has occurred. Please retry your request later.', { is_transient: true, type: 'OAuthException' });
      return forward();
    });
    await assert.rejects(all((x) => d.listPartners!(x)), (e: unknown) => e instanceof ConnectorError && e.kind !== 'permission-denied');
  });

  test('a pixel deleted between its listing and its partners\' read has no partners', async () => {
    let deleted = false;
    const c = connector(fixture({ pixels: 2 }), async (op, forward) => {
      if (op.path === '5000/shared_agencies') {
        // Gone by the time its partners are read (deleted in Business Settings meanwhile).
        const f = fixture({ pixels: 2 });
        if (!deleted) emulator.control.seed({ ...f, assets: f.assets.filter((a) => a.id !== '5000'), shares: f.shares.filter((s) => s.assetId !== '5000') });
        deleted = true;
      }
      return forward();
    });
    const partners = await all((x) => c.listPartners!(x));
    const pixels = agency(partners, SANDBOX.partner.businessId).assets.filter((a) => a.type === 'pixel').map((a) => a.id).sort();
    assert.deepEqual(pixels, [SANDBOX.pixelId, '5001']);
  });
});
