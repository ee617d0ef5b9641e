import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkForUpdates, HUB, onboard, startHarness, until, type Harness } from './harness.ts';

/**
 * An IdP changes a person's email, then deletes them (SCIM DELETE, RFC 7644 §3.6) while their seat
 * in Meta is still under the old email. With confirmDeprovisioning the removal waits for an
 * owner's report; a check for updates in between must not lose who the seat belongs to, or the
 * owner applies the report and nothing is removed.
 */
let h: Harness;
const owner = { type: 'admin' as const, actor: 'owner@example.com' };
const isMember = (id: string) => h.emulator.control.state().users.some((u) => u.id === id);
before(async () => { h = await startHarness({ safety: { confirmDeprovisioning: true } }); await checkForUpdates(h); });
after(() => h.close());

test('a deleted person whose email had changed loses the old seat when the report is applied after a check', async () => {
  const memberId = await onboard(h, 'u-max', 'max@example.com', 'Meta Advertisers');
  await h.directory.changeEmail('u-max', 'max.new@example.com');
  await h.agent.idle();
  await checkForUpdates(h);
  await h.directory.deleteUser('u-max');
  const report = await until('a report with the seat', async () => (await h.agent.api.reports(HUB)).find((r) => r.items.some((i) => i.memberId === memberId)), 6_000);
  await h.agent.idle();
  assert.ok(isMember(memberId), 'still a member while the report is open');

  await checkForUpdates(h);
  const match = await h.store.get('memberMatches', HUB, memberId);
  assert.deepEqual([match?.outcome, match?.directoryUserId], ['onboarded', 'u-max'], 'the seat is still the deleted person\'s');

  await h.agent.api.applyReport(report.id, 'all', owner);
  await until('the old seat removed', () => !isMember(memberId), 10_000);
  await h.agent.idle();
  assert.equal(await h.store.get('departedUsers', HUB, 'u-max'), undefined, 'the departed record is forgotten once no seat remains');
});
