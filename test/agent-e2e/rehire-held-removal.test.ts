/**
 * A leaver's seat removal waits for an owner (a removal approval past the threshold, or a
 * deprovisioning report's item) when a rehire is assigned: a new directory user with the leaver's
 * email. Matching gives the rehire the seat (no second invite); the held removal of it is taken
 * out of the approval or report at once, audited in the leaver's trail with whose seat it is now,
 * and an owner's approval or apply never removes it, also when the decision is made before the
 * rehire's push was dispatched (checked inside the decision's transaction).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { checkForUpdates, HUB, invitePosts, onboard, settle, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';

const owner = { type: 'admin' as const, actor: 'owner@example.com' };
const LEE = 'lee@example.com';
const MAY = 'may@example.com';

const inMeta = (h: Harness, id: string) => h.emulator.control.state().users.some((u) => u.id === id);
const trail = async (h: Harness, directoryUserId: string) => (await collect(h.store.list('audit', HUB))).filter((e) => e.subject?.directoryUserId === directoryUserId);

/** Lee (the leaver, rehired) and May (a leaver too) hold seats; both are deactivated and their removals held. */
async function leavers(h: Harness): Promise<{ lee: string; may: string }> {
  await checkForUpdates(h);
  const lee = await onboard(h, 'u-lee', LEE, 'Meta Advertisers');
  const may = await onboard(h, 'u-may', MAY, 'Meta Advertisers');
  await onboard(h, 'u-kim', 'kim@example.com', 'Meta Advertisers');
  await h.directory.setActive('u-lee', false);
  await h.directory.setActive('u-may', false);
  await settle(h, 3_000);
  return { lee, may };
}

async function rehire(h: Harness): Promise<void> {
  await h.directory.createUser('u-lee-again', LEE);
  await h.directory.patchGroup('Meta Advertisers', ['u-lee-again']);
  await settle(h, 1_500);
}

const CLAIMED = /not done, the seat is now matched to directory user u-lee-again \(lee@example\.com\), active in the IdP with this email .*the removal decided for directory user u-lee no longer stands/;

for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`a rehire while the leaver's removal is held (${kind.kind})`, { skip: kind.skip }, () => {
    describe('held for approval', () => {
      let h: Harness;
      before(async () => { h = await startHarness({ store: kind, safety: { removalThresholdPercent: 0 } }); });
      after(() => h.close());

      test('the approval keeps only the other leaver; approving it removes theirs, not the rehire\'s seat', async () => {
        const { lee, may } = await leavers(h);
        const held = await until('the approval', async () => (await h.agent.api.approvals(HUB)).find((a) => a.status === 'pending'));
        assert.equal(held.operations.length, 2, JSON.stringify(held.operations));
        await rehire(h);
        const now = (await h.agent.api.approvals(HUB)).find((a) => a.id === held.id)!;
        assert.equal(now.status, 'pending');
        assert.deepEqual(now.operations.map((o) => o.summary), [`remove ${MAY} (EMPLOYEE) from the business: deactivated in the directory`], 'the rehire\'s seat is no longer asked for');
        const skipped = (await trail(h, 'u-lee')).filter((e) => e.action === 'remove-member' && e.outcome === 'skipped');
        assert.equal(skipped.length, 1);
        assert.match(skipped[0]!.why, CLAIMED);
        assert.match(skipped[0]!.why, new RegExp(`approval ${held.id} no longer holds it`));
        assert.equal(skipped[0]!.trigger.actor, 'okta-provisioning', 'who: the push that assigned the rehire');

        await h.agent.api.decideApproval(held.id, 'approve', owner);
        await settle(h, 1_500);
        await checkForUpdates(h);
        await settle(h, 1_500);
        assert.ok(!inMeta(h, may), 'the other leaver is removed');
        assert.ok(inMeta(h, lee), 'the rehire keeps the seat');
        assert.equal(invitePosts(h.emulator, LEE).length, 1, 'and is not invited a second time');
        assert.equal((await h.store.get('memberMatches', HUB, lee))?.directoryUserId, 'u-lee-again');
        assert.ok(!(await collect(h.store.list('audit', HUB))).some((e) => e.action === 'remove-member' && e.subject?.memberId === lee && e.outcome === 'ok'));
      });
    });

    describe('on a deprovisioning report', () => {
      let h: Harness;
      before(async () => { h = await startHarness({ store: kind, safety: { confirmDeprovisioning: true } }); });
      after(() => h.close());

      test('the report no longer lists the rehire\'s seat; applying it all removes only the other leaver', async () => {
        const { lee, may } = await leavers(h);
        const report = await until('the report', async () => (await h.agent.api.reports(HUB)).find((r) => r.items.length === 2));
        await rehire(h);
        const now = (await h.agent.api.reports(HUB)).find((r) => r.id === report.id)!;
        assert.deepEqual(now.items.map((i) => i.memberId), [may]);
        const skipped = (await trail(h, 'u-lee')).filter((e) => e.action === 'remove-member' && e.outcome === 'skipped');
        assert.equal(skipped.length, 1);
        assert.match(skipped[0]!.why, CLAIMED);
        assert.match(skipped[0]!.why, new RegExp(`taken out of deprovisioning report ${report.id}`));

        await h.agent.api.applyReport(report.id, 'all', owner);
        await settle(h, 1_500);
        assert.ok(!inMeta(h, may));
        assert.ok(inMeta(h, lee), 'the rehire keeps the seat');
        assert.equal(invitePosts(h.emulator, LEE).length, 1, 'and is not invited a second time');
        assert.equal((await h.agent.api.reports(HUB)).find((r) => r.id === report.id)?.status, 'applied');
      });
    });

    describe('decided before the rehire\'s push is dispatched', () => {
      let h: Harness;
      before(async () => { h = await startHarness({ store: kind, safety: { removalThresholdPercent: 0 } }); });
      after(() => h.close());

      test('the approval is refused inside its transaction: withdrawn, the seat kept', async () => {
        await checkForUpdates(h);
        const lee = await onboard(h, 'u-lee', LEE, 'Meta Advertisers');
        await onboard(h, 'u-kim', 'kim@example.com', 'Meta Advertisers');
        await h.directory.setActive('u-lee', false);
        await settle(h, 3_000);
        const held = await until('the approval', async () => (await h.agent.api.approvals(HUB)).find((a) => a.status === 'pending'));
        // The rehire's account as the SCIM server stores it, its outbox entry not dispatched yet.
        const at = new Date().toISOString();
        await h.store.transact((tx) => { tx.put('directoryUsers', HUB, 'u-lee-again', { hubId: HUB, id: 'u-lee-again', userName: LEE, active: true, email: LEE, emails: [LEE], scim: {}, created: at, lastModified: at, version: 1 }); });
        await assert.rejects(h.agent.api.decideApproval(held.id, 'approve', owner), /was withdrawn before anyone decided it \(no longer planned: the seat is now matched to directory user u-lee-again/);
        const approval = (await h.agent.api.approvals(HUB)).find((a) => a.id === held.id)!;
        assert.equal(approval.status, 'withdrawn');
        const audit = await collect(h.store.list('audit', HUB));
        assert.ok(audit.some((e) => e.action === 'approval-withdrawn' && e.trigger.actor === owner.actor));
        assert.ok(audit.some((e) => e.action === 'remove-member' && e.subject?.memberId === lee && e.outcome === 'skipped' && CLAIMED.test(e.why)));
        assert.ok(!audit.some((e) => e.action === 'approval-approved'));
        await settle(h, 1_500);
        assert.ok(inMeta(h, lee));
        assert.ok(!(await collect(h.store.list('tasks', HUB))).some((t) => t.kind === 'remove-member'), 'no removal queued');
      });
    });
  });
}
