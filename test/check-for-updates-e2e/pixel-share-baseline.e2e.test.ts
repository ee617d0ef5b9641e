/**
 * End to end: upgrading from a release whose Meta connector read no pixel shares. The first check
 * that reads them (`/{pixel}/shared_agencies`) records the existing ones as the baseline in one
 * audit entry, not each as newly shared; the next check audits a new share as found. Real Meta
 * connector over the emulator, memory store (agent/check-for-updates/share-baseline.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { configSchema } from '../../config/schema.ts';
import { runCheckForUpdates } from '../../agent/check-for-updates/run-check.ts';
import { createMetaBusiness } from '../../connectors/meta-business/connector.ts';
import { sandboxFixture, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import type { MetaFixture } from '../../connectors/meta-business/emulator/fixture.ts';
import { listeningEmulator } from '../../connectors/meta-business/test-emulator.ts';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import '../../agent/app-state/records.ts';

const HUB = 'acme-meta';
const hub = configSchema.parse({ hubs: [{ id: HUB, connector: 'meta-business', meta: { businessId: SANDBOX.businessId } }] }).hubs[0];
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const trigger = { type: 'admin' as const, actor: 'test' };
let clock = Date.parse('2026-12-01T10:00:00.000Z');
const now = () => new Date((clock += 1000));

/** The sandbox business with its pixel 444 and pixels 5000.. shared with Northwind, `shared` pixels in all. */
function business(shared: number): MetaFixture {
  const f = sandboxFixture();
  for (let i = 0; i < shared; i++) {
    const id = i === 0 ? SANDBOX.pixelId : String(5000 + i);
    if (i > 0) f.assets.push({ type: 'pixel', id, name: `Pixel ${id}`, ownerBusinessId: SANDBOX.businessId });
    f.shares.push({ assetId: id, partnerBusinessId: SANDBOX.partner.businessId, permittedTasks: ['ANALYZE'], accessStatus: 'CONFIRMED' });
  }
  return f;
}

describe('pixel partner shares first read after an upgrade (Meta connector over the emulator)', () => {
  const server = listeningEmulator();
  const store = new MemoryStore();
  const meta = () => createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log: silent });

  async function check(connector: HubConnector, taskId: string) {
    const run = await runCheckForUpdates({ store, hub, connector, trigger, taskId, now, log: silent });
    assert.equal(run.outcome, 'completed');
    const audit = (await collect(store.list('audit', HUB))).filter((e) => e.taskId === taskId);
    return {
      found: audit.filter((e) => e.action.startsWith('partner-share-')).map((e) => `${e.action} ${(e.detail?.asset as { type: string; id: string }).type} ${(e.detail?.asset as { id: string }).id}`),
      baselines: audit.filter((e) => e.action === 'partner-shares-baseline').map((e) => e.why),
    };
  }

  test('existing pixel shares are the baseline (one note); the next check audits the one new share', async () => {
    server.emulator.control.seed(business(2));
    // The earlier release: the same partners, without their pixels, and no record of which share kinds it read.
    const earlier = meta();
    const listPartners = earlier.listPartners!.bind(earlier);
    earlier.listPartners = async (cursor) => {
      const page = await listPartners(cursor);
      return { ...page, items: page.items.map((p) => ({ ...p, assets: p.assets.filter((a) => a.type !== 'pixel') })) };
    };
    await check(earlier, 'earlier-release');
    const { partnerShareTypes: _, ...imported } = (await store.get('appImports', HUB, HUB))!;
    await store.transact((tx) => tx.put('appImports', HUB, HUB, imported));

    const upgraded = await check(meta(), 'upgraded');
    assert.deepEqual(upgraded.found, [], 'no pixel share audited as newly shared');
    assert.equal(upgraded.baselines.length, 1);
    assert.match(upgraded.baselines[0]!, /^first read of pixel partner shares: 2 shares recorded as the baseline/);

    server.emulator.control.seed(business(3));
    const next = await check(meta(), 'next');
    assert.deepEqual(next.found, ['partner-share-shared pixel 5002']);
    assert.deepEqual(next.baselines, []);
  });
});
