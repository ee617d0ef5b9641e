/**
 * A kind of partner share read for the first time (a release whose connector starts reading the
 * shares of an asset type) is recorded as the baseline, in one summary audit entry; later checks
 * audit each change. A type read before and found empty, or kept as last seen while unreadable,
 * is no first read.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { configSchema, type HubConfigFile } from '../../config/schema.ts';
import { runCheckForUpdates } from './run-check.ts';
import { emptyApp, fakeConnector, type FakeApp, type FakeConnector } from './fake-app.test-double.ts';
import type { AppPartner } from '../../connectors/sdk/hub-model.ts';
import '../app-state/records.ts';

const hub: HubConfigFile = configSchema.parse({
  hubs: [{ id: 'acme', connector: 'meta-business', meta: { businessId: '1000' } }],
}).hubs[0];
const silent = { info() {}, warn() {} };
const trigger = { type: 'admin' as const, actor: 'test' };
let clock = Date.parse('2026-12-01T10:00:00.000Z');
const now = () => new Date((clock += 1000));

const pixelShare = (id: string) => ({ type: 'pixel', id, permittedTasks: ['ANALYZE'] });

function business(): FakeApp {
  const app = emptyApp();
  app.members = [{ id: '11', email: 'jane@acme.com', role: 'ADMIN' }];
  app.assets = [
    { type: 'ad_account', id: 'act_1', ownership: 'owned' },
    { type: 'pixel', id: 'px_1', ownership: 'owned' },
    { type: 'pixel', id: 'px_2', ownership: 'owned' },
    { type: 'pixel', id: 'px_3', ownership: 'owned' },
  ];
  app.partners = [{ businessId: '2000', name: 'Northwind', relation: 'agency', assets: [{ type: 'ad_account', id: 'act_1', permittedTasks: ['ANALYZE'] }] }];
  return app;
}

async function check(store: MemoryStore, connector: FakeConnector, taskId: string) {
  const run = await runCheckForUpdates({ store, hub, connector, trigger, taskId, now, log: silent });
  const audit = (await collect(store.list('audit', 'acme'))).filter((e) => e.taskId === taskId);
  return {
    run,
    found: audit.filter((e) => e.action.startsWith('partner-share-')).map((e) => `${e.action} ${(e.detail?.asset as { id: string }).id}`).sort(),
    baselines: audit.filter((e) => e.action === 'partner-shares-baseline'),
  };
}

/** The store as a release that read no pixel shares left it: no pixel share, no record of which share types it read. */
async function upgradedStore(app: FakeApp): Promise<{ store: MemoryStore; connector: FakeConnector }> {
  const store = new MemoryStore();
  const connector = fakeConnector(app);
  const list = connector.listPartners!.bind(connector);
  connector.listPartners = async (cursor) => {
    const page = await list(cursor);
    return { ...page, items: page.items.map((p): AppPartner => ({ ...p, assets: p.assets.filter((a) => a.type !== 'pixel') })) };
  };
  await check(store, connector, 'before-upgrade');
  const imported = (await store.get('appImports', 'acme', 'acme'))!;
  const { partnerShareTypes: _, ...older } = imported;
  await store.transact((tx) => tx.put('appImports', 'acme', 'acme', older));
  connector.listPartners = list;
  return { store, connector };
}

describe('partner shares of an asset type read for the first time', () => {
  test('after an upgrade, existing pixel shares are the baseline (one note); the next check audits the one new share', async () => {
    const app = business();
    app.partners[0].assets.push(pixelShare('px_1'));
    app.partners.push({ businessId: '3000', relation: 'agency', assets: [pixelShare('px_2')] });
    const { store, connector } = await upgradedStore(app);
    // Meanwhile act_1 is shared with 3000 by hand: ad account shares were read before, so that share is found.
    app.partners[1].assets.push({ type: 'ad_account', id: 'act_1', permittedTasks: ['ADVERTISE', 'ANALYZE'] });

    const upgraded = await check(store, connector, 'first-after-upgrade');
    assert.deepEqual(upgraded.found, ['partner-share-shared act_1'], 'no pixel share audited as found; the ad account share is');
    assert.equal(upgraded.baselines.length, 1, 'one summary entry for the hub');
    assert.match(upgraded.baselines[0]!.why, /^first read of pixel partner shares: 2 shares recorded as the baseline/);
    const pixels = upgraded.run.changes?.shareBaselines?.find((b) => b.assetType === 'pixel');
    assert.deepEqual([pixels?.shares, pixels?.recorded.map((r) => `${r.partnerBusinessId} ${r.assetId}`).sort()], [2, [`${app.partners[0].businessId} px_1`, '3000 px_2'].sort()]);
    assert.deepEqual((upgraded.baselines[0]!.detail as { baselines: Array<{ recorded: unknown[] }> }).baselines[0]!.recorded.length, 2, 'each share is in the audit entry, not only the count');
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.partnerShareTypes?.includes('pixel'), true);

    app.partners[1].assets.push(pixelShare('px_3'));
    const next = await check(store, connector, 'next');
    assert.deepEqual(next.found, ['partner-share-shared px_3']);
    assert.deepEqual(next.baselines, []);
    assert.equal(next.run.changes?.shareBaselines, undefined);
  });

  test('a check that read pixel shares and found none is no first read: the first share after it is audited', async () => {
    const app = business();
    const store = new MemoryStore();
    const connector = fakeConnector(app);
    await check(store, connector, 'none-shared');
    app.partners[0].assets.push(pixelShare('px_1'));
    const later = await check(store, connector, 'one-shared');
    assert.deepEqual(later.found, ['partner-share-shared px_1']);
    assert.deepEqual(later.baselines, []);
  });

  test('pixels unreadable for a check keep their shares; readable again, they are compared with the kept ones, not taken as a first read', async () => {
    const app = business();
    app.partners[0].assets.push(pixelShare('px_1'));
    const store = new MemoryStore();
    const connector = fakeConnector(app);
    await check(store, connector, 'read');
    // The token may no longer list pixels: it cannot see their shares either (the connector lists none).
    connector.failOnAssetType = { type: 'pixel', kind: 'permission-denied' };
    const shares = app.partners[0].assets;
    app.partners[0].assets = shares.filter((a) => a.type !== 'pixel');
    const unreadable = await check(store, connector, 'unreadable');
    assert.deepEqual(unreadable.found, [], 'not audited as no longer shared');
    delete connector.failOnAssetType;
    app.partners[0].assets = [...shares, pixelShare('px_2')];
    const again = await check(store, connector, 'readable-again');
    assert.deepEqual(again.found, ['partner-share-shared px_2'], 'px_1 was kept, px_2 is new');
    assert.deepEqual(again.baselines, []);
  });

  test('after an upgrade, a check that cannot see pixel shares leaves them unread: the first that can takes them as the baseline', async () => {
    const app = business();
    app.partners[0].assets.push(pixelShare('px_1'));
    const { store, connector } = await upgradedStore(app);
    connector.failOnAssetType = { type: 'pixel', kind: 'permission-denied' };
    const shares = app.partners[0].assets;
    app.partners[0].assets = shares.filter((a) => a.type !== 'pixel');
    const blind = await check(store, connector, 'blind');
    assert.deepEqual([blind.found, blind.baselines], [[], []]);
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.partnerShareTypes?.includes('pixel'), false);
    delete connector.failOnAssetType;
    app.partners[0].assets = shares;
    const seeing = await check(store, connector, 'seeing');
    assert.deepEqual(seeing.found, []);
    assert.match(seeing.baselines[0]?.why ?? '', /^first read of pixel partner shares: 1 share recorded as the baseline/);
  });
});
