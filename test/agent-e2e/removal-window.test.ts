import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkForUpdates, HUB, onboard, settle, startHarness, type Harness } from './harness.ts';
import { removedWithin } from '../../agent/safety/removal-window.ts';

const HOUR = 3_600_000;

/**
 * A mass deactivation the IdP sends one person at a time (Okta pushes one user per request),
 * slower than the deprovisioning pass gathers: the threshold still halts it for an owner, because
 * the removals it let through in the last removalWindowMinutes count with each new pass.
 */
let h: Harness;
before(async () => { h = await startHarness({ safety: { removalThresholdPercent: 20, confirmDeprovisioning: false } }); await checkForUpdates(h); });
after(() => h.close());

test('deactivations 2.3 s apart halt for approval once more than the threshold would go', async () => {
  const people = ['a', 'b', 'c', 'd', 'e'];
  const seats: string[] = [];
  for (const p of people) seats.push(await onboard(h, `u-${p}`, `${p}@example.com`, 'Meta Advertisers', { import: false }));
  await checkForUpdates(h);
  const members = await h.store.count('appMembers', HUB);
  for (const p of people) {
    await h.directory.setActive(`u-${p}`, false);
    // Past the pass's 2 s gather, and the pass run (with what it queued): each pass sees one.
    await settle(h, 2_300);
  }
  await settle(h, 2_500);
  const removed = seats.filter((id) => !h.emulator.control.state().users.some((u) => u.id === id)).length;
  assert.ok(removed <= members * 0.2, `${removed} of ${members} removed without an approval`);
  // Each further pass halts again with more people: a new approval, the earlier ones superseded.
  const pending = (await h.agent.api.approvals(HUB)).filter((a) => a.status === 'pending');
  assert.equal(pending.length, 1);
  assert.match(pending[0]!.explanation, /removed in the last 60 minutes/);

  // Approved, its removals count in the window too: the next deactivation is judged with them.
  const windowBefore = await removedWithin(h.store, HUB, new Date(), HOUR);
  await h.agent.api.decideApproval(pending[0]!.id, 'approve', { type: 'admin', actor: 'test' });
  assert.equal(await removedWithin(h.store, HUB, new Date(), HOUR), windowBefore + pending[0]!.operations.filter((o) => o.kind === 'remove-member').length);
});
