/**
 * End to end through the whole agent: a hub configured with `partners: []` (its IdP Okta), and a
 * hub whose app may not use Meta's business-to-business endpoints, so its partner listing fails
 * (its IdP Entra). Both complete their checks for updates: members are matched, an invite accepted
 * in Meta gets its assets, a removal runs after the settle window, and write-back reaches the IdP
 * through the real SDKs. The Meta, Okta and Microsoft Graph emulators stand in for the services.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { createAgent } from '../../agent/agent.ts';
import { createHubConnector } from '../../agent/hub-connector.ts';
import { createMemberService } from '../../agent/members/member-service.ts';
import { createWriteback } from '../../agent/writeback/writeback.ts';
import { childLogger } from '../../agent/log/logger.ts';
import type { CheckRunRecord } from '../../agent/check-for-updates/check-run.ts';
import { createMetaEmulator, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { createOktaEmulator } from '../emulators/okta/okta-emulator.ts';
import { createGraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { Directory } from '../agent-e2e/directory.ts';
import { until } from '../agent-e2e/harness.ts';
import { HUB, OKTA_TOKEN, hubConfig } from './business.ts';
import { suiteStores, type SuiteStore } from '../suite-stores.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const ENTRA = { tenantId: 'c0ffee00-1111-2222-3333-444455556666', clientId: 'a1b2c3d4-0000-1111-2222-333344445555', clientSecret: 'entra-degraded-e2e-secret', extensionAppId: 'e7e7e7e7-aaaa-bbbb-cccc-ddddeeeeffff' };
const PEOPLE = {
  'u-ada': ['ada.lovelace@sandbox.example', 'Meta Admins'],
  'u-grace': ['grace.hopper@sandbox.example', 'Meta Admins'],
  'u-eve': ['eve.moneypenny@sandbox.example', 'Meta Advertisers'],
  'u-frank': ['frank.ledger@sandbox.example', 'Meta Advertisers'],
  'u-new': [SANDBOX.pendingInviteEmail, 'Meta Advertisers'],
} as const;
const owner = { type: 'admin' as const, actor: 'owner@sandbox.example' };

async function runHub(variant: 'okta-no-partners' | 'entra-partner-listing-fails', kind: SuiteStore) {
  const closers: Array<() => Promise<void>> = [];
  const meta = createMetaEmulator();
  const metaServer = await meta.listen(0);
  closers.push(metaServer.close);
  let idpYaml: string;
  let standing: (email: string) => unknown;
  if (variant === 'okta-no-partners') {
    const okta = createOktaEmulator({ token: OKTA_TOKEN, users: Object.values(PEOPLE).map(([login]) => ({ login })) });
    const server = await okta.listen();
    closers.push(server.close);
    idpYaml = `  okta:\n    kind: okta\n    orgUrl: ${server.url}\n    token: env:OKTA_TOKEN\n`;
    standing = (email) => okta.state().users.find((u) => String(u.profile.login) === email)?.profile[`hubwarden_${HUB.replace(/-/g, '_')}_status`];
  } else {
    // The app was not granted Meta's business-to-business endpoints: agencies/clients answer (#10).
    meta.control.setGuards({ noBusinessToBusinessAccess: true });
    const graph = createGraphEmulator({ ...ENTRA, applications: [{ appId: ENTRA.extensionAppId }], users: Object.values(PEOPLE).map(([upn]) => ({ userPrincipalName: upn })) });
    const server = await graph.listen();
    closers.push(server.close);
    idpYaml = `  entra:\n    kind: entra\n    tenantId: ${ENTRA.tenantId}\n    clientId: ${ENTRA.clientId}\n    clientSecret: env:ENTRA_SECRET\n    extensionAppId: ${ENTRA.extensionAppId}\n    graphBaseUrl: ${server.url}\n    authorityUrl: ${server.url}\n`;
    const ext = `extension_${ENTRA.extensionAppId.replace(/-/g, '')}_hubwarden_${HUB.replace(/-/g, '_')}_status`;
    standing = (email) => graph.state().users.find((u) => u.userPrincipalName === email)?.[ext];
  }
  const config = hubConfig(metaServer.url, {
    identityProviders: idpYaml, identityProvider: variant === 'okta-no-partners' ? 'okta' : 'entra',
    partners: variant === 'okta-no-partners' ? 'none' : 'sandbox', settleSeconds: 1, env: { ENTRA_SECRET: ENTRA.clientSecret },
  });
  const hub = config.file.hubs[0];
  const { store, dispose } = await kind.open();
  const connector = createHubConnector(hub, config, { log: silent });
  const connectorFor = () => connector;
  const writeback = createWriteback({ config, store, log: childLogger('writeback-degraded-e2e') });
  const service = createMemberService({ config, store, log: silent, writeback });
  const agent = createAgent({ config, store, connectorFor, log: silent, members: service, auditFile: false, runner: { backoffBaseMs: 20, backoffMaxMs: 200, leaseMs: 2_000 } });
  await agent.start();
  await service.start({ connectorFor });
  await agent.idle();
  const check = async () => {
    const task = await service.checkForUpdates(HUB, owner);
    await agent.idle();
    const done = (await store.get('tasks', HUB, task.id))!;
    assert.equal(done.status, 'completed', JSON.stringify(done.lastError));
    return { task: done, run: await store.get('checkRuns', HUB, task.id) as CheckRunRecord };
  };
  return {
    meta, store, agent, service, check, standing, directory: new Directory(store, HUB),
    async close() {
      await service.stop();
      await agent.stop(500);
      service.close();
      for (const c of closers) await c();
      await dispose();
    },
  };
}

// On the memory store and on PostgreSQL (test/suite-stores.ts).
for (const kind of await suiteStores('memory', 'postgres')) for (const variant of ['okta-no-partners', 'entra-partner-listing-fails'] as const) {
  describe(`a hub with ${variant === 'okta-no-partners' ? 'partners: [] (Okta)' : 'its partner listing failing (Entra)'}: a full check for updates and what follows it (${kind.kind})`, { skip: kind.skip }, () => {
    test('members matched, assets assigned after acceptance, a removal after the settle window, write-back to the IdP', async () => {
      const h = await runHub(variant, kind);
      try {
        for (const [id, [email]] of Object.entries(PEOPLE)) await h.directory.createUser(id, email);
        await h.directory.patchGroup('Meta Admins', ['u-ada', 'u-grace']);
        await h.directory.patchGroup('Meta Advertisers', ['u-eve', 'u-frank', 'u-new']);
        await h.agent.idle();

        const { run, task } = await h.check();
        assert.equal(run.outcome, 'completed');
        assert.equal((await h.store.get('appImports', HUB, HUB))?.complete, true);
        if (variant === 'okta-no-partners') {
          assert.deepEqual(run.sectionsRead, ['members', 'invites', 'system users', 'assets', 'assignments', 'partners']);
          assert.equal(run.unavailable, undefined);
        } else {
          assert.deepEqual(run.sectionsRead, ['members', 'invites', 'system users', 'assets', 'assignments']);
          assert.deepEqual(run.unavailable?.map((u) => u.section), ['partners']);
          assert.match(run.unavailable![0].message, /\[10\]/);
          assert.ok((await h.service.health(HUB))!.problems.some((p) => /could not read partners/.test(p)), 'hub health warns');
          assert.equal((await h.service.health(HUB))!.status, 'degraded');
        }
        assert.equal((task.result as { writeback?: string }).writeback, 'done');
        const status = async (id: string) => (await h.service.member(HUB, id))?.status;
        assert.equal(await status(SANDBOX.admins[0]), 'onboarded');
        assert.equal(await status(SANDBOX.employees[0]), 'onboarded');
        assert.equal(await status(`invite:${SANDBOX.pendingInviteId}`), 'invited');
        assert.equal(h.standing('ada.lovelace@sandbox.example'), 'onboarded', 'written back');
        assert.equal(h.standing(SANDBOX.pendingInviteEmail), 'invited');

        // The new hire accepts in Meta; the next check finds the seat and the reconcile assigns the ad account.
        const { memberId } = h.meta.control.acceptInvite(SANDBOX.pendingInviteId, { name: 'New Hire' });
        await h.check();
        await until('act_111 for the new hire', () => h.meta.control.state().assignments.find((a) => a.userId === memberId && a.assetId === 'act_111'), 10_000);
        assert.equal(await status(memberId), 'onboarded');
        assert.equal(h.standing(SANDBOX.pendingInviteEmail), 'onboarded', 'written back after acceptance');

        // Frank holds finance_permission EDITOR (sandbox), so he reads FINANCE_EDITOR; his team gives
        // EMPLOYEE: demoted once after the settle window, then read EMPLOYEE and left alone.
        const frank = SANDBOX.employees[1];
        const roleWrites = () => h.meta.calls.filter((c) => c.method === 'POST' && c.path === `/${frank}` && c.body.role !== undefined).map((c) => c.body.role);
        await until('Frank demoted', () => h.meta.control.state().users.find((u) => u.id === frank)?.finance_permission === undefined, 15_000);
        await h.agent.idle();
        await h.check();
        await h.agent.idle();
        assert.deepEqual(roleWrites(), ['EMPLOYEE'], 'one demotion, no change loop');
        assert.equal((await h.service.member(HUB, frank))?.appRole, 'EMPLOYEE');

        // Frank leaves the mapped group: removed once the directory was quiet for the settle window.
        await h.directory.patchGroup('Meta Advertisers', [], ['u-frank']);
        await until('Frank removed', () => !h.meta.control.state().users.some((u) => u.id === SANDBOX.employees[1]), 15_000);
        await h.agent.idle();
        assert.deepEqual((await collect(h.store.list('tasks', HUB))).filter((t) => t.status === 'failed').map((t) => `${t.kind}: ${t.lastError?.message}`), []);
      } finally {
        await h.close();
      }
    });
  });
}
