import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemberService } from '../../agent/members/member-service.ts';
import { TIKTOK_SANDBOX as S } from '../../connectors/tiktok-business/emulator/index.ts';
import { GROUP, USER, invitePosts, rowOf, settle, silent, startTikTokHub, type TikTokHarness } from './harness.ts';

/**
 * An invitation hubwarden did not send (made in TikTok by hand, or before hubwarden: the sandbox's
 * PENDING row for new.hire@) carries no sending time and no expiry, and TikTok keeps a stale one
 * listed as PENDING (https://ads.tiktok.com/help/article/how-to-add-members-to-business-center).
 * It is at least 14 days old once 14 days have passed since hubwarden first listed it: from then
 * it counts as expired, is re-sent once, and lapses after that (README [INF] #72). Before, it was
 * `invited` for ever: a seat, never re-sent, so its person never got a working invitation.
 */
const DAY = 86_400_000;
let offset = 0;
const clock = () => Date.now() + offset;
let h: TikTokHarness;
before(async () => { h = await startTikTokHub('okta', { clock }); });
after(() => h.close());

const passes = async (n: number) => { for (let i = 0; i < n; i++) { await h.checkForUpdates(); await h.agent.idle(); } };
const revokes = () => h.emulator.calls.filter((c) => c.endpoint === 'bc/member/delete' && c.code === 0 && (c.body as { user_email?: string }).user_email === S.pendingEmail).length;

test('a PENDING invitation found in TikTok: re-sent once 14 days after it was first listed, lapsed 14 days after that', async () => {
  const user = await h.scim('POST', '/Users', { schemas: [USER], userName: S.pendingEmail, emails: [{ primary: true, value: S.pendingEmail }], active: true });
  await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: [{ value: user.body.id }] });
  await settle(h, 300);
  await passes(1);
  assert.equal(invitePosts(h.emulator, S.pendingEmail).length, 0, 'its invitation is pending: no second one');

  offset += 15 * DAY;
  await passes(1);
  assert.equal(revokes(), 1, 'the stale invitation revoked by its address');
  assert.equal(invitePosts(h.emulator, S.pendingEmail).length, 1, 're-sent once');
  assert.equal(rowOf(h.emulator, S.pendingEmail)?.relation_status, 'PENDING');

  offset += 15 * DAY;
  await passes(2);
  assert.equal(invitePosts(h.emulator, S.pendingEmail).length, 1, 'lapsed again: held for an owner, not sent again');
  const view = createMemberService({ config: h.config, store: h.store, log: silent, clock: () => new Date(clock()) });
  try {
    const row = (await view.members(h.hubId, { search: S.pendingEmail, limit: 50 })).items.find((m) => m.kind === 'invite');
    assert.equal(row?.status, 'lapsed', JSON.stringify(row));
    assert.equal((await view.memberCounts(h.hubId))!.lapsed, 1);
  } finally {
    view.close();
  }
});
