/**
 * A token without `pages_manage_metadata` may list the business's Pages but not who holds them
 * (https://developers.facebook.com/docs/graph-api/reference/page/assigned_users; the emulator
 * answers (#200)). Such a Page's holders are unread, kept as last seen; the other assets' holders
 * are read as usual. Before, the one refusal failed every asset's read: a hub whose teams grant
 * only ad accounts never read who held them (hand-made grants and removals went unseen).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { readApp } from '../../agent/check-for-updates/read-app.ts';
import { runCheckForUpdates } from '../../agent/check-for-updates/run-check.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { configSchema } from '../../config/schema.ts';
import '../../agent/app-state/records.ts';

const log = { debug() {}, info() {}, warn() {}, error() {} };
const TYPES = ['ad_account', 'page', 'catalog', 'pixel'] as const;

describe('meta-business: assets whose holders the token may not read', () => {
  const server = listeningEmulator();
  const { emulator } = server;
  const seed = (pageScope: boolean) => {
    const f = sandboxFixture();
    if (!pageScope) f.tokens = f.tokens.map((t) => (t.value === SANDBOX.token ? { ...t, scopes: t.scopes.filter((s) => s !== 'pages_manage_metadata') } : t));
    emulator.control.seed(f);
  };
  const connector = () => createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });

  test('a Page refused: the other assets\' holders are read, the Page is reported unread, not "nobody holds it"', async () => {
    seed(true);
    const full = await readApp(connector(), { assetTypes: TYPES, partnersWithToken: [] });
    assert.ok(full.assignments.some((a) => a.asset.type === 'page') && full.assignments.some((a) => a.asset.type === 'ad_account'), 'the sandbox assigns people to Pages and ad accounts');
    seed(false);
    const reading = await readApp(connector(), { assetTypes: TYPES, partnersWithToken: [], managedAssetTypes: ['ad_account'] });
    assert.deepEqual(reading.unavailable, [], 'the assignments section was read');
    assert.deepEqual(
      reading.assignments.map((a) => `${a.asset.id}:${a.userId}`).sort(),
      full.assignments.filter((a) => a.asset.type !== 'page').map((a) => `${a.asset.id}:${a.userId}`).sort(),
    );
    const pages = reading.assets.filter((a) => a.type === 'page').map((a) => a.id).sort();
    assert.ok(pages.length > 0);
    assert.deepEqual(reading.unreadableAssignments?.map((u) => u.asset.id).sort(), pages);
    assert.match(reading.unreadableAssignments![0].message, /#200/);
  });

  test('the check for updates keeps the Page\'s last known holders, reads the ad accounts\' afresh, and says the assignments were not read in full', async () => {
    const hub = configSchema.parse({ hubs: [{ id: 'acme', connector: 'meta-business', meta: { businessId: SANDBOX.businessId } }] }).hubs[0];
    const store = new MemoryStore();
    const c = connector();
    const check = (taskId: string) => runCheckForUpdates({ store, hub, connector: c, trigger: { type: 'admin', actor: 'test' }, taskId, now: () => new Date(), log: { info() {}, warn() {} } });
    seed(true);
    await check('first');
    const before = await collect(store.list('appAssignments', 'acme'));
    const onPages = before.filter((a) => a.asset.type === 'page').map((a) => a.key).sort();
    assert.ok(onPages.length > 0);
    seed(false);
    // A grant on an ad account changed by hand since: read, while the Pages are not.
    const adAccount = before.find((a) => a.asset.type === 'ad_account' && a.userType === 'member')!;
    emulator.control.seed({ ...(() => {
      const f = sandboxFixture();
      f.tokens = f.tokens.map((t) => (t.value === SANDBOX.token ? { ...t, scopes: t.scopes.filter((s) => s !== 'pages_manage_metadata') } : t));
      f.assignments = f.assignments.filter((a) => !(a.assetId === adAccount.asset.id && a.userId === adAccount.userId));
      return f;
    })() });
    const run = await check('second');
    const after = await collect(store.list('appAssignments', 'acme'));
    assert.deepEqual(after.filter((a) => a.asset.type === 'page').map((a) => a.key).sort(), onPages, 'the Pages\' holders are kept as last seen');
    assert.ok(!after.some((a) => a.key === adAccount.key), 'the ad account grant removed by hand is seen gone');
    assert.ok(run.unavailable?.some((u) => u.section === 'assignments' && /could not be read and are kept as last seen/.test(u.message)), JSON.stringify(run.unavailable));
    assert.ok(!run.sectionsRead?.includes('assignments'));
  });
});
