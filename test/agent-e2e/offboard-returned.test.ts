/**
 * An offboarding held for approval (`safety.offboards: threshold`, agent/dispatch/offboard-brake.ts),
 * then the person comes back before an owner decides: the IdP deactivates and reactivates them over
 * SCIM (an offboarding made by mistake, a rehire: active false → true, RFC 7643 §4.1.1, ends the
 * offboarding's hold). The approval let go of them only for a plan's removals (approval-kept.ts);
 * an offboarding's stayed pending, and approving it queued the removal with the directory version
 * read at the approval, after the reactivation, so the check made before the call
 * (forced-removal.ts `reactivatedSinceQueued`) saw no change and the returned person lost the seat.
 * Now the re-plan that sees them back withdraws the approval (audited, the offboarding goes on and
 * ends), and the seat stays.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { checkForUpdates, HUB, onboard, settle, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';

const leaver = { type: 'admin' as const, actor: 'admin-token:okta-workflows' };
const owner = { type: 'admin' as const, actor: 'owner@example.com' };

for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`an offboarding held for approval, the person back before it is decided (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    // 0 %: any removal with another in the window is past it; the first of an empty window goes.
    before(async () => { h = await startHarness({ store: kind, safety: { offboards: 'threshold', removalThresholdPercent: 0 } }); await checkForUpdates(h); });
    after(() => h.close());

    test('reactivated in the IdP: the approval is withdrawn, the offboarding ends, the seat stays', async () => {
      const ids = [await onboard(h, 'u-r0', 'r0@example.com', 'Meta Advertisers'), await onboard(h, 'u-r1', 'r1@example.com', 'Meta Advertisers')];
      const seat = (id: string) => h.emulator.control.state().users.some((u) => u.id === id);
      const first = await h.agent.api.offboard({ email: 'r0@example.com' }, leaver);
      await until('first offboarding completed', async () => (await h.agent.api.task(first.id))?.status === 'completed', 8_000);
      const second = await h.agent.api.offboard({ email: 'r1@example.com' }, leaver);
      await until('second offboarding halted', async () => (await h.agent.api.task(second.id))?.status === 'needs-approval', 8_000);
      const held = (await h.agent.api.approvals(HUB)).find((a) => a.taskId === second.id && a.status === 'pending');
      assert.ok(held, 'held for approval');

      // Okta unassigns and re-assigns the app: deactivated, then active again (the hold ends).
      await h.directory.setActive('u-r1', false);
      await h.directory.setActive('u-r1', true);
      assert.equal((await h.store.get('directoryUsers', HUB, 'u-r1'))?.offboarded, undefined, 'the reactivation ended the hold');
      const withdrawn = await until('approval withdrawn', async () => {
        const a = await h.store.get('approvals', HUB, held.id);
        return a?.status === 'withdrawn' && a;
      }, 8_000).catch(() => undefined);
      const now = await h.store.get('approvals', HUB, held.id);
      // Approving what the owner was shown must not remove the returned person.
      if (now?.status === 'pending') await h.agent.api.decideApproval(held.id, 'approve', owner);
      else await assert.rejects(h.agent.api.decideApproval(held.id, 'approve', owner), /withdrawn before anyone decided it/);
      await settle(h, 3_000);
      assert.ok(seat(ids[1]!), 'the returned person keeps the seat');
      assert.ok(withdrawn, `the approval is withdrawn once the person is back (it is ${now?.status})`);
      assert.match(withdrawn.withdrawnBecause ?? '', /active in the directory again/);
      await until('the offboarding ended', async () => (await h.agent.api.task(second.id))?.status === 'completed', 8_000);
      const audit = await collect(h.store.list('audit', HUB));
      assert.ok(audit.some((e) => e.action === 'approval-withdrawn' && e.detail?.approvalId === held.id && e.trigger.type === 'scim'), 'withdrawn, audited under the IdP push');
      assert.ok(audit.some((e) => e.action === 'remove-member' && e.subject?.memberId === ids[1] && e.outcome === 'skipped' && new RegExp(`approval ${held.id} no longer holds it`).test(e.why)),
        'the removal, not done, in the person\'s trail');
      assert.ok(!audit.some((e) => e.action === 'remove-member' && e.subject?.memberId === ids[1] && e.outcome === 'ok'));
    });
  });
}
