import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { checkForUpdates, HUB, hubConfig, invitePosts, onboard, startHarness, until, type Harness } from './harness.ts';
import { offboardOperations } from '../../agent/dispatch/offboard.ts';
import { enqueueOperation } from '../../agent/tasks/operations/enqueue-operation.ts';
import { updateTask } from '../../agent/tasks/enqueue.ts';
import { suiteStores } from '../suite-stores.ts';
import { recordDesiredChange } from '../../agent/outbox.ts';

const leaver = { type: 'entra-lifecycle' as const, idp: 'entra', detail: 'leaver workflow task 42' };

// The agent's end-to-end flows on the memory store and on PostgreSQL (test/suite-stores.ts).
for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`offboarding (leaver workflows) (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => { h = await startHarness({ store: kind, safety: { confirmDeprovisioning: true } }); await checkForUpdates(h); });
    after(() => h.close());

    test('offboard removes the seat now, even with confirmDeprovisioning, and the parent task completes after its children', async () => {
      const id = await onboard(h, 'u-leo', 'leo@example.com', 'Meta Advertisers');
      const parent = await h.agent.api.offboard({ email: 'LEO@example.com' }, leaver);
      await until('parent completed', async () => (await h.agent.api.task(parent.id))?.status === 'completed', 8_000);
      assert.ok(!h.emulator.control.state().users.some((u) => u.id === id), 'seat removed');
      const children = (await h.agent.api.tasks({ parentId: parent.id }));
      assert.deepEqual(children.items.map((t) => [t.kind, t.status]), [['remove-member', 'completed']]);
      const audit = (await h.agent.api.audit({ email: 'leo@example.com', action: 'remove-member' })).items[0];
      assert.equal(audit?.trigger.type, 'entra-lifecycle');
      const offboarded = (await h.agent.api.audit({ email: 'leo@example.com', action: 'offboard' })).items;
      assert.deepEqual(offboarded.map((e) => [e.outcome, e.subject?.memberId]), [['pending', id]], 'the offboarding entry names the seat it removes');
    });

    test('a leaver the IdP still pushes active is not invited again by later checks; a SCIM deactivation and reactivation ends the hold', async () => {
      const id = await onboard(h, 'u-lou', 'lou@example.com', 'Meta Advertisers');
      const parent = await h.agent.api.offboard({ email: 'lou@example.com' }, leaver);
      await until('parent completed', async () => (await h.agent.api.task(parent.id))?.status === 'completed', 8_000);
      assert.ok(!h.emulator.control.state().users.some((u) => u.id === id), 'seat removed');
      const held = await h.store.get('directoryUsers', HUB, 'u-lou');
      assert.equal(held?.active, true, 'the IdP has not disabled the account yet');
      assert.equal(held?.offboarded?.by, 'entra-lifecycle');
      const invitesBefore = invitePosts(h.emulator, 'lou@example.com').length;
      // A check for updates (which re-plans the hub) and a re-evaluation: before the hold, both re-invited the leaver.
      await checkForUpdates(h);
      await h.agent.api.reevaluatePerson({ email: 'lou@example.com' }, { type: 'admin', actor: 'test' });
      await h.agent.idle();
      assert.equal(invitePosts(h.emulator, 'lou@example.com').length, invitesBefore, 'no invite while offboarded');
      const audit = (await h.agent.api.audit({ email: 'lou@example.com', action: 'user-offboarded' })).items;
      assert.deepEqual(audit.map((e) => [e.outcome, e.trigger.type, e.subject?.directoryUserId]), [['ok', 'entra-lifecycle', 'u-lou']]);
      // The same leaver offboarded again (a retried workflow) is not marked or audited twice.
      const again = await h.agent.api.offboard({ email: 'lou@example.com' }, { type: 'admin', actor: 'admin-token:3fa2c1' });
      await until('second offboarding completed', async () => (await h.agent.api.task(again.id))?.status === 'completed', 8_000);
      assert.equal((await h.agent.api.audit({ email: 'lou@example.com', action: 'user-offboarded' })).items.length, 1);

      // Rehired (or the app unassigned and re-assigned): the IdP disables, then enables the account.
      await h.directory.setActive('u-lou', false);
      await h.directory.setActive('u-lou', true);
      await until('invited again once reactivated', () => invitePosts(h.emulator, 'lou@example.com').length > invitesBefore, 8_000);
      assert.equal((await h.store.get('directoryUsers', HUB, 'u-lou'))?.offboarded, undefined);
    });

    test('an Okta deactivation event offboards without a hold: Okta has deactivated the person already', async () => {
      await onboard(h, 'u-kai', 'kai@example.com', 'Meta Advertisers');
      const parent = await h.agent.api.offboard({ email: 'kai@example.com' }, { type: 'okta-event-hook', idp: 'okta', detail: 'user.lifecycle.deactivate evt-kai' });
      await until('parent completed', async () => (await h.agent.api.task(parent.id))?.status === 'completed', 8_000);
      assert.equal((await h.store.get('directoryUsers', HUB, 'u-kai'))?.offboarded, undefined);
    });

    test('a leaver the IdP sent without emails (an Entra user without a mailbox) loses the seat invited at their userName', async () => {
      const at = new Date().toISOString();
      await h.store.transact((tx) => {
        tx.put('directoryUsers', HUB, 'u-ann', { hubId: HUB, id: 'u-ann', userName: 'ann@example.com', active: true, emails: [], scim: {}, created: at, lastModified: at, version: 1 });
        recordDesiredChange(tx, { hubId: HUB, trigger: { type: 'scim', idp: 'entra' }, changes: [{ kind: 'user-created', userId: 'u-ann' }] });
      });
      await h.directory.patchGroup('Meta Advertisers', ['u-ann']);
      const invite = await until('invite at the userName', () => h.emulator.control.state().invites.find((i) => i.email === 'ann@example.com' && i.status === 'PENDING'));
      const { memberId } = h.emulator.control.acceptInvite(invite.id);
      await checkForUpdates(h);
      const parent = await h.agent.api.offboard({ userName: 'ann@example.com' }, leaver);
      await until('parent completed', async () => (await h.agent.api.task(parent.id))?.status === 'completed', 8_000);
      assert.ok(!h.emulator.control.state().users.some((u) => u.id === memberId), 'the leaver\'s seat is removed');
    });

    test('an offboarding whose removal failed ends failed, not completed: a leaver workflow must not hear "done" while the seat stays', async () => {
      const id = await onboard(h, 'u-ned', 'ned@example.com', 'Meta Advertisers');
      h.emulator.control.setFaults({ errorRate: 1, match: id });
      try {
        const parent = await h.agent.api.offboard({ email: 'ned@example.com' }, leaver);
        const done = await until('parent finished', async () => {
          const t = await h.agent.api.task(parent.id);
          return t && ['completed', 'failed', 'cancelled'].includes(t.status) ? t : undefined;
        }, 20_000);
        assert.deepEqual((await h.agent.api.tasks({ parentId: parent.id })).items.map((t) => [t.kind, t.status]), [['remove-member', 'failed']]);
        assert.ok(h.emulator.control.state().users.some((u) => u.id === id), 'the seat is still there');
        assert.equal(done.status, 'failed');
        assert.match(done.lastError?.message ?? '', /1 of 1 removal/);
      } finally {
        h.emulator.control.setFaults({});
      }
    });

    test('an offboarding whose removal was already queued under another task waits for that removal before it completes', async () => {
      const id = await onboard(h, 'u-ola', 'ola@example.com', 'Meta Advertisers');
      const hub = hubConfig({ confirmDeprovisioning: true }).hubs[0]!;
      // The same removal, queued earlier for another reason and waiting (a rate limit's wait).
      const { operations } = await offboardOperations(h.store, hub, ['ola@example.com'], 'u-ola', new Date());
      assert.deepEqual(operations.map((o) => o.kind), ['remove-member']);
      const waitUntil = new Date(Date.now() + 2_500).toISOString();
      const earlier = await h.store.transact(async (tx) => {
        const t = await enqueueOperation(tx, { hub, op: operations[0]!, trigger: { type: 'admin', actor: 'test' }, parentId: 'an-earlier-parent', force: true });
        return updateTask(tx, t, { status: 'waiting', waitReason: 'rate-limited remove', nextRunAt: waitUntil }, new Date());
      });
      const parent = await h.agent.api.offboard({ email: 'ola@example.com' }, leaver);
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal((await h.agent.api.task(earlier.id))?.status, 'waiting', 'the earlier removal still waits');
      assert.notEqual((await h.agent.api.task(parent.id))?.status, 'completed', 'not "completed" while the seat is still there');
      await until('parent completed', async () => (await h.agent.api.task(parent.id))?.status === 'completed', 10_000);
      assert.ok(!h.emulator.control.state().users.some((u) => u.id === id), 'the seat is gone when the offboarding completes');
      assert.equal((await h.agent.api.task(earlier.id))?.status, 'completed', 'one removal, shared by both');
    });

    test('an Okta deactivation event with confirmDeprovisioning goes to the report; the seat stays until an owner applies it', async () => {
      const id = await onboard(h, 'u-mia', 'mia@example.com', 'Meta Advertisers');
      const parent = await h.agent.api.offboard({ email: 'mia@example.com' }, { type: 'okta-event-hook', idp: 'okta', detail: 'evt-deactivate-1' });
      await until('parent completed', async () => (await h.agent.api.task(parent.id))?.status === 'completed', 8_000);
      assert.deepEqual((await h.agent.api.tasks({ parentId: parent.id })).items, [], 'nothing queued for the app');
      assert.ok(h.emulator.control.state().users.some((u) => u.id === id), 'seat kept until an owner applies the report');
      const report = (await h.agent.api.reports(HUB)).find((r) => r.status === 'open' && r.items.some((i) => i.email === 'mia@example.com'));
      assert.ok(report, 'the removal is in the open deprovisioning report');
      const item = report.items.find((i) => i.email === 'mia@example.com')!;
      // Okta also pushes the deactivation over SCIM; applying re-checks that the person is still deprovisioned.
      await h.directory.setActive('u-mia', false);
      await h.agent.api.applyReport(report.id, [item.memberId], { type: 'admin', actor: 'test' });
      await until('seat removed after apply', () => !h.emulator.control.state().users.some((u) => u.id === id), 8_000);
    });

    test('an Okta Workflows offboarding that arrives while the event hook\'s offboarding of the same deactivation is queued still removes at once', async () => {
      const id = await onboard(h, 'u-ola', 'ola@example.com', 'Meta Advertisers');
      // The docs pair the event hook with a Workflows flow triggered by the same "User Deactivated".
      const [fromHook, fromWorkflows] = await Promise.all([
        h.agent.api.offboard({ userName: 'ola@example.com', email: 'ola@example.com' }, { type: 'okta-event-hook', idp: 'okta', detail: 'user.lifecycle.deactivate evt-2' }),
        h.agent.api.offboard({ email: 'ola@example.com' }, { type: 'admin', actor: 'admin-token:3fa2c1' }),
      ]);
      await until('the Workflows offboarding completed', async () => (await h.agent.api.task(fromWorkflows.id))?.status === 'completed', 8_000);
      assert.ok(!h.emulator.control.state().users.some((u) => u.id === id), 'the seat is removed at once, not left for the report');
      await until('the hook offboarding finished', async () => (await h.agent.api.task(fromHook.id))?.status === 'completed', 8_000);
    });

    test('reevaluatePerson re-plans one person on demand (hooks)', async () => {
      await h.directory.createUser('u-ivy', 'ivy@example.com');
      await h.store.transact(async (tx) => {
        const g = (await collect(tx.list('directoryGroups', HUB))).find((x) => x.displayName === 'Meta Advertisers')!;
        // A membership written without an outbox entry: only the hook's re-evaluation notices it.
        tx.put('directoryGroups', HUB, g.id, { ...g, members: [...g.members, { value: 'u-ivy' }] });
      });
      const tasks = await h.agent.api.reevaluatePerson({ email: 'ivy@example.com' }, { type: 'okta-event-hook', idp: 'okta', detail: 'evt-1' });
      assert.equal(tasks.length, 1);
      await until('invite', () => h.emulator.control.state().invites.find((i) => i.email === 'ivy@example.com'));
    });
  });

  describe(`credential rejected (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => { h = await startHarness({ store: kind, token: 'not-a-valid-token' }); });
    after(() => h.close());

    test('unauthenticated pauses the hub, its tasks wait, hub health says why', async () => {
      await h.directory.createUser('u-z', 'z@example.com');
      await h.directory.patchGroup('Meta Advertisers', ['u-z']);
      await until('hub paused', async () => (await h.store.get('hubStates', '', HUB))?.paused === true);
      const summary = (await h.agent.api.hub(HUB))!;
      assert.equal(summary.health.status, 'paused');
      assert.match(summary.health.pausedReason ?? '', /z@example.com.*unauthenticated/);
      const invite = (await h.agent.api.tasks({ hubId: HUB, kind: 'invite' })).items[0]!;
      assert.equal(invite.status, 'waiting');
      assert.equal(invite.lastError?.kind, 'unauthenticated');
      assert.ok(!JSON.stringify((await h.agent.api.audit({ hubId: HUB }))).includes('not-a-valid-token'), 'the token never reaches the audit log');
    });
  });
}
