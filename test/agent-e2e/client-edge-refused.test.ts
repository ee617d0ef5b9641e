/**
 * End to end: Meta limits `client_ad_accounts` to apps that called it in the last 30 days
 * (connectors/meta-business/README.md [INF] "Limited access to client_ad_accounts"). A hub whose
 * token is refused there still governs its own ad accounts (listed, their assignments read and
 * granted), keeps the client ad accounts it knew and their assignments as last seen (nothing
 * removed or granted again on a partial picture), and its health says why. Real Meta connector
 * over the emulator, the refusal switched on with the emulator's `clientAdAccountsLimited` guard.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { configSchema } from '../../config/schema.ts';
import { hubHealth } from '../../agent/health/hub-health.ts';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { CLIENT_AD_ACCOUNT, CLIENT_ASSIGNEE, withClientAdAccount } from '../../connectors/meta-business/client-share.test-double.ts';
import type { CheckRunRecord } from '../../agent/check-for-updates/check-run.ts';
import { checkForUpdates, HUB, onboard, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';

const EVE = 'eve.moneypenny@sandbox.example'; // CLIENT_ASSIGNEE: act_111 [ADVERTISE, ANALYZE] and the client act_555 [ANALYZE]
const REFUSED = /assets.*ad_account: listed only in part \(client ad accounts: .*\(#200\) Permissions error.*\); the client assets it could not list are kept as last seen/;

/** The harness hub, with a team on the client ad account too. */
const config = () => configSchema.parse({
  hubs: [{
    id: HUB, connector: 'meta-business', meta: { businessId: SANDBOX.businessId },
    teams: [
      { group: 'Meta Advertisers', appRole: 'EMPLOYEE', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }] },
      { group: 'Client Analysts', appRole: 'EMPLOYEE', assets: [{ type: 'ad_account', id: CLIENT_AD_ACCOUNT, tasks: ['ANALYZE'] }] },
    ],
    safety: { settleSeconds: 1, removalThresholdPercent: 50, confirmDeprovisioning: false },
  }],
});
const lastRun = async (h: Harness) => (await collect(h.store.list('checkRuns', HUB))).sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1))[0] as CheckRunRecord;
const assetCalls = (h: Harness, id: string) => h.emulator.calls.filter((c) => c.method !== 'GET' && c.path.startsWith(`/${id}/`));

for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`client_ad_accounts refused: the hub still governs its own ad accounts (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ store: kind, config: config(), emulator: { fixture: withClientAdAccount(), guards: { clientAdAccountsLimited: true } } });
      await checkForUpdates(h);
    });
    after(() => h.close());

    test('the first import lists and reads the owned ad accounts; health says the client ones could not be listed', async () => {
      const assets = (await collect(h.store.list('appAssets', HUB))).filter((a) => a.type === 'ad_account');
      assert.deepEqual(assets.map((a) => `${a.ownership}:${a.id}`).sort(), ['owned:act_111', 'owned:act_112']);
      assert.ok((await collect(h.store.list('appAssignments', HUB))).some((a) => a.asset.id === 'act_111' && a.userId === CLIENT_ASSIGNEE), 'assignments on the owned ad accounts are read');
      const run = await lastRun(h);
      assert.equal((await h.store.get('appImports', HUB, HUB))?.complete, true);
      assert.deepEqual(run.incompleteAssetTypes?.map((t) => [t.type, t.ownership]), [['ad_account', 'client']]);
      assert.deepEqual(run.unreadableAssetTypes, []);
      const health = await hubHealth(h.store, HUB, new Date());
      assert.equal(health.status, 'degraded');
      assert.ok(health.problems.some((p) => REFUSED.test(p)), health.problems.join('\n'));
    });

    test('a person added to a team mapping an owned ad account is granted it', async () => {
      const jane = await onboard(h, 'u-jane', 'jane@example.com', 'Meta Advertisers');
      const granted = await until('act_111 for jane', () => h.emulator.control.state().assignments.find((a) => a.assetId === 'act_111' && a.userId === jane));
      assert.deepEqual([...granted.tasks].sort(), ['ADVERTISE', 'ANALYZE']);
      assert.ok((await collect(h.store.list('appAssignments', HUB))).some((a) => a.asset.id === 'act_111' && a.userId === jane), 'and the next check reads it');
    });
  });

  describe(`client_ad_accounts refused later: the client ad account known keeps its assignments (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ store: kind, config: config(), emulator: { fixture: withClientAdAccount() } });
      await h.directory.createUser('u-eve', EVE);
      await h.directory.patchGroup('Meta Advertisers', ['u-eve']);
      await h.directory.patchGroup('Client Analysts', ['u-eve']);
      await checkForUpdates(h);
    });
    after(() => h.close());

    test('with access, the client ad account and Eve\'s assignment on it are known and nothing is changed', async () => {
      assert.ok(await h.store.get('appAssets', HUB, `ad_account:${CLIENT_AD_ACCOUNT}`));
      assert.ok(await h.store.get('appAssignments', HUB, `ad_account:${CLIENT_AD_ACCOUNT}:${CLIENT_ASSIGNEE}`));
      assert.deepEqual(assetCalls(h, CLIENT_AD_ACCOUNT), []);
    });

    test('refused: the client ad account and its assignment are kept as last seen, nothing is granted or removed on it, owned assignments are still read, health says why', async () => {
      h.emulator.control.setGuards({ clientAdAccountsLimited: true });
      // Frank's ANALYZE on the owned act_112 is removed by hand meanwhile: the owned part is read, so it shows.
      const res = await fetch(`${h.url}/v25.0/act_112/assigned_users?user=${SANDBOX.employees[1]}&access_token=${SANDBOX.token}`, { method: 'DELETE' });
      assert.equal(res.status, 200, await res.text());
      h.emulator.control.clearCalls();
      await checkForUpdates(h);
      const kept = await h.store.get('appAssets', HUB, `ad_account:${CLIENT_AD_ACCOUNT}`);
      assert.equal(kept?.ownership, 'client');
      assert.deepEqual((await h.store.get('appAssignments', HUB, `ad_account:${CLIENT_AD_ACCOUNT}:${CLIENT_ASSIGNEE}`))?.tasks, ['ANALYZE']);
      assert.equal(await h.store.get('appAssignments', HUB, `ad_account:act_112:${SANDBOX.employees[1]}`), undefined, 'the owned assignment removed by hand is read as gone');
      assert.deepEqual(assetCalls(h, CLIENT_AD_ACCOUNT), [], 'no grant or removal on the client ad account');
      const drift = (await h.agent.api.audit({ hubId: HUB, action: 'drift-tasks-removed' })).items;
      assert.ok(drift.some((e) => /act_112/.test(e.why)), 'the owned change is reported');
      assert.ok(!drift.some((e) => e.why.includes(CLIENT_AD_ACCOUNT)), 'nothing reported removed on the client ad account');
      const health = await hubHealth(h.store, HUB, new Date());
      assert.equal(health.status, 'degraded');
      assert.ok(health.problems.some((p) => REFUSED.test(p)), health.problems.join('\n'));
    });

    test('access back: the warning clears', async () => {
      h.emulator.control.setGuards({});
      await checkForUpdates(h);
      assert.equal((await lastRun(h)).incompleteAssetTypes, undefined);
      assert.ok(!(await hubHealth(h.store, HUB, new Date())).problems.some((p) => REFUSED.test(p)));
      assert.ok(await h.store.get('appAssignments', HUB, `ad_account:${CLIENT_AD_ACCOUNT}:${CLIENT_ASSIGNEE}`));
    });
  });
}
