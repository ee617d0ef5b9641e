import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import type { MetaFixture } from './emulator/fixture.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { alternativeFetch, all, graphError, log, type Reading } from './alternative-fetch.test-double.ts';
import { readApp } from '../../agent/check-for-updates/read-app.ts';
import { runCheckForUpdates } from '../../agent/check-for-updates/run-check.ts';
import { readSnapshot } from '../../agent/check-for-updates/snapshot-store.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { configSchema } from '../../config/schema.ts';
import '../../agent/app-state/records.ts';

/**
 * `GET /{business}/owned_pixels` is read by the pixel asset listing and by the pixel partner read
 * (read/pixel-partners.ts). Every Graph call counts against the business's rate limit
 * (https://developers.facebook.com/docs/graph-api/overview/rate-limiting), so one check for
 * updates lists each page of it once; nothing is kept from one check to the next.
 */

const ALL_TYPES = ['ad_account', 'page', 'catalog', 'pixel'];
const OWNED_PIXELS = `/${SANDBOX.businessId}/owned_pixels`;

/** The sandbox with `extra` more owned pixels (1000 a page: more than 999 means a second page), pixel 444 and each extra shared with Northwind. */
function business(extra: number): MetaFixture {
  const f = sandboxFixture();
  f.shares.push({ assetId: SANDBOX.pixelId, partnerBusinessId: SANDBOX.partner.businessId, permittedTasks: ['ANALYZE'], accessStatus: 'CONFIRMED' });
  for (let i = 0; i < extra; i++) {
    const id = String(5000 + i);
    f.assets.push({ type: 'pixel', id, name: `Pixel ${id}`, ownerBusinessId: SANDBOX.businessId });
    f.shares.push({ assetId: id, partnerBusinessId: SANDBOX.partner.businessId, permittedTasks: ['ANALYZE'], accessStatus: 'CONFIRMED' });
  }
  return f;
}

describe('meta-business: one check for updates lists the owned pixels once', () => {
  const server = listeningEmulator();
  const { emulator } = server;
  const connector = (reading?: Reading) => createMetaBusiness(
    { businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url },
    { log, ...(reading ? { fetch: alternativeFetch(reading) } : {}) },
  );
  const seed = (f: MetaFixture) => {
    emulator.control.seed(f);
    emulator.control.setFaults({});
    emulator.control.clearCalls();
  };
  /** The owned_pixels calls so far, by page: '' for the first page, else its `after` cursor. */
  const ownedPixelPages = () => emulator.calls.filter((c) => c.path === OWNED_PIXELS).map((c) => String(c.query.after ?? ''));
  const northwindPixels = (partners: Array<{ businessId: string; relation: string; assets: Array<{ type: string; id: string }> }>) =>
    partners.filter((p) => p.businessId === SANDBOX.partner.businessId && p.relation === 'agency').flatMap((p) => p.assets.filter((a) => a.type === 'pixel').map((a) => a.id));

  test('each page of owned_pixels is asked once per check, by the asset listing and the pixel partner read together', async () => {
    seed(business(1200));
    const reading = await readApp(connector(), { assetTypes: ALL_TYPES, partnersWithToken: [] });
    const pages = ownedPixelPages();
    assert.ok(new Set(pages).size >= 2, `owned_pixels was paged (${pages.length} calls)`);
    assert.equal(pages.filter((p) => p === '').length, 1, 'the first page of owned_pixels is asked once per check');
    assert.equal(pages.length, new Set(pages).size, 'each later page is asked once too');
    // The same fields as the asset listing asked alone.
    assert.ok(emulator.calls.filter((c) => c.path === OWNED_PIXELS).every((c) => c.query.fields === 'id,name'));
    // Both readings whole: every pixel listed, and every pixel's partners read.
    assert.equal(reading.assets.filter((a) => a.type === 'pixel' && a.ownership === 'owned').length, 1201);
    assert.equal(new Set(northwindPixels(reading.partners)).size, 1201);
    assert.equal(emulator.calls.filter((c) => c.path.endsWith('/shared_agencies')).length, 1201);
  });

  test('nothing is kept between checks, nor for a listing outside a check', async () => {
    seed(business(3));
    const c = connector();
    await readApp(c, { assetTypes: ALL_TYPES, partnersWithToken: [] });
    assert.deepEqual(ownedPixelPages(), ['']);
    // A pixel added and shared between two checks: the next check lists owned_pixels afresh and sees it.
    seed(business(4));
    const next = await readApp(c, { assetTypes: ALL_TYPES, partnersWithToken: [] });
    assert.deepEqual(ownedPixelPages(), ['']);
    assert.ok(northwindPixels(next.partners).includes('5003'));
    assert.ok(next.assets.some((a) => a.type === 'pixel' && a.id === '5003'));
    // Outside a check, each listing asks Graph itself.
    emulator.control.clearCalls();
    await all((x) => c.listAssets!('pixel', x));
    await all((x) => c.listPartners!(x));
    assert.deepEqual(ownedPixelPages(), ['', '']);
  });

  test('a pixel answered missing is looked for in a fresh listing, not in the pages the check read before', async () => {
    seed(business(2));
    let deleted = false;
    const reading = await readApp(connector(async (op, forward) => {
      if (op.path === '5000/shared_agencies' && !deleted) {
        // Deleted in Business Settings after the check listed it, before its partners were read.
        const f = business(2);
        emulator.control.seed({ ...f, assets: f.assets.filter((a) => a.id !== '5000'), shares: f.shares.filter((s) => s.assetId !== '5000') });
        deleted = true;
      }
      return forward();
    }), { assetTypes: ALL_TYPES, partnersWithToken: [] });
    assert.deepEqual(reading.unavailable, []);
    assert.deepEqual(northwindPixels(reading.partners).sort(), [SANDBOX.pixelId, '5001']);
  });

  describe('an owned_pixels listing refused or read in part leaves the pixel shares not read: kept as last seen', () => {
    const HUB = 'acme-meta';
    const hub = configSchema.parse({ hubs: [{ id: HUB, connector: 'meta-business', meta: { businessId: SANDBOX.businessId } }] }).hubs[0];
    const silent = { info() {}, warn() {} };
    let clock = Date.parse('2026-12-01T10:00:00.000Z');
    const now = () => new Date((clock += 1000));

    const cases: Array<[string, number, Reading]> = [
      ['refused (a token without ads_management)', 3, async (op, forward) => {
        if (`/${op.path}` === OWNED_PIXELS) return graphError(200, '(#200) Requires ads_management permission to manage the object');
        return forward();
      }],
      ['its second page failing', 1200, async (op, forward) => {
        if (`/${op.path}` === OWNED_PIXELS && op.query.get('after')) return graphError(2, 'An unexpected error has occurred. Please retry your request later.', { is_transient: true });
        return forward();
      }],
    ];
    for (const [name, extra, failing] of cases) {
      test(name, async () => {
        const store = new MemoryStore();
        seed(business(extra));
        const first = await runCheckForUpdates({ store, hub, connector: connector(), trigger: { type: 'admin', actor: 'test' }, taskId: 'read', now, log: silent });
        assert.equal(first.outcome, 'completed');
        const before = northwindPixels((await readSnapshot(store, HUB)).partners).sort();
        assert.equal(before.length, extra + 1);

        // Counted here: a refused call never reaches the emulator.
        const asked: string[] = [];
        const counting: Reading = (op, forward) => {
          if (`/${op.path}` === OWNED_PIXELS) asked.push(op.query.get('after') ?? '');
          return failing(op, forward);
        };
        const run = await runCheckForUpdates({ store, hub, connector: connector(counting), trigger: { type: 'admin', actor: 'test' }, taskId: 'unread', now, log: silent });
        assert.equal(run.outcome, 'completed');
        assert.equal(asked.filter((p) => p === '').length, 1, 'owned_pixels asked once in this check too');
        // Not "no longer shared": the shares are kept as last seen, and no change is audited.
        assert.deepEqual(northwindPixels((await readSnapshot(store, HUB)).partners).sort(), before);
        const audit = (await collect(store.list('audit', HUB))).filter((e) => e.taskId === 'unread' && e.action.startsWith('partner-share'));
        assert.deepEqual(audit.map((e) => e.action), []);
      });
    }
  });
});
