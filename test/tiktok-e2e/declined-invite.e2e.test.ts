import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BC, GROUP, PATCH, USER, invitePosts, rowOf, startTikTokHub, until, type TikTokHarness } from './harness.ts';

/**
 * TikTok's invitation life cycle as its reference reads faithfully: a declined invitation stays
 * listed as REJECTED (no user_id), a pending one stays PENDING whatever its age (TikTok publishes
 * no validity period). hubwarden re-sends a declined invite once (revoke by `user_email`, then
 * invite), and after a second decline reports it instead of inviting again after every decline.
 * An expired one it cannot see before the 14 days it takes an invitation to last (connector
 * README [INF] #41; agent/tasks/operations/snapshot-update.test.ts and
 * agent/check-for-updates/snapshot.test.ts cover that lapse): until then it stays "invited",
 * unless someone removes the stale entry in TikTok, after which it is re-sent once.
 */
describe('TikTok hub: declined and expired invitations as TikTok lists them', () => {
  let h: TikTokHarness;
  before(async () => { h = await startTikTokHub('okta'); });
  after(() => h.close());
  const email = 'dora@example.com';

  test('invite → declined → re-sent once → declined again → no further invite', async () => {
    const user = await h.scim('POST', '/Users', { schemas: [USER], userName: email, emails: [{ primary: true, value: email }], active: true });
    const group = (await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: [{ value: user.body.id }] })).body.id as string;
    assert.ok(group);
    await until('the first invite', () => invitePosts(h.emulator, email)[0]);
    await h.agent.idle();

    h.emulator.control.declineInvite(BC, email);
    await h.checkForUpdates();
    await h.agent.idle();
    assert.equal(invitePosts(h.emulator, email).length, 2, 're-sent once after the decline');
    assert.equal(rowOf(h.emulator, email)?.relation_status, 'PENDING');
    assert.equal(h.emulator.calls.filter((c) => c.endpoint === 'bc/member/delete' && (c.body as { user_email?: string }).user_email === email).length, 1, 'the declined row revoked by address first');

    h.emulator.control.declineInvite(BC, email);
    for (let i = 0; i < 2; i++) {
      await h.checkForUpdates();
      await h.agent.idle();
    }
    assert.equal(invitePosts(h.emulator, email).length, 2, 'not invited again after the second decline');
    assert.equal(rowOf(h.emulator, email)?.relation_status, 'REJECTED');
  });

  test('an expired invitation stays PENDING and is left alone; revoked in TikTok (the stale entry removed) it is re-sent once', async () => {
    const erin = 'erin@example.com';
    const user = await h.scim('POST', '/Users', { schemas: [USER], userName: erin, emails: [{ primary: true, value: erin }], active: true });
    const groups = await h.scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "TikTok Advertisers"')}`);
    const group = groups.body.Resources[0].id as string;
    await h.scim('PATCH', `/Groups/${group}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: user.body.id }] }] });
    await until('the first invite', () => invitePosts(h.emulator, erin)[0]);
    await h.agent.idle();

    // The link expires: TikTok publishes no validity period and keeps the entry listed as PENDING.
    h.emulator.control.expireInvite(BC, erin);
    await h.checkForUpdates();
    await h.agent.idle();
    assert.equal(invitePosts(h.emulator, erin).length, 1, 'nothing tells hubwarden the link expired: no second invite');

    // An admin removes the stale entry in TikTok (delvia.org's fix): the invite left the list before
    // any expiry hubwarden knows of, so it is re-sent once.
    const state = h.emulator.control.state();
    state.members = state.members.filter((m) => !(m.bc_id === BC && m.user_email === erin));
    h.emulator.control.seed(state);
    await h.checkForUpdates();
    await h.agent.idle();
    assert.equal(invitePosts(h.emulator, erin).length, 2, 're-sent once');
    assert.equal(rowOf(h.emulator, erin)?.relation_status, 'PENDING');
  });
});
