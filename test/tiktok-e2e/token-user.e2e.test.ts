import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TIKTOK_SANDBOX as S } from '../../connectors/tiktok-business/emulator/index.ts';
import { BC, USER, settle, startTikTokHub, type TikTokHarness } from './harness.ts';

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
    await h.checkForUpdates(); // matches the bot's row to the directory user
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
