import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkForUpdates, HUB, invitePosts, onboard, startHarness, until, type Harness } from './harness.ts';

/**
 * A person the IdP deleted and then created again (a rehire, an app unassigned and assigned again:
 * the SCIM server gives the new user a new id) holds the seat under their email once more. The
 * seat is still matched to the deleted user until the next check for updates re-matches it
 * (matching then gives a row whose email a live directory user holds to that user). Meanwhile the
 * plan took the stale match for "the seat of a deleted user": the deprovisioning report's item,
 * applied by an owner after the person was back, removed the returning person's seat, although
 * every operation is re-checked against the current desired state before it runs.
 */
let h: Harness;
const owner = { type: 'admin' as const, actor: 'owner@example.com' };
before(async () => { h = await startHarness({ safety: { confirmDeprovisioning: true } }); await checkForUpdates(h); });
after(() => h.close());
const inMeta = (id: string) => h.emulator.control.state().users.some((u) => u.id === id);

test("a deleted user's report item does not remove the seat of the person created again with that email", async () => {
  const email = 'ren@example.com';
  const seat = await onboard(h, 'u-ren', email, 'Meta Advertisers');
  await h.directory.deleteUser('u-ren');
  const report = await until('the report item', async () => (await h.agent.api.reports(HUB)).find((r) => r.items.some((i) => i.memberId === seat)), 6_000);
  await h.agent.idle();

  await h.directory.createUser('u-ren-again', email);
  await h.directory.patchGroup('Meta Advertisers', ['u-ren-again']);
  await h.agent.idle();
  const planned = await h.agent.api.plan(HUB);
  assert.ok(!planned.some((op) => op.memberId === seat && op.kind === 'remove-member'), `the plan no longer removes the seat: ${JSON.stringify(planned)}`);

  // The item was taken out when the seat became the returning person's, which emptied the
  // report: it is withdrawn, and an owner's apply of it is refused (security 194).
  await assert.rejects(h.agent.api.applyReport(report.id, 'all', owner), (e: Error & { kind?: string }) => e.kind === 'conflict' && /withdrawn/.test(e.message));
  assert.equal((await h.agent.api.reports(HUB)).find((r) => r.id === report.id)?.status, 'withdrawn');
  await h.agent.idle();
  await new Promise((r) => setTimeout(r, 300));
  await h.agent.idle();
  assert.ok(inMeta(seat), 'the returning person keeps their seat');
  assert.equal(invitePosts(h.emulator, email).length, 1, 'and is not invited a second time');
  const audit = (await h.agent.api.audit({ hubId: HUB, email, action: 'remove-member' })).items;
  assert.ok(audit.some((e) => e.outcome === 'skipped'), JSON.stringify(audit.map((e) => `${e.outcome}: ${e.why}`)));
  assert.ok(!audit.some((e) => e.outcome === 'ok'));
});
