import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { recordDesiredChange } from '../../agent/outbox.ts';
import { OKTA } from './directory.ts';
import { checkForUpdates, HUB, startHarness, until, type Harness } from './harness.ts';

/**
 * A directory user with emails is matched by those only (matchingEmailsOf): Entra's userName is
 * the UPN, which may differ from `mail`
 * (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes).
 * When the IdP deletes them (SCIM DELETE, RFC 7644 §3.6), the seats removed are theirs, not a seat
 * that merely carries their email-like userName: that one is unmatched, and an unmatched member
 * is never removed automatically (README, Matching).
 */
let h: Harness;
const CONTRACTOR = '1000000000000105'; // the sandbox's contractor@agency.example, in no directory
const isMember = (id: string) => h.emulator.control.state().users.some((u) => u.id === id);
before(async () => { h = await startHarness(); await checkForUpdates(h); });
after(() => h.close());

test('deleting a user whose userName is another seat\'s email removes their seat only', async () => {
  assert.equal((await h.store.get('memberMatches', HUB, CONTRACTOR))?.outcome, 'unmatched');
  // Pushed with emails [cara@example.com] and a UPN-like userName that is the contractor's seat's email.
  const at = new Date().toISOString();
  await h.store.transact((tx) => {
    tx.put('directoryUsers', HUB, 'u-cara', { hubId: HUB, id: 'u-cara', userName: 'contractor@agency.example', active: true, email: 'cara@example.com', emails: ['cara@example.com'], scim: {}, created: at, lastModified: at, version: 1 });
    recordDesiredChange(tx, { hubId: HUB, trigger: OKTA, changes: [{ kind: 'user-created', userId: 'u-cara' }] });
  });
  await h.directory.patchGroup('Meta Advertisers', ['u-cara']);
  const invite = await until('the invite', () => h.emulator.control.state().invites.find((i) => i.email === 'cara@example.com' && i.status === 'PENDING'));
  const { memberId } = h.emulator.control.acceptInvite(invite.id);
  await checkForUpdates(h);
  assert.equal((await h.store.get('memberMatches', HUB, memberId))?.directoryUserId, 'u-cara');
  assert.equal((await h.store.get('memberMatches', HUB, CONTRACTOR))?.outcome, 'unmatched', 'the userName matched no seat');

  await h.directory.deleteUser('u-cara');
  await until('cara\'s seat removed', () => !isMember(memberId), 10_000);
  await h.agent.idle();
  assert.ok(isMember(CONTRACTOR), 'the contractor\'s seat is kept');
});
