/**
 * `safety.offboards: threshold` end to end: an explicit offboarding past the removal threshold
 * halts (the task a leaver workflow polls says `needs-approval`), and the owner's decision carries
 * it on through the task runner: approved, the seat goes and the offboarding completes; rejected,
 * the seat stays and the offboarding ends failed, naming the approval.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { checkForUpdates, HUB, onboard, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';

const leaver = { type: 'admin' as const, actor: 'admin-token:okta-workflows' };
const owner = { type: 'admin' as const, actor: 'owner@example.com' };

for (const kind of await suiteStores('memory', 'postgres')) {
  describe(`offboarding brake (safety.offboards: threshold) (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    // 0 %: any removal with another in the window is past it; the first of an empty window goes.
    before(async () => { h = await startHarness({ store: kind, safety: { offboards: 'threshold', removalThresholdPercent: 0 } }); await checkForUpdates(h); });
    after(() => h.close());

    test('the first offboarding goes; the next ones halt, an approval runs one, a rejection leaves the other', async () => {
      const ids = [await onboard(h, 'u-b0', 'b0@example.com', 'Meta Advertisers'), await onboard(h, 'u-b1', 'b1@example.com', 'Meta Advertisers'), await onboard(h, 'u-b2', 'b2@example.com', 'Meta Advertisers')];
      const seat = (id: string) => h.emulator.control.state().users.some((u) => u.id === id);
      const first = await h.agent.api.offboard({ email: 'b0@example.com' }, leaver);
      await until('first offboarding completed', async () => (await h.agent.api.task(first.id))?.status === 'completed', 8_000);
      assert.ok(!seat(ids[0]!));

      const second = await h.agent.api.offboard({ email: 'b1@example.com' }, leaver);
      const third = await h.agent.api.offboard({ email: 'b2@example.com' }, leaver);
      for (const t of [second, third]) await until('offboarding halted', async () => (await h.agent.api.task(t.id))?.status === 'needs-approval', 8_000);
      assert.ok(seat(ids[1]!) && seat(ids[2]!), 'nothing removed while halted');
      const approvals = (await h.agent.api.approvals(HUB)).filter((a) => a.status === 'pending');
      const of = (taskId: string) => approvals.find((a) => a.taskId === taskId)!;
      assert.equal(approvals.length, 2);
      assert.ok(!('offboard' in of(second.id)), 'the view is the Approval shape');

      await h.agent.api.decideApproval(of(second.id).id, 'approve', owner);
      await until('approved offboarding completed', async () => (await h.agent.api.task(second.id))?.status === 'completed', 8_000);
      assert.ok(!seat(ids[1]!), 'approved: seat removed');

      await h.agent.api.decideApproval(of(third.id).id, 'reject', owner);
      const ended = await until('rejected offboarding ended', async () => { const t = await h.agent.api.task(third.id); return t?.status === 'failed' && t; }, 8_000);
      assert.match(ended.lastError?.message ?? '', /rejected by owner@example\.com/);
      assert.ok(seat(ids[2]!), 'rejected: seat kept');
      const audit = await collect(h.store.list('audit', HUB));
      assert.ok(audit.some((e) => e.action === 'approval-rejected' && e.taskId === third.id));
      assert.equal((await h.store.get('directoryUsers', HUB, 'u-b2'))?.offboarded?.by, leaver.actor, 'still held: not invited again');
    });
  });
}
