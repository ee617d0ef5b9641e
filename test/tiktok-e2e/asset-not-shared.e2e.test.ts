import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TIKTOK_SANDBOX as S } from '../../connectors/tiktok-business/emulator/index.ts';
import { BC, GROUP, PATCH, USER, invitePosts, startTikTokHub, until, type TikTokHarness } from './harness.ts';

/**
 * One team's ad account is not shared into the Business Center: TikTok answers 40001 to its
 * assignment. That task fails naming the ad account; the hub is not paused, so other people's
 * invites and removals go on. A token whose user lost ADMIN still pauses the hub.
 */
const NOT_SHARED = '7100000000000000555';
const EVE = 'eve.moneypenny@sandbox.example';

describe('TikTok hub: a team ad account not shared into the Business Center', () => {
  let h: TikTokHarness;
  before(async () => {
    h = await startTikTokHub('okta', { extraTeams: [{ group: 'TikTok Unshared', appRole: 'STANDARD', assets: [{ type: 'ad_account', id: NOT_SHARED, role: 'ANALYST' }] }] });
  });
  after(() => h.close());
  const paused = async () => (await h.store.get('hubStates', '', h.hubId))?.paused === true;
  const user = async (email: string) => (await h.scim('POST', '/Users', { schemas: [USER], userName: email, emails: [{ primary: true, value: email }], active: true })).body.id as string;

  test('the assignment fails naming the ad account; the hub is not paused; other invites and removals go', async () => {
    const eve = await user(EVE);
    const jane = await user('jane@example.com');
    const newbie = await user('newbie@example.com'); // not a member yet: an invitation carrying the ad account
    await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Unshared', members: [{ value: eve }, { value: newbie }] });
    const advertisers = (await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: [] })).body.id as string;
    const failed = await until('the assignment task failed', async () => (await h.agent.api.tasks({ hubId: h.hubId, status: 'failed' })).items
      .find((t) => t.lastError?.message.includes(NOT_SHARED)));
    assert.equal(failed.lastError?.kind, 'not-found');
    assert.match(failed.lastError!.message, new RegExp(`ad account ${NOT_SHARED} is not owned by or shared into Business Center ${BC}`));
    const invite = await until('the invitation task failed', async () => (await h.agent.api.tasks({ hubId: h.hubId, status: 'failed' })).items
      .find((t) => t.lastError?.message.includes('newbie@example.com')));
    assert.equal(invite.lastError?.kind, 'not-found');
    assert.match(invite.lastError!.message, new RegExp(`ad account ${NOT_SHARED} is not owned by or shared into Business Center ${BC}`));
    assert.equal(await paused(), false, 'one team\'s asset does not pause the hub');

    await h.scim('PATCH', `/Groups/${advertisers}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: jane }] }] });
    await until('jane invited', () => invitePosts(h.emulator, 'jane@example.com')[0]);
    await h.scim('PATCH', `/Users/${jane}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
    await until('jane\'s invitation cancelled', () => !h.emulator.control.state().members.some((m) => m.bc_id === BC && m.user_email === 'jane@example.com'), 8_000);
    assert.equal(await paused(), false);
  });

  test('a token whose user lost ADMIN: the same assignment pauses the hub', async () => {
    const state = h.emulator.control.state();
    state.members.find((m) => m.user_id === S.tokenUserId)!.user_role = 'STANDARD';
    h.emulator.control.seed(state);
    const frank = await user('frank.ledger@sandbox.example'); // a BOUND member: an assignment, no invite
    const groups = (await h.scim('GET', '/Groups?filter=displayName%20eq%20%22TikTok%20Unshared%22')).body.Resources as Array<{ id: string }>;
    await h.scim('PATCH', `/Groups/${groups[0]!.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: frank }] }] });
    await until('hub paused', paused, 8_000);
    const summary = await h.agent.api.hub(h.hubId);
    assert.match(summary?.health.pausedReason ?? '', new RegExp(`${NOT_SHARED}.*permission-denied`));
  });
});
