/**
 * The common Entra leaver: deactivated first (the seat goes then), hard-deleted 30 days later
 * (SCIM DELETE /Users/{id}, https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works#deprovisioning).
 * The deletion leaves a departed-user record so that a seat still to be removed is found by email,
 * but this person had none left. Kept for ever, the record made any seat added later under that
 * address (a new hire reusing it, an owner re-adding someone on purpose) "a deleted user's seat",
 * removed automatically long after the fact, where an unmatched member is the owner's to decide.
 * Once a complete check for updates that started after the deletion lists no row of theirs, the
 * record is retired, and audited.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaBusiness } from '../../connectors/meta-business/connector.ts';
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { checkForUpdates, HUB, onboard, settle, silent, startHarness, until, type Harness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';

const byHand = (h: Harness) => createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: h.url }, { log: silent });
const isMember = (h: Harness, id: string) => h.emulator.control.state().users.some((u) => u.id === id);

for (const kind of await suiteStores('memory', 'lowdb', 'postgres')) {
  describe(`a departed user without a seat (${kind.kind})`, { skip: kind.skip }, () => {
    let h: Harness;
    before(async () => { h = await startHarness({ store: kind, safety: { removalThresholdPercent: 100 } }); await checkForUpdates(h); });
    after(() => h.close());

    test('deactivated (seat removed), then deleted: the record is retired at the next complete check, and a seat added later under the address is held, not removed', async () => {
      const email = 'gus@example.com';
      const seat = await onboard(h, 'u-gus', email, 'Meta Advertisers');
      await h.directory.setActive('u-gus', false);
      await until('the seat removed at deactivation', () => !isMember(h, seat), 8_000);
      await settle(h);
      await checkForUpdates(h);

      await h.directory.deleteUser('u-gus');
      await h.agent.idle();
      assert.ok(await h.store.get('departedUsers', HUB, 'u-gus'), 'the deletion is recorded');
      await checkForUpdates(h);
      assert.equal(await h.store.get('departedUsers', HUB, 'u-gus'), undefined, 'no row of theirs in a complete listing: the record is retired');
      const retired = (await h.agent.api.audit({ hubId: HUB, action: 'departed-user-retired' })).items;
      assert.deepEqual(retired.map((e) => [e.subject?.directoryUserId, e.outcome]), [['u-gus', 'ok']]);

      // Weeks later an owner adds someone under the address again, by hand.
      const { inviteId } = await byHand(h).invite!({ email, role: 'EMPLOYEE' });
      const { memberId } = h.emulator.control.acceptInvite(inviteId);
      await checkForUpdates(h);
      await settle(h);
      assert.ok(isMember(h, memberId), 'the new seat stays');
      assert.equal((await h.store.get('memberMatches', HUB, memberId))?.outcome, 'unmatched', 'held as unmatched for an owner');
      assert.ok(!(await h.agent.api.plan(HUB)).some((op) => op.memberId === memberId), 'no plan touches it');
      const removals = (await h.agent.api.audit({ hubId: HUB, email, action: 'remove-member' })).items;
      assert.ok(!removals.some((e) => e.subject?.memberId === memberId), JSON.stringify(removals.map((e) => e.why)));
    });

    test('deleted while a seat remains: the record stays through a check and removes it, then is forgotten', async () => {
      const seat = await onboard(h, 'u-ida', 'ida@example.com', 'Meta Advertisers');
      await h.directory.deleteUser('u-ida');
      await until('the seat removed', () => !isMember(h, seat), 8_000);
      await h.agent.idle();
      await checkForUpdates(h);
      assert.equal(await h.store.get('departedUsers', HUB, 'u-ida'), undefined);
    });
  });
}
