import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemberService, type MemberService } from '../../agent/members/member-service.ts';
import { checkForUpdates, HUB, hubConfig, invitePosts, silent, startHarness, until, type Harness } from './harness.ts';

/**
 * An invite that lapses again after its one automatic re-send is held for an owner. Until
 * 2026-12 hubwarden's record of it stayed for ever: the members view showed the person `invited`
 * (counted as holding a seat) after they left the group, and when they were assigned again they
 * were never invited. Now the row is `lapsed` (no seat), the record is closed when the person
 * leaves (audited), and a return brings exactly one fresh invite.
 *
 * Meta's invites carry `expiration_time` and are listed in pending_users only while pending
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users):
 * the emulator gives them a short lifetime here, so they expire by the clock.
 */
const TTL_MS = 1_500;
let h: Harness;
/** The members view (admin API, dashboard, CLI) over the agent's store. */
let view: MemberService;
before(async () => {
  h = await startHarness({ emulator: { inviteTtlMs: TTL_MS } });
  view = createMemberService({ config: { file: hubConfig() }, store: h.store, log: silent });
  await checkForUpdates(h);
});
after(async () => { view.close(); await h.close(); });

const EMAIL = 'lia@example.com';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function passes(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await checkForUpdates(h);
    await h.agent.idle();
  }
}
const rowOf = async () => (await view.members(HUB, { search: EMAIL, limit: 50 })).items.find((m) => m.kind === 'invite' && m.email === EMAIL);

test('invite → expire → re-send → expire: lapsed, no seat; leaving closes it (audited); a return brings one fresh invite', async () => {
  await h.directory.createUser('u-lia', EMAIL);
  await h.directory.patchGroup('Meta Advertisers', ['u-lia']);
  await until('the invite', () => invitePosts(h.emulator, EMAIL).length === 1);
  await h.agent.idle();
  await sleep(TTL_MS + 200);
  await passes(1);
  await until('the re-send', () => invitePosts(h.emulator, EMAIL).length === 2);
  await h.agent.idle();
  await sleep(TTL_MS + 200);
  await passes(2);
  assert.equal(invitePosts(h.emulator, EMAIL).length, 2, 'lapsed again: held for an owner, not sent a third time');

  // The members view: lapsed, not invited; the counts put it apart from the seats.
  const lapsed = await rowOf();
  assert.equal(lapsed?.status, 'lapsed', JSON.stringify(lapsed));
  assert.equal(lapsed?.directoryUserId, 'u-lia');
  const invited = (await view.members(HUB, { status: 'invited', limit: 500 })).items;
  assert.ok(!invited.some((m) => m.email === EMAIL), 'not among the invited');
  const counts = (await view.memberCounts(HUB))!;
  assert.equal(counts.lapsed, 1, JSON.stringify(counts));
  assert.equal(counts.invited, invited.length, 'invited counts only pending invites');

  // The person leaves the group: the lapsed record is closed (dropped: Meta no longer lists it), audited.
  await h.directory.patchGroup('Meta Advertisers', [], ['u-lia']);
  await until('the lapsed invite closed', async () => (await rowOf()) === undefined);
  await h.agent.idle();
  const audit = (await h.agent.api.audit({ hubId: HUB, email: EMAIL })).items;
  const lines = JSON.stringify(audit.map((e) => `${e.action} ${e.outcome} (${e.trigger.type}): ${e.why}`));
  const closed = audit.find((e) => e.action === 'cancel-invite' && (e.outcome === 'ok' || e.outcome === 'already-done'));
  assert.ok(closed, lines);
  assert.match(closed.why, /lapsed invite/, lines);
  assert.equal(closed.subject?.directoryUserId, 'u-lia', lines);
  assert.equal((await view.memberCounts(HUB))!.lapsed, 0);
  assert.equal(invitePosts(h.emulator, EMAIL).length, 2, 'closing sends nothing');

  // Assigned again: exactly one fresh invite.
  await h.directory.patchGroup('Meta Advertisers', ['u-lia']);
  await until('the fresh invite', () => invitePosts(h.emulator, EMAIL).length === 3);
  await h.agent.idle();
  await sleep(300); // within the fresh invite's lifetime: a duplicate would have been sent by now
  await h.agent.idle();
  assert.equal(invitePosts(h.emulator, EMAIL).length, 3, 'one invite, no duplicate');
  assert.equal((await rowOf())?.status, 'invited');
});
