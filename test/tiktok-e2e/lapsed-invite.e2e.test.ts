import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemberService, type MemberService } from '../../agent/members/member-service.ts';
import { BC, GROUP, PATCH, USER, invitePosts, silent, rowOf, startTikTokHub, until, type TikTokHarness } from './harness.ts';

/**
 * A TikTok invitation that lapses again after its one re-send (TikTok publishes no validity
 * period and keeps a stale invitation listed as PENDING, https://ads.tiktok.com/help/article/how-to-add-members-to-business-center;
 * the connector takes one to last 14 days, `assumedLifetimeMs`; a declined one is listed
 * REJECTED): the members view shows it `lapsed`, not a seat; the person leaving the team closes
 * it (revoked in TikTok by `user_email`, audited); a return brings one fresh invite, never two.
 * The agent's and the emulator's clock move 15 days at a time.
 */
const DAY = 86_400_000;
let offset = 0;
const clock = () => Date.now() + offset;

let h: TikTokHarness;
let view: MemberService;
let groupId = '';
before(async () => {
  h = await startTikTokHub('okta', { clock });
  view = createMemberService({ config: h.config, store: h.store, log: silent, clock: () => new Date(clock()) });
  const groups = await h.scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "TikTok Advertisers"')}`);
  groupId = groups.body.Resources?.[0]?.id ?? (await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: [] })).body.id;
});
after(async () => { view.close(); await h.close(); });

async function passes(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await h.checkForUpdates();
    await h.agent.idle();
  }
}
const members = (op: 'add' | 'remove', id: string) =>
  h.scim('PATCH', `/Groups/${groupId}`, { schemas: [PATCH], Operations: [op === 'add' ? { op, path: 'members', value: [{ value: id }] } : { op, path: `members[value eq "${id}"]` }] });
const rowIn = async (email: string) => (await view.members(h.hubId, { search: email, limit: 50 })).items.find((m) => m.kind === 'invite' && m.email === email);
const revokes = (email: string) => h.emulator.calls.filter((c) => c.endpoint === 'bc/member/delete' && c.code === 0 && (c.body as { user_email?: string }).user_email === email).length;

async function lapsedThenLeaveThenReturn(email: string, userId: string, how: string): Promise<void> {
  const row = await rowIn(email);
  assert.equal(row?.status, 'lapsed', `${how}: ${JSON.stringify(row)}`);
  assert.ok(!(await view.members(h.hubId, { status: 'invited', limit: 500 })).items.some((m) => m.email === email), `${how}: not among the invited`);
  assert.equal((await view.memberCounts(h.hubId))!.lapsed, 1, `${how}: counted lapsed, not as a seat`);
  const posts = invitePosts(h.emulator, email).length;

  // Leaves the team: the lapsed invitation is closed, revoked in TikTok by its address, audited.
  const revoked = revokes(email);
  await members('remove', userId);
  await until(`${how}: the lapsed invite closed`, async () => (await rowIn(email)) === undefined);
  await h.agent.idle();
  assert.equal(rowOf(h.emulator, email), undefined, `${how}: TikTok no longer lists it`);
  assert.equal(revokes(email), revoked + 1, `${how}: one revoke`);
  const audit = (await h.agent.api.audit({ hubId: h.hubId, email })).items;
  const closed = audit.find((e) => e.action === 'cancel-invite' && e.outcome === 'ok');
  assert.match(closed?.why ?? '', /lapsed invite/, `${how}: ${JSON.stringify(audit.map((e) => [e.action, e.outcome, e.why]))}`);
  assert.equal(closed?.subject?.directoryUserId, userId);
  assert.equal((await view.memberCounts(h.hubId))!.lapsed, 0);
  assert.equal(invitePosts(h.emulator, email).length, posts, `${how}: closing invites nobody`);

  // Back in the team: exactly one fresh invite, never a duplicate.
  await members('add', userId);
  await until(`${how}: the fresh invite`, () => invitePosts(h.emulator, email).length === posts + 1);
  await h.agent.idle();
  await passes(1); // a check for updates reads the new PENDING row: still one invitation
  assert.equal(invitePosts(h.emulator, email).length, posts + 1, `${how}: one invite, no duplicate`);
  assert.equal(rowOf(h.emulator, email)?.relation_status, 'PENDING');
  assert.equal((await rowIn(email))?.status, 'invited');
}

describe('TikTok hub: a lapsed invitation', () => {
  test('PENDING past the assumed lifetime → re-sent once → past it again: lapsed; leaving closes it; a return brings one invite', async () => {
    const email = 'lia@example.com';
    const user = await h.scim('POST', '/Users', { schemas: [USER], userName: email, emails: [{ primary: true, value: email }], active: true });
    await members('add', user.body.id);
    await until('the first invite', () => invitePosts(h.emulator, email).length === 1);
    await h.agent.idle();

    offset += 15 * DAY; // past the 14 days hubwarden gives an invitation: TikTok still lists it PENDING
    await passes(1);
    await until('the re-send', () => invitePosts(h.emulator, email).length === 2);
    await h.agent.idle();
    assert.equal(revokes(email), 1, 'the stale invitation revoked first (a second invite to it is ignored)');

    offset += 15 * DAY;
    await passes(2);
    assert.equal(invitePosts(h.emulator, email).length, 2, 'lapsed again: held for an owner, not sent a third time');
    assert.equal(rowOf(h.emulator, email)?.relation_status, 'PENDING', 'TikTok still lists it');
    await lapsedThenLeaveThenReturn(email, user.body.id, 'expired');
  });

  test('REJECTED → re-sent once → REJECTED again: lapsed; leaving closes it; a return brings one invite', async () => {
    const email = 'dora@example.com';
    const user = await h.scim('POST', '/Users', { schemas: [USER], userName: email, emails: [{ primary: true, value: email }], active: true });
    await members('add', user.body.id);
    await until('the first invite', () => invitePosts(h.emulator, email).length === 1);
    await h.agent.idle();
    h.emulator.control.declineInvite(BC, email);
    await passes(1);
    assert.equal(invitePosts(h.emulator, email).length, 2, 're-sent once');
    h.emulator.control.declineInvite(BC, email);
    await passes(2);
    assert.equal(invitePosts(h.emulator, email).length, 2, 'not sent a third time');
    assert.equal(rowOf(h.emulator, email)?.relation_status, 'REJECTED');
    await lapsedThenLeaveThenReturn(email, user.body.id, 'declined');
  });
});
