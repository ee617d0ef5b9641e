import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkForUpdates, HUB, invitePosts, onboard, startHarness, until, type Harness } from './harness.ts';

/**
 * A person suspended in Okta (the event hook's user.lifecycle.suspend; SCIM says nothing of it)
 * loses their seat like a deactivated person, and is not invited again while suspended: the
 * directory still says active, and before the suspension was kept the next plan re-invited them.
 * Unsuspended, they are planned again.
 */
let h: Harness;
const hook = { type: 'okta-event-hook' as const, idp: 'okta', detail: 'user.lifecycle.suspend evt-1' };
before(async () => { h = await startHarness({ safety: { removalThresholdPercent: 100, confirmDeprovisioning: false } }); await checkForUpdates(h); });
after(() => h.close());

test('suspended: the seat goes and stays gone across checks; unsuspended: invited again', async () => {
  const seat = await onboard(h, 'u-sam', 'sam@example.com', 'Meta Advertisers');
  const tasks = await h.agent.api.suspendPerson({ email: 'sam@example.com' }, true, hook);
  assert.equal(tasks.length, 1);
  await until('the seat is removed', () => !h.emulator.control.state().users.some((u) => u.id === seat));
  assert.ok((await h.store.get('directoryUsers', HUB, 'u-sam'))?.suspended, 'the suspension is kept on the directory user');

  // A check for updates and a re-evaluation later: still active in the directory, but not invited.
  const invitesBefore = invitePosts(h.emulator, 'sam@example.com').length;
  await checkForUpdates(h);
  await h.agent.api.reevaluatePerson({ email: 'sam@example.com' }, { type: 'admin', actor: 'test' });
  await h.agent.idle();
  assert.equal(invitePosts(h.emulator, 'sam@example.com').length, invitesBefore, 'no invite while suspended');

  const audit = (await h.agent.api.audit({ email: 'sam@example.com', action: 'user-suspended' })).items;
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.trigger.type, 'okta-event-hook');

  await h.agent.api.suspendPerson({ email: 'sam@example.com' }, false, { ...hook, detail: 'user.lifecycle.unsuspend evt-2' });
  await until('invited again once unsuspended', () => invitePosts(h.emulator, 'sam@example.com').length > invitesBefore);
  assert.equal((await h.store.get('directoryUsers', HUB, 'u-sam'))?.suspended, undefined);
  await assert.rejects(h.agent.api.suspendPerson({ email: 'nobody@example.com' }, true, hook), /no directory user nobody@example.com/);
});
