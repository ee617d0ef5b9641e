import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkForUpdates, HUB, invitePosts, onboard, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';

const admin = { type: 'admin' as const, actor: 'owner@example.com' };
const isMember = (h: Harness, id: string) => h.emulator.control.state().users.some((u) => u.id === id);

// The agent's end-to-end flows on the memory store and on PostgreSQL (test/suite-stores.ts).
for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`confirmDeprovisioning: an owner applies the report (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => { h = await startHarness({ store: kind, safety: { confirmDeprovisioning: true } }); await checkForUpdates(h); });
    after(() => h.close());

    test('deactivation produces a report; nothing is removed until it is applied', async () => {
      const jane = await onboard(h, 'u-jane', 'jane@example.com', 'Meta Advertisers');
      const ann = await onboard(h, 'u-ann', 'ann@example.com', 'Meta Advertisers');
      await h.directory.setActive('u-jane', false);
      await h.directory.setActive('u-ann', false);
      const report = await until('a report with both', async () => (await h.agent.api.reports(HUB)).find((r) => r.items.length === 2), 6_000);
      await h.agent.idle();
      assert.ok(isMember(h, jane) && isMember(h, ann), 'still members while the report is open');
      assert.deepEqual(report.items.map((i) => i.email).sort(), ['ann@example.com', 'jane@example.com']);

      const partial = await h.agent.api.applyReport(report.id, [jane], admin);
      assert.equal(partial.status, 'partially-applied');
      await until('jane removed', () => !isMember(h, jane));
      await h.agent.idle();
      assert.ok(isMember(h, ann), 'only the applied item ran');

      // Ann is reactivated before the owner gets to her: applying her item no longer removes her.
      await h.directory.setActive('u-ann', true);
      await h.agent.idle();
      const all = await h.agent.api.applyReport(report.id, 'all', admin);
      assert.equal(all.status, 'applied');
      await h.agent.idle();
      assert.ok(isMember(h, ann), 'the re-check before the call skipped a removal the directory took back');
      assert.ok((await h.agent.api.audit({ hubId: HUB, email: 'ann@example.com', action: 'remove-member' })).items.some((e) => e.outcome === 'skipped'));
    });
  });

  describe(`removal threshold (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => { h = await startHarness({ store: kind, safety: { removalThresholdPercent: 10 } }); await checkForUpdates(h); });
    after(() => h.close());

    test('a run removing more than the threshold halts for approval, then runs when approved', async () => {
      const a = await onboard(h, 'u-a', 'a@example.com', 'Meta Advertisers', { import: false });
      const b = await onboard(h, 'u-b', 'b@example.com', 'Meta Advertisers', { import: false });
      await checkForUpdates(h);
      await h.directory.setActive('u-a', false);
      await h.directory.setActive('u-b', false);
      const approval = await until('an approval', async () => (await h.agent.api.approvals(HUB)).find((x) => x.status === 'pending'), 6_000);
      assert.match(approval.explanation, /would remove 2 of \d+ member/);
      assert.equal((await h.agent.api.task(approval.taskId))?.status, 'needs-approval');
      await h.agent.idle();
      assert.ok(isMember(h, a) && isMember(h, b), 'nobody removed before approval');
      await h.agent.api.decideApproval(approval.id, 'approve', admin);
      await until('both removed', () => !isMember(h, a) && !isMember(h, b));
      assert.equal((await h.agent.api.task(approval.taskId))?.status, 'completed');
    });
  });

  describe(`deleted users and faults (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => { h = await startHarness({ store: kind }); await checkForUpdates(h); });
    after(() => h.close());

    test('a user deleted in the IdP loses the seat (found by the email kept on deletion)', async () => {
      const id = await onboard(h, 'u-del', 'del@example.com', 'Meta Advertisers');
      await h.directory.deleteUser('u-del');
      await until('removed', () => !isMember(h, id), 6_000);
    });

    test('with 50% transient 5xx on invites, each person is invited exactly once', async () => {
      h.emulator.control.setFaults({ errorRate: 0.5, match: 'business_users|pending_users', seed: 7 });
      const emails = ['f1@example.com', 'f2@example.com', 'f3@example.com', 'f4@example.com', 'f5@example.com'];
      for (const [i, e] of emails.entries()) await h.directory.createUser(`u-f${i}`, e);
      await h.directory.patchGroup('Meta Advertisers', emails.map((_, i) => `u-f${i}`));
      await until('every invite', () => emails.every((e) => h.emulator.control.state().invites.some((i) => i.email === e && i.status === 'PENDING')), 15_000);
      await h.agent.idle();
      h.emulator.control.setFaults({});
      for (const e of emails) assert.equal(invitePosts(h.emulator, e).filter((c) => c.status === 200).length, 1, `${e} invited once`);
      assert.ok(h.emulator.calls.some((c) => c.status >= 500), 'faults were injected');
    });
  });
}
