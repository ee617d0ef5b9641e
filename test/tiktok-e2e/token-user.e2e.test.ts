import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TIKTOK_SANDBOX as S } from '../../connectors/tiktok-business/emulator/index.ts';
import { BC, GROUP, USER, settle, startTikTokHub, type TikTokHarness } from './harness.ts';

/**
 * The access token acts as an ordinary BOUND member of the Business Center, and no TikTok
 * endpoint says which one. When that member's address is also a directory user's, and that user
 * is in no TikTok team, the plan must not remove them: it would revoke the hub's own token.
 * `tiktok.tokenUserId` names the member; it is a system user, never removed or demoted.
 */
const BOT_EMAIL = 'hubwarden-bot@sandbox.example'; // the fixture's token user (7200000000000000900)

describe('TikTok hub: the access token\'s own user', () => {
  let h: TikTokHarness;
  before(async () => { h = await startTikTokHub('okta'); });
  after(() => h.close());

  test('a directory user in no team with the token user\'s address: the token user keeps the seat and the ADMIN role', async () => {
    const user = await h.scim('POST', '/Users', { schemas: [USER], userName: BOT_EMAIL, emails: [{ primary: true, value: BOT_EMAIL, type: 'work' }], active: true });
    assert.equal(user.status, 201);
    await h.checkForUpdates();
    // A system user is no person's seat: its row is matched to nobody, whatever its address.
    const match = await h.store.get('memberMatches', h.hubId, S.tokenUserId);
    assert.equal(match?.outcome, 'unmatched', 'the token user\'s row is not matched to the directory user');
    assert.equal(match?.directoryUserId, undefined);
    await settle(h, 1_500); // past the 1 s settle window
    await h.checkForUpdates();
    await h.agent.idle();
    const row = h.emulator.control.state().members.find((m) => m.bc_id === BC && m.user_id === S.tokenUserId);
    assert.equal(row?.relation_status, 'BOUND', 'the token user is still a member');
    assert.equal(row?.user_role, 'ADMIN');
    const touched = h.emulator.calls.filter((c) => (c.endpoint === 'bc/member/delete' || c.endpoint === 'bc/member/update') && (c.body as { user_id?: string }).user_id === S.tokenUserId);
    assert.deepEqual(touched.map((c) => c.endpoint), [], 'no removal or role change was sent for the token user');
  });
});

describe('TikTok hub: the access token\'s own user, its address a team member\'s', () => {
  let h: TikTokHarness;
  before(async () => { h = await startTikTokHub('okta'); });
  after(() => h.close());

  test('a directory user in a team with the token user\'s address: not invited, and the token user\'s seat is not theirs', async () => {
    const email = 'hubwarden-bot-team@sandbox.example';
    // The token was authorized with an account whose address a person in a team also has.
    const state = h.emulator.control.state();
    h.emulator.control.seed({ ...state, members: state.members.map((m) => (m.bc_id === BC && m.user_id === S.tokenUserId ? { ...m, user_email: email } : m)) });
    await h.checkForUpdates(); // the hub knows the row's address before the person arrives
    const user = await h.scim('POST', '/Users', { schemas: [USER], userName: email, emails: [{ primary: true, value: email, type: 'work' }], active: true });
    assert.equal(user.status, 201);
    const group = await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: [{ value: user.body.id }] });
    assert.equal(group.status, 201);
    await h.checkForUpdates();
    await h.agent.idle();
    const match = await h.store.get('memberMatches', h.hubId, S.tokenUserId);
    assert.equal(match?.outcome, 'unmatched');
    assert.equal(match?.directoryUserId, undefined, 'the token user\'s row is no directory person\'s seat');
    assert.equal(match?.candidates, undefined, 'nor disputed between people');
    const writes = h.emulator.calls.filter((c) => ['bc/member/invite', 'bc/member/delete', 'bc/member/update', 'bc/asset/assign', 'bc/asset/unassign'].includes(c.endpoint)
      && (JSON.stringify(c.body).includes(S.tokenUserId) || JSON.stringify(c.body).includes(email)));
    assert.deepEqual(writes.map((c) => c.endpoint), [], 'the token user is never invited, removed or changed as a person');
  });
});
