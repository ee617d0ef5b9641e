/**
 * A grant hubwarden tried to make whose assign task failed, though Meta had applied it: the POST
 * landed and its answer was lost (the emulator's `lostReply`: "Graph acts on a request whose
 * response then times out or whose connection drops"), then Graph answered every retry with a
 * transient error (codes 1/2, https://developers.facebook.com/docs/graph-api/guides/error-handling)
 * until the task gave up. The next check for updates lists the grant with no record of it. Counted
 * as made by someone else, its unassign was held for an owner once the person left the team
 * (safety.drift: report), and the leaver kept the ad account. It is hubwarden's
 * (agent/app-state/grant-maker.ts), and the unassign is made.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { checkForUpdates, HUB, startHarness, until, type Harness } from './harness.ts';
import { advertisersAndStaff } from './advertisers-and-staff.ts';
import { suiteStores } from '../suite-stores.ts';

const config = advertisersAndStaff;
const ASSIGNED = '/act_111/assigned_users';

for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`a grant whose assign task failed after Meta applied it (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ store: kind, config: config() });
      await checkForUpdates(h);
    });
    after(() => h.close());

    test('is hubwarden\'s at the next check, and unassigned when the person leaves the team', async () => {
      await h.directory.createUser('u-kim', 'kim@example.com');
      await h.directory.patchGroup('Meta Staff', ['u-kim']);
      await h.directory.patchGroup('Meta Advertisers', ['u-kim']);
      const invite = await until('the invite', () => h.emulator.control.state().invites.find((i) => i.email === 'kim@example.com' && i.status === 'PENDING'));
      const seat = h.emulator.control.acceptInvite(invite.id).memberId;
      await h.agent.idle();
      const posts = () => h.emulator.calls.filter((c) => c.method === 'POST' && c.path === ASSIGNED);
      // The seat is imported first (no grant yet); the assign that follows lands and loses its answer.
      // Each call waits 300 ms, so the retry reaches Graph only after the faults below are switched.
      h.emulator.control.setFaults({ lostReply: { match: `${ASSIGNED}$` }, latencyMs: 300 });
      await h.agent.api.checkForUpdates(HUB, { type: 'admin', actor: 'e2e' });
      await until('the assign made in Meta', () => posts().length > 0 && h.emulator.control.state().assignments.some((a) => a.assetId === 'act_111' && a.userId === seat), 20_000);
      h.emulator.control.setFaults({ errorRate: 1, match: `${ASSIGNED}$` });
      const assign = await until('the assign task gave up', async () =>
        (await collect(h.store.list('tasks', HUB))).find((t) => t.kind === 'assign-asset' && t.status === 'failed'), 20_000);
      assert.equal(posts().length, 1, 'one POST reached Meta');
      // Its failure says the grant may have been made (the first attempt's answer was lost), not only that it failed.
      const failed = (await h.agent.api.audit({ hubId: HUB, action: 'assign-asset' })).items.find((e) => e.taskId === assign.id && e.outcome === 'failed');
      assert.match(failed?.why ?? '', /ended with the outcome unknown, so the app may hold the change/, failed?.why);
      assert.ok(Number(failed?.detail?.attemptsOutcomeUnknown) >= 1, JSON.stringify(failed?.detail));
      h.emulator.control.setFaults({});
      await h.agent.idle();

      await checkForUpdates(h);
      const grant = await h.store.get('appAssignments', HUB, `ad_account:act_111:${seat}`);
      assert.equal(grant?.madeBy, 'hubwarden', `the grant of failed task ${assign.id} is hubwarden's`);

      // Kim leaves the advertisers and keeps a seat through Meta Staff: the ad account is unassigned, not held.
      await h.directory.patchGroup('Meta Advertisers', [], ['u-kim']);
      await until('the ad account unassigned', () => !h.emulator.control.state().assignments.some((a) => a.assetId === 'act_111' && a.userId === seat), 10_000);
      await h.agent.idle();
      assert.ok(h.emulator.control.state().users.some((u) => u.id === seat), 'the seat stays');
      const trail = (await h.agent.api.audit({ hubId: HUB, email: 'kim@example.com', action: 'unassign-asset' })).items;
      assert.equal(trail[0]?.outcome, 'ok', JSON.stringify(trail.map((e) => `${e.outcome}: ${e.why}`)));
    });
  });
}
