import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkForUpdates, HUB, invitePosts, onboard, settle, startHarness, type Harness } from './harness.ts';

/**
 * A person with two directory users that share an email (an old account and a new one, as a
 * rehire or a second IdP app assignment makes): the seat was matched to the first by id before
 * the second existed. Check for updates makes such a row disputed (README, Matching: several
 * directory users → `unmatched`, "neither changed, removed, nor doubled by a new invite for a
 * candidate until an owner decides"). Until the next check, the plan followed the stale match by
 * id: the old account's deactivation removed the seat the new account, active and in the group,
 * is owed, and the new account was then invited again.
 */
let h: Harness;
before(async () => { h = await startHarness(); await checkForUpdates(h); });
after(() => h.close());
const inMeta = (id: string) => h.emulator.control.state().users.some((u) => u.id === id);

test("deactivating one of two directory users sharing an email does not remove the seat before an owner decides", async () => {
  const email = 'twin@example.com';
  const seat = await onboard(h, 'u-twin-old', email, 'Meta Advertisers');
  await h.directory.createUser('u-twin-new', email);
  await h.directory.patchGroup('Meta Advertisers', ['u-twin-new']);
  await h.agent.idle();
  await h.directory.setActive('u-twin-old', false);
  await settle(h, 2_600); // past the deprovisioning gather (2 s) and the settle window (1 s)
  const planned = await h.agent.api.plan(HUB);
  assert.ok(inMeta(seat), `the seat is kept: ${JSON.stringify(planned)}`);
  assert.equal(invitePosts(h.emulator, email).length, 1, 'and no second invite');
  await checkForUpdates(h);
  await settle(h, 1_200);
  assert.ok(inMeta(seat), 'disputed after the check: still kept');
});
