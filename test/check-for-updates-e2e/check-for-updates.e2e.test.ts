/**
 * End to end: check for updates through the agent's task runner, with the real Meta connector
 * (agent/hub-connector.ts) over the Meta Graph API emulator, on a realistic business; the owner's
 * manual match and exemption through the member service; and an import that fails midway.
 */
import { definePersonIndexes } from '../../agent/plan/person-input.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, type Store } from '../../agent/store/store.ts';
import { createMetaEmulator, SANDBOX, type MetaEmulator } from '../../connectors/meta-business/emulator/index.ts';
import { createHubConnector } from '../../agent/hub-connector.ts';
import { createCheckForUpdatesHandler } from '../../agent/check-for-updates/handler.ts';
import { createMemberService, type MemberService } from '../../agent/members/member-service.ts';
import { TaskRunner } from '../../agent/tasks/task-runner.ts';
import { operationHandlers } from '../../agent/tasks/operations/operation-handler.ts';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import type { LoadedConfig } from '../../config/load.ts';
import type { CheckRunRecord } from '../../agent/check-for-updates/check-run.ts';
import { DIR, HUB, hubConfig, seedDirectory } from './business.ts';
import { suiteStores, type SuiteStore } from '../suite-stores.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const owner = { type: 'admin' as const, actor: 'owner@sandbox.example' };
const P = SANDBOX.partner;

interface World {
  emulator: MetaEmulator;
  close: () => Promise<void>;
  config: LoadedConfig;
  store: Store;
  connector: HubConnector;
  runner: TaskRunner;
  service: MemberService;
  graphCalls: () => number;
}

async function world(kind: SuiteStore): Promise<World> {
  // Expired and declined invites listed with their status (the emulator's looser 'keep-expired' reading).
  const emulator = createMetaEmulator({ inviteVisibility: 'keep-expired', debugToken: true });
  const server = await emulator.listen(0);
  const config = hubConfig(server.url);
  const { store, dispose } = await kind.open();
  const close = async () => (await server.close(), await dispose());
  await seedDirectory(store);
  // The agent defines these (agent.ts): a remove-member task's outcome is recorded from the person's
  // assignments, read through them.
  definePersonIndexes(store);
  let calls = 0;
  const hub = config.file.hubs[0];
  const connector = createHubConnector(hub, config, { log: silent, onCall: () => calls++ });
  const runner = new TaskRunner({
    store, log: silent, handlers: [createCheckForUpdatesHandler({ graphCalls: () => calls }), ...operationHandlers],
    hubs: () => new Map([[HUB, hub]]), connectorFor: () => connector,
    // A failed read is retried much later: the test inspects the state it left.
    backoffBaseMs: 600_000, backoffMaxMs: 600_000,
  });
  runner.start();
  const service = createMemberService({ config, store, log: silent });
  return { emulator, close, config, store, connector, runner, service, graphCalls: () => calls };
}

async function checkNow(w: World) {
  const task = await w.service.checkForUpdates(HUB, owner);
  await w.runner.idle();
  return { task: (await w.store.get('tasks', HUB, task.id))!, run: await w.store.get('checkRuns', HUB, task.id) as CheckRunRecord | undefined };
}

const outcomes = async (w: World) => Object.fromEntries((await w.service.members(HUB, { limit: 500 })).items.map((v) => [v.id, [v.status, v.directoryUserId ?? null]]));

// On the memory store and on PostgreSQL (test/suite-stores.ts).
for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`check for updates, end to end (Meta connector over the emulator) (${kind.kind})`, { skip: kind.skip }, () => {
    let w: World;
    before(async () => { w = await world(kind); });
    after(async () => {
      await w.runner.stop();
      w.service.close();
      await w.close();
    });

    test('imports the whole business and gives every member its outcome', async () => {
      const { task, run } = await checkNow(w);
      assert.equal(task.status, 'completed', JSON.stringify(task.lastError));
      assert.equal((await w.store.get('appImports', HUB, HUB))?.complete, true);
      assert.deepEqual(run?.counts, { members: 6, invites: 2, systemUsers: 1, assets: 5, assignments: 9, partners: 1, partnerUsers: 2 });
      // Every Graph request of the import, metered by the connector's onCall; the one call not in
      // it is the credential check (debug_token) made before the import.
      assert.ok(run!.graphCalls > 0 && run!.graphCalls === w.graphCalls() - 1, `graph calls ${run!.graphCalls} vs ${w.graphCalls()}`);
      assert.ok(run!.graphCalls < 40, `a full read of the sandbox business should take few calls (batching), took ${run!.graphCalls}`);

      assert.deepEqual(await outcomes(w), {
        [SANDBOX.admins[0]]: ['onboarded', DIR.ada],
        [SANDBOX.admins[1]]: ['onboarded', DIR.grace], // email differs in case only
        [SANDBOX.employees[0]]: ['onboarded', DIR.eve], // matched on her second email
        [SANDBOX.employees[1]]: ['onboarded', DIR.frank],
        [SANDBOX.employees[2]]: ['unmatched', null], // the contractor invited by hand
        [SANDBOX.employees[3]]: ['onboarded', DIR.dan],
        [`invite:${SANDBOX.pendingInviteId}`]: ['invited', DIR.newHire],
        [`invite:${SANDBOX.expiredInviteId}`]: ['lapsed', DIR.lateJoiner], // expired: no seat (security.md 165)
        [`partner:${P.businessId}:${P.users[0]}`]: ['guest', null],
        [`partner:${P.businessId}:${P.users[1]}`]: ['guest', null],
      });
      assert.equal((await w.store.get('appInvites', HUB, SANDBOX.expiredInviteId))?.status, 'expired');
      assert.deepEqual(run?.changes?.expiredInvites.map((i) => i.inviteId), [SANDBOX.expiredInviteId]);
      const partnerView = (await w.service.member(HUB, `partner:${P.businessId}:${P.users[0]}`))!;
      assert.deepEqual(partnerView.assets, [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }]);
      const eve = (await w.service.member(HUB, SANDBOX.employees[0]))!;
      assert.deepEqual(eve.grantedBy, ['Meta Advertisers']);
      assert.deepEqual(eve.assets, [{ type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] }]);
      // The credential was checked with debug_token: valid, ~60 days left, nothing missing.
      const health = (await w.service.health(HUB))!;
      assert.equal(health.credential?.valid, true);
      assert.deepEqual(health.credential?.missingScopes, []);
      assert.equal(health.lastCheckForUpdates?.outcome, 'completed');
      // The reconcile pass for the agent's plan was queued as a child of the check.
      assert.ok((await collect(w.store.list('tasks', HUB))).some((t) => t.kind === 'reconcile-hub' && t.parentId === task.id));
    });

    test("an owner's manual match and exemption survive the next import; accepted invites are linked", async () => {
      const contractor = SANDBOX.employees[2];
      const dan = SANDBOX.employees[3];
      const matched = await w.service.matchMember(HUB, contractor, { directoryUserId: DIR.casey, hubRole: 'collaborator' }, owner);
      assert.deepEqual([matched.status, matched.directoryUserId, matched.hubRole], ['onboarded', DIR.casey, 'collaborator']);
      const exempted = await w.service.exemptMember(HUB, dan, { reason: 'brand designer managed by the agency' }, owner);
      assert.equal(exempted.status, 'exempted');

      // hubwarden sent the pending invite (as the agent records it); the new hire accepts it in Meta.
      await w.store.transact(async (tx) => tx.put('appInvites', HUB, SANDBOX.pendingInviteId, { ...(await tx.get('appInvites', HUB, SANDBOX.pendingInviteId))!, sentByHubwarden: true }));
      const { memberId } = w.emulator.control.acceptInvite(SANDBOX.pendingInviteId, { name: 'New Hire' });
      const { task, run } = await checkNow(w);
      assert.equal(task.status, 'completed');

      const now = await outcomes(w);
      assert.deepEqual(now[contractor], ['onboarded', DIR.casey]);
      assert.deepEqual(now[dan], ['exempted', DIR.dan]);
      assert.deepEqual(now[memberId], ['onboarded', DIR.newHire]);
      assert.equal(now[`invite:${SANDBOX.pendingInviteId}`], undefined);
      assert.equal((await w.store.get('appMembers', HUB, memberId))?.inviteId, SANDBOX.pendingInviteId);
      assert.deepEqual(run?.changes?.acceptedInvites, [{ memberId, inviteId: SANDBOX.pendingInviteId, email: 'new.hire@sandbox.example' }]);
      assert.equal(run?.changeCounts?.drift, 0);
      assert.equal((await w.store.get('memberMatches', HUB, contractor))?.manual, true);
      const audit = (await collect(w.store.list('audit', HUB))).map((e) => e.action);
      for (const action of ['member-matched', 'member-exempted', 'invite-accepted']) assert.ok(audit.includes(action), action);
    });

    test('changes made by hand in Meta are found as drift, audited, and followed by a reconcile pass', async () => {
      const frank = SANDBOX.employees[1];
      // Someone with Meta access changes things in Business Settings, not through hubwarden.
      await w.connector.changeMemberRole!(frank, 'ADMIN');
      await w.connector.unassignAsset!({ asset: { type: 'ad_account', id: 'act_112' }, userId: frank });
      const { inviteId } = await w.connector.invite!({ email: 'walk.in@elsewhere.example', role: 'EMPLOYEE' });
      const { task, run } = await checkNow(w);
      assert.equal(task.status, 'completed');
      const drift = run!.changes!.drift.map((d) => [d.kind, d.memberId ?? d.inviteId]).sort();
      assert.deepEqual(drift, [['invited-by-hand', inviteId], ['role-changed', frank], ['tasks-removed', frank]]);
      // Frank's finance_permission EDITOR (sandbox) reads FINANCE_EDITOR; his team's EMPLOYEE still waits the settle window.
      assert.deepEqual(run!.changes!.roleChanges, [{ memberId: frank, email: 'frank.ledger@sandbox.example', from: 'FINANCE_EDITOR', to: 'ADMIN' }]);
      assert.match(run!.changes!.drift.find((d) => d.kind === 'tasks-removed')!.detail, /ANALYZE removed on ad account act_112/);
      const audited = (await collect(w.store.list('audit', HUB))).filter((e) => e.taskId === task.id).map((e) => e.action).sort();
      assert.deepEqual(audited, ['check-for-updates', 'drift-invited-by-hand', 'drift-role-changed', 'drift-tasks-removed']);
      assert.equal((await w.service.member(HUB, `invite:${inviteId}`))?.status, 'unmatched');
      assert.equal((await w.store.get('tasks', HUB, run!.reconcileTaskId!))?.kind, 'reconcile-hub');
    });

    test('a declined invite is marked and reported', async () => {
      const walkIn = (await collect(w.store.list('appInvites', HUB))).find((i) => i.email === 'walk.in@elsewhere.example')!;
      w.emulator.control.declineInvite(walkIn.id);
      const { run } = await checkNow(w);
      assert.equal((await w.store.get('appInvites', HUB, walkIn.id))?.status, 'declined');
      assert.deepEqual(run?.changes?.declinedInvites, [{ inviteId: walkIn.id, email: walkIn.email, sentByHubwarden: false, resendCount: 0 }]);
      assert.ok((await collect(w.store.list('audit', HUB))).some((e) => e.action === 'invite-declined' && /not sent by hubwarden: reported only/.test(e.why)));
    });

    test('an import that fails midway keeps the previous complete snapshot', async () => {
      const snapshot = async () => {
        const lists: unknown[] = [];
        for (const c of ['appMembers', 'appInvites', 'appAssets', 'appAssignments', 'partnerUsers', 'appImports', 'memberMatches']) lists.push(await collect(w.store.list(c as 'appMembers', HUB)));
        return JSON.stringify(lists);
      };
      const before = await snapshot();
      const imported = (await w.store.get('appImports', HUB, HUB))!;
      // Changes in Meta that must NOT show up, since the read will not finish.
      await w.service.unmatchMember(HUB, SANDBOX.employees[2], owner); // decisions are not part of the snapshot
      const afterDecision = await snapshot();
      // Invites are a required listing: members read, pending_users fails (an optional section would degrade instead).
      w.emulator.control.setFaults({ errorRate: 1, match: '/pending_users' });
      const { task, run } = await checkNow(w);
      assert.equal(task.status, 'waiting'); // backing off (unavailable), not completed
      assert.equal(task.lastError?.kind, 'unavailable');
      assert.equal(run?.outcome, 'failed');
      assert.equal(run?.error?.kind, 'unavailable');
      assert.equal(await snapshot(), afterDecision);
      assert.notEqual(before, afterDecision); // the un-match did change memberMatches: the comparison can see changes
      assert.deepEqual(await w.store.get('appImports', HUB, HUB), imported);
      assert.equal((await w.service.health(HUB))?.lastCheckForUpdates?.outcome, 'failed');
      assert.ok((await w.service.health(HUB))!.problems.some((p) => /last check for updates failed/.test(p)));
      w.emulator.control.setFaults({});
    });

    test("an owner's removal runs through the agent's remove-member task against the app", async () => {
      const contractor = SANDBOX.employees[2];
      const dan = SANDBOX.employees[3];
      await assert.rejects(w.service.removeMember(HUB, dan, owner), /exempted members are never removed/);
      const task = await w.service.removeMember(HUB, contractor, owner);
      await w.runner.idle();
      assert.equal((await w.store.get('tasks', HUB, task.id))?.status, 'completed');
      assert.equal(w.emulator.control.state().users.some((u) => u.id === contractor), false);
      assert.equal(w.emulator.control.state().users.some((u) => u.id === dan), true);
      assert.equal(await w.service.member(HUB, contractor), undefined);
    });
  });
}
