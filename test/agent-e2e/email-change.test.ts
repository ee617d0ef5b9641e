import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkForUpdates, HUB, invitePosts, onboard, startHarness, until, type Harness } from './harness.ts';

/**
 * An IdP changes a person's email (Okta or Entra: SCIM PATCH/PUT of `emails`); their seat in Meta
 * stays under the old one. The seat must stay theirs: no second invite at the new address, and
 * their leaving still removes it (an "unmatched" seat is never removed automatically).
 */
let h: Harness;
const admin = { type: 'admin' as const, actor: 'e2e' };
before(async () => { h = await startHarness(); await checkForUpdates(h); });
after(() => h.close());

test('a member whose email changes in the IdP keeps one seat, and loses it when deactivated', async () => {
  const memberId = await onboard(h, 'u-jane', 'jane@example.com', 'Meta Advertisers');
  await checkForUpdates(h);
  await h.directory.changeEmail('u-jane', 'jane.new@example.com');
  await h.agent.idle();
  await h.agent.api.reevaluatePerson({ email: 'jane.new@example.com' }, admin);
  await h.agent.idle();
  await checkForUpdates(h);
  await h.agent.idle();

  assert.equal(invitePosts(h.emulator, 'jane.new@example.com').length, 0, 'no second invite at the new address');
  assert.ok(h.emulator.control.state().users.some((u) => u.id === memberId), 'the seat is kept');
  const match = await h.store.get('memberMatches', HUB, memberId);
  assert.equal(match?.outcome, 'onboarded');
  assert.equal(match?.directoryUserId, 'u-jane');
  assert.equal(match?.reason, 'matched by directory user; email changed in the IdP');

  await h.directory.setActive('u-jane', false);
  await until('the old seat removed', () => !h.emulator.control.state().users.some((u) => u.id === memberId), 10_000);
});

test('a person invited whose email changes before any check is not invited again, and the invite is cancelled when they leave', async () => {
  await h.directory.createUser('u-kim', 'kim@example.com');
  await h.directory.patchGroup('Meta Advertisers', ['u-kim']);
  const invite = await until('the invite', () => h.emulator.control.state().invites.find((i) => i.email === 'kim@example.com' && i.status === 'PENDING'));
  await h.agent.idle();
  await h.directory.changeEmail('u-kim', 'kim.new@example.com');
  await h.agent.idle();
  await h.agent.api.reevaluatePerson({ email: 'kim.new@example.com' }, admin);
  await h.agent.idle();
  assert.equal(invitePosts(h.emulator, 'kim.new@example.com').length, 0, 'no second invite before a check');
  await checkForUpdates(h);
  assert.equal(invitePosts(h.emulator, 'kim.new@example.com').length, 0, 'nor after it');

  await h.directory.setActive('u-kim', false);
  await until('the invite cancelled', () => !h.emulator.control.state().invites.some((i) => i.id === invite.id && i.status === 'PENDING'), 10_000);
});

test('a leaver workflow removes the seat of a person whose email changed in the IdP', async () => {
  const memberId = await onboard(h, 'u-lou', 'lou@example.com', 'Meta Advertisers');
  await h.directory.changeEmail('u-lou', 'lou.new@example.com');
  await h.agent.idle();
  await checkForUpdates(h);
  const parent = await h.agent.api.offboard({ email: 'lou.new@example.com' }, { type: 'entra-lifecycle', idp: 'entra', detail: 'leaver workflow task 7' });
  await until('offboarding finished', async () => { const t = await h.agent.api.task(parent.id); return t && ['completed', 'failed'].includes(t.status) ? t : undefined; }, 10_000);
  assert.ok(!h.emulator.control.state().users.some((u) => u.id === memberId), 'the seat under the old email is removed');
});
