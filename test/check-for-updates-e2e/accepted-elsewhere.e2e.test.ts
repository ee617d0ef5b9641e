/**
 * End to end: a person accepts hubwarden's invite signed in under another email than the one
 * invited, before any check for updates has listed the invite under Meta's id (hubwarden still
 * holds it as `pending:<email>`). The seat is theirs: matched to them, the invite accepted (not
 * "cancelled in the app"), and never a second invite.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { checkForUpdates, HUB, invitePosts, startHarness, until, type Harness } from '../agent-e2e/harness.ts';

describe('an invite accepted under another email before the next check (agent over the Meta emulator)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    await checkForUpdates(h); // a complete snapshot: the plan trusts it
  });
  afterEach(async () => { await h.close(); });

  test('the member is matched to the invited directory user; no drift, no second invite', async () => {
    const email = 'ann@sandbox.example';
    await h.directory.createUser('u-ann', email);
    await h.directory.patchGroup('Meta Advertisers', ['u-ann']);
    const invite = await until('invite', () => h.emulator.control.state().invites.find((i) => i.email === email && i.status === 'PENDING'));
    await h.agent.idle();
    assert.ok(await h.store.get('appInvites', HUB, `pending:${email}`), 'hubwarden holds the invite under its provisional id');
    const { memberId } = h.emulator.control.acceptInvite(invite.id, { email: 'ann.private@mail.example' });
    await checkForUpdates(h);

    const match = await h.store.get('memberMatches', HUB, memberId);
    assert.equal(match?.outcome, 'onboarded');
    assert.equal(match?.directoryUserId, 'u-ann');
    assert.equal((await h.store.get('appMembers', HUB, memberId))?.inviteId, `pending:${email}`);
    assert.equal(await h.store.get('appInvites', HUB, `pending:${email}`), undefined, 'accepted, not recorded as cancelled');
    const audit = await collect(h.store.list('audit', HUB));
    assert.deepEqual(audit.filter((e) => e.action.startsWith('drift')).map((e) => e.action), []);
    assert.equal(invitePosts(h.emulator, email).length, 1, 'never invited a second time');
  });
});
