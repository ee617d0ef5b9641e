import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { createMemberService, type MemberService } from '../../agent/members/member-service.ts';
import { checkForUpdates, HUB, hubConfig, invitePosts, onboard, silent, startHarness, until, type Harness } from './harness.ts';

/**
 * A registered guest email (an outside collaborator an owner registered by address) and a seat
 * kept with its directory user across an email change (the IdP changed the email, or the person
 * accepted the invite under another address): the seat stays the directory user's, as a seat
 * whose email names them does. Taken for the guest's, it left their write-back, their plan invited
 * them again at the new address, and their leaving never removed it (docs/security.md 187).
 * Over the real check for updates, the agent and the Meta connector on the emulator.
 */
let h: Harness;
/** The owner's decisions (admin API, CLI) over the agent's store. */
let members: MemberService;
const admin = { type: 'admin' as const, actor: 'e2e' };
before(async () => {
  h = await startHarness();
  members = createMemberService({ config: { file: hubConfig() }, store: h.store, log: silent });
  await checkForUpdates(h);
});
after(async () => { members.close(); await h.close(); });

const matchOf = (memberId: string) => h.store.get('memberMatches', HUB, memberId);
const seatHeld = (memberId: string) => h.emulator.control.state().users.some((u) => u.id === memberId);

test("a guest registered for the old address after the IdP changed a member's email: the seat stays theirs, and goes when they leave", async () => {
  const memberId = await onboard(h, 'u-jane', 'jane@example.com', 'Meta Advertisers');
  await h.directory.changeEmail('u-jane', 'jane.new@example.com');
  await h.agent.idle();
  await checkForUpdates(h);
  assert.equal((await matchOf(memberId))?.reason, 'matched by directory user; email changed in the IdP');

  // An owner takes the address the IdP let go for an outside collaborator's.
  await members.registerGuest(HUB, { email: 'jane@example.com', note: 'agency' }, admin);
  await h.agent.idle();
  await checkForUpdates(h);
  const match = await matchOf(memberId);
  assert.equal(match?.outcome, 'onboarded', 'not re-labelled as the guest\'s');
  assert.equal(match?.directoryUserId, 'u-jane');
  const entry = (await collect(h.store.list('audit', HUB))).find((e) => e.action === 'guest-registered' && e.subject?.email === 'jane@example.com');
  assert.match(entry!.why, new RegExp(`still a directory user's, not a guest's: ${memberId} \\(directory user u-jane\\)`));
  assert.equal(invitePosts(h.emulator, 'jane.new@example.com').length, 0, 'no second invite at the new address');

  await h.directory.setActive('u-jane', false);
  await until('the seat removed when she leaves', () => !seatHeld(memberId), 10_000);
});

test('a guest registered before the person was hired does not take their seat when the IdP changes their email', async () => {
  // Kim worked with the business from an agency under this address, registered as a guest then.
  await members.registerGuest(HUB, { email: 'kim@example.com', note: 'agency, before her hire' }, admin);
  const memberId = await onboard(h, 'u-kim', 'kim@example.com', 'Meta Advertisers');
  assert.equal((await matchOf(memberId))?.directoryUserId, 'u-kim', 'her email names her: hers');
  await h.directory.changeEmail('u-kim', 'kim.new@example.com');
  await h.agent.idle();
  await checkForUpdates(h);
  const match = await matchOf(memberId);
  assert.equal(match?.outcome, 'onboarded');
  assert.equal(match?.directoryUserId, 'u-kim');
  assert.equal(invitePosts(h.emulator, 'kim.new@example.com').length, 0, 'not invited again at the new address');
  assert.ok(seatHeld(memberId));
});

test('a seat accepted under another address, that address then registered as a guest: still the invited directory user\'s', async () => {
  await h.directory.createUser('u-ann', 'ann@example.com');
  await h.directory.patchGroup('Meta Advertisers', ['u-ann']);
  const invite = await until('the invite', () => h.emulator.control.state().invites.find((i) => i.email === 'ann@example.com' && i.status === 'PENDING'));
  const { memberId } = h.emulator.control.acceptInvite(invite.id, { email: 'ann.private@mail.example' });
  await checkForUpdates(h);
  assert.equal((await matchOf(memberId))?.directoryUserId, 'u-ann');
  await members.registerGuest(HUB, { email: 'ann.private@mail.example' }, admin);
  await h.agent.idle();
  assert.equal((await matchOf(memberId))?.directoryUserId, 'u-ann', 'at the registration');
  await checkForUpdates(h);
  assert.equal((await matchOf(memberId))?.outcome, 'onboarded');
  assert.equal((await matchOf(memberId))?.directoryUserId, 'u-ann', 'and at the next check');

  await h.directory.setActive('u-ann', false);
  await until('the seat removed when she leaves', () => !seatHeld(memberId), 10_000);
});
