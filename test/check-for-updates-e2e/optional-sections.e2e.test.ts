/**
 * End to end: an optional section of a check for updates that fails (partners, assets,
 * assignments, system users) degrades instead of failing the import. Members and invites are
 * still read, matched and written back as complete; the failed section keeps its previous data;
 * the run summary says which sections were read; hub health warns; partner guests say why their
 * data is unavailable. A required section (invites) still fails the run
 * (check-for-updates.e2e.test.ts). Real Meta connector over the emulator, faults injected there.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { SANDBOX, type FaultConfig, type MetaEmulator } from '../../connectors/meta-business/emulator/index.ts';
import { createHubConnector } from '../../agent/hub-connector.ts';
import { createCheckForUpdatesHandler } from '../../agent/check-for-updates/handler.ts';
import { createMemberService, type MemberService } from '../../agent/members/member-service.ts';
import type { Store } from '../../agent/store/store.ts';
import { TaskRunner } from '../../agent/tasks/task-runner.ts';
import type { CheckRunRecord } from '../../agent/check-for-updates/check-run.ts';
import { DIR, HUB, sandboxHub } from './business.ts';
import { suiteStores } from '../suite-stores.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const owner = { type: 'admin' as const, actor: 'owner@sandbox.example' };
const P = SANDBOX.partner;
const ALL = ['members', 'invites', 'system users', 'assets', 'assignments', 'partners'];

// On the memory store and on PostgreSQL (test/suite-stores.ts).
for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`check for updates with an optional section failing (Meta connector over the emulator) (${kind.kind})`, { skip: kind.skip }, () => {
    let emulator: MetaEmulator;
    let store: Store;
    let runner: TaskRunner;
    let service: MemberService;
    let close: () => Promise<void>;
    let writebacks = 0;

    before(async () => {
      let config;
      ({ emulator, close, config, store } = await sandboxHub(kind));
      const hub = config.file.hubs[0];
      const connector = createHubConnector(hub, config, { log: silent });
      // Write-back runs after every completed import; its Okta/Entra side is covered by writeback.e2e and degraded-hub.e2e.
      const writeback = { run: async () => { writebacks++; } };
      runner = new TaskRunner({
        store, log: silent, handlers: [createCheckForUpdatesHandler({ writeback })], hubs: () => new Map([[HUB, hub]]), connectorFor: () => connector,
        backoffBaseMs: 600_000, backoffMaxMs: 600_000,
      });
      runner.start();
      service = createMemberService({ config, store, log: silent });
    });
    after(async () => {
      await runner.stop();
      service.close();
      await close();
    });

    async function checkWith(faults: FaultConfig) {
      emulator.control.setFaults(faults);
      try {
        const task = await service.checkForUpdates(HUB, owner);
        await runner.idle();
        const done = (await store.get('tasks', HUB, task.id))!;
        assert.equal(done.status, 'completed', JSON.stringify(done.lastError));
        return await store.get('checkRuns', HUB, task.id) as CheckRunRecord;
      } finally {
        emulator.control.setFaults({});
      }
    }
    const counts = async () => ({ ...(await store.get('appImports', HUB, HUB))!.counts });
    const healthWarns = async (section: string) => (await service.health(HUB))!.problems.some((p) => p.startsWith(`last check for updates could not read ${section}`));

    /** What must hold after any degraded run: members and invites read and matched, write-back ran, a reconcile queued. */
    async function stillComplete(run: CheckRunRecord, before: number) {
      assert.equal(run.outcome, 'completed');
      assert.equal((await store.get('appImports', HUB, HUB))?.complete, true);
      assert.equal((await store.get('appImports', HUB, HUB))?.taskId, run.id);
      assert.equal((await service.member(HUB, SANDBOX.admins[0]))?.status, 'onboarded');
      assert.equal((await service.member(HUB, SANDBOX.admins[0]))?.directoryUserId, DIR.ada);
      assert.equal((await service.member(HUB, `invite:${SANDBOX.pendingInviteId}`))?.directoryUserId, DIR.newHire);
      assert.ok(run.reconcileTaskId, 'a reconcile pass follows the degraded import');
      assert.equal(writebacks, before + 1, 'write-back ran');
    }

    test('a healthy first import reads every section', async () => {
      const run = await checkWith({});
      assert.deepEqual(run.sectionsRead, ALL);
      assert.equal(run.unavailable, undefined);
      assert.equal((await service.health(HUB))!.problems.some((p) => /could not read/.test(p)), false);
    });

    test('partners fail: guests keep their previous data and say why it is unavailable; health warns', async () => {
      const before = await counts();
      const wb = writebacks;
      const run = await checkWith({ errorRate: 1, match: '/(agencies|clients)$' });
      await stillComplete(run, wb);
      assert.deepEqual(run.sectionsRead, ALL.filter((s) => s !== 'partners'));
      assert.deepEqual(run.unavailable?.map((u) => u.section), ['partners']);
      assert.match(run.unavailable![0].message, /list agencies of business/);
      assert.equal((await counts()).partners, before.partners);
      const guest = (await service.member(HUB, `partner:${P.businessId}:${P.users[0]}`))!;
      assert.equal(guest.status, 'guest');
      assert.match(guest.unavailable ?? '', /^partner data unavailable: .*list agencies/);
      assert.ok(await healthWarns('partners'));
      assert.ok((await collect(store.list('audit', HUB))).some((e) => e.taskId === run.id && /not read \(previous data kept\): partners/.test(e.why)));
    });

    test('the next healthy import clears the warning and the guests\' note', async () => {
      await checkWith({});
      assert.equal(await healthWarns('partners'), false);
      assert.equal((await service.member(HUB, `partner:${P.businessId}:${P.users[0]}`))?.unavailable, undefined);
    });

    /** A run with one optional section failing: the import still completes, health warns about that section. */
    async function degraded(section: string, match: string) {
      const before = await counts();
      const wb = writebacks;
      const run = await checkWith({ errorRate: 1, match });
      await stillComplete(run, wb);
      assert.deepEqual(run.sectionsRead, ALL.filter((s) => s !== section));
      assert.deepEqual(run.unavailable?.map((u) => u.section), [section]);
      assert.ok(await healthWarns(section));
      return { run, before };
    }

    test('assets fail (one type): that type keeps what was known; assignments of the others are read', async () => {
      const { run, before } = await degraded('assets', '/owned_pages$');
      assert.deepEqual(run.unreadableAssetTypes?.map((u) => u.type), ['page']);
      assert.ok(await store.get('appAssets', HUB, `page:${SANDBOX.pageId}`), 'the page is still known');
      assert.deepEqual([(await counts()).assets, (await counts()).assignments], [before.assets, before.assignments]);
    });

    test('assignments fail: every assignment keeps its previous value; members, invites and assets are read', async () => {
      const { before } = await degraded('assignments', '/assigned_users$');
      assert.equal((await counts()).assignments, before.assignments);
      assert.deepEqual((await service.member(HUB, SANDBOX.employees[0]))?.assets, [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }]);
    });

    test('system users fail: they keep their previous records', async () => {
      await degraded('system users', '/system_users$');
      assert.deepEqual((await collect(store.list('appSystemUsers', HUB))).map((s) => s.id), [SANDBOX.systemUserId]);
    });
  });
}
