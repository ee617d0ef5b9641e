/**
 * End to end: a check for updates, then write-back (agent/writeback, H6) of every directory
 * user's standing on the hub to the Okta emulator through the real okta-sdk-nodejs: the exact
 * attributes, and an owner's exemption and manual match reaching Okta on the next check.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaEmulator, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { createOktaEmulator, type OktaEmulator } from '../emulators/okta/okta-emulator.ts';
import { createHubConnector } from '../../agent/hub-connector.ts';
import { createCheckForUpdatesHandler } from '../../agent/check-for-updates/handler.ts';
import { createMemberService, type MemberService } from '../../agent/members/member-service.ts';
import { createWriteback } from '../../agent/writeback/writeback.ts';
import { childLogger } from '../../agent/log/logger.ts';
import type { Store } from '../../agent/store/store.ts';
import { TaskRunner } from '../../agent/tasks/task-runner.ts';
import { DIR, HUB, hubConfig, LOGINS, OKTA_TOKEN, seedDirectory } from './business.ts';
import { suiteStores } from '../suite-stores.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const owner = { type: 'admin' as const, actor: 'owner@sandbox.example' };
const attr = (field: string) => `hubwarden_${HUB.replace(/-/g, '_')}_${field}`;

// On the memory store and on PostgreSQL (test/suite-stores.ts).
for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`check for updates → write-back to Okta (emulators, real SDKs) (${kind.kind})`, { skip: kind.skip }, () => {
    let okta: OktaEmulator;
    let runner: TaskRunner;
    let service: MemberService;
    let store: Store;
    const closers: Array<() => Promise<void>> = [];

    before(async () => {
      const meta = createMetaEmulator();
      const metaServer = await meta.listen(0);
      closers.push(metaServer.close);
      const opened = await kind.open();
      store = opened.store;
      closers.push(opened.dispose);
      await seedDirectory(store);
      okta = createOktaEmulator({ token: OKTA_TOKEN, users: Object.values(LOGINS).map((login) => ({ login: login.toLowerCase() })) });
      const oktaServer = await okta.listen();
      closers.push(oktaServer.close);
      const config = hubConfig(metaServer.url, oktaServer.url);
      const hub = config.file.hubs[0];
      const connector = createHubConnector(hub, config, { log: silent });
      const writeback = createWriteback({ config, store, log: childLogger('writeback-e2e') });
      runner = new TaskRunner({ store, log: silent, handlers: [createCheckForUpdatesHandler({ writeback })], hubs: () => new Map([[HUB, hub]]), connectorFor: () => connector });
      runner.start();
      service = createMemberService({ config, store, log: silent });
    });
    after(async () => {
      await runner.stop();
      service.close();
      for (const close of closers) await close();
    });

    const check = async () => {
      const task = await service.checkForUpdates(HUB, owner);
      await runner.idle();
      const done = (await store.get('tasks', HUB, task.id))!;
      assert.equal(done.status, 'completed', JSON.stringify(done.lastError));
      return done;
    };
    const profileOf = (dirId: string) => {
      const user = okta.state().users.find((u) => String(u.profile.login).toLowerCase() === LOGINS[dirId].toLowerCase())!;
      return [user.profile[attr('status')], user.profile[attr('role')], user.profile[attr('exemption')]];
    };

    test('each directory user carries its standing in Okta after a check', async () => {
      const task = await check();
      assert.equal((task.result as { writeback?: string }).writeback, 'done');
      assert.deepEqual(profileOf(DIR.ada), ['onboarded', 'ADMIN', '']);
      assert.deepEqual(profileOf(DIR.eve), ['onboarded', 'EMPLOYEE', '']);
      assert.deepEqual(profileOf(DIR.newHire), ['invited', 'EMPLOYEE', '']);
      assert.deepEqual(profileOf(DIR.casey), ['pending', '', '']); // the contractor seat is not matched to Casey yet
    });

    test("an owner's exemption and manual match reach Okta with the next check, as partial updates", async () => {
      await service.exemptMember(HUB, SANDBOX.employees[3], { reason: 'brand designer managed by the agency' }, owner);
      await service.matchMember(HUB, SANDBOX.employees[2], { directoryUserId: DIR.casey }, owner);
      const postsBefore = okta.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/v1/users/')).length;
      await check();
      assert.deepEqual(profileOf(DIR.dan), ['exempted', 'EMPLOYEE', 'brand designer managed by the agency']);
      assert.deepEqual(profileOf(DIR.casey), ['onboarded', 'EMPLOYEE', '']);
      // Only the two people whose standing changed were written.
      const posts = okta.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/api/v1/users/')).slice(postsBefore);
      assert.equal(posts.length, 2);
      assert.equal(okta.calls.some((c) => c.method === 'PUT'), false);
    });
  });
}
