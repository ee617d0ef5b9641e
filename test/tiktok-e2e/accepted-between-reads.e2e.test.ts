/**
 * A person accepts hubwarden's invitation while a check for updates reads the Business Center:
 * after the first of its two people listings (`GET /bc/member/get/` filtered to PENDING, or to
 * BOUND) has answered and before the other does. The listings are not one atomic read, so the
 * person may be in neither (members read first: not yet BOUND; invitations then: no longer
 * PENDING). Concluded from that one read, the invitation was recorded as cancelled in TikTok,
 * re-sent (revoke, then invite: refused, the person is BOUND) and audited as a change that never
 * happened. The check reads the invitations first, so the person is in one listing or both, and
 * the seat is recorded as the invitation accepted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type express from 'express';
import { collect } from '../../agent/store/store.ts';
import type { CheckRunRecord } from '../../agent/check-for-updates/check-run.ts';
import { BC, GROUP, USER, invitePosts, rowOf, startTikTokHub, until, type TikTokHarness } from './harness.ts';
import { betweenListings } from '../races/between-listings.ts';

/** The relation status a whole-listing `bc/member/get` call filters by (none for a narrowed or role-filtered read). */
function listingStatus(req: express.Request): string | undefined {
  if (!req.path.includes('/bc/member/get')) return undefined;
  const raw = typeof req.query.filtering === 'string' ? req.query.filtering : undefined;
  if (!raw) return undefined;
  const filtering = JSON.parse(raw) as { relation_status?: string; keyword?: string; user_role?: string };
  if (filtering.keyword !== undefined || filtering.user_role !== undefined) return undefined;
  return filtering.relation_status === 'BOUND' || filtering.relation_status === 'PENDING' ? filtering.relation_status : undefined;
}

describe('TikTok hub: an invitation accepted between the member and invitation listings of one check', () => {
  let h: TikTokHarness;
  const between = betweenListings();
  before(async () => { h = await startTikTokHub('okta', { front: between.front }); });
  after(() => h.close());

  test('no invite recorded as cancelled, no re-invite, the seat matched as the invite accepted', async () => {
    const email = 'gina@example.com';
    const user = await h.scim('POST', '/Users', { schemas: [USER], userName: email, emails: [{ primary: true, value: email }], active: true });
    await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: [{ value: user.body.id }] });
    await until('the invite', () => invitePosts(h.emulator, email)[0]);
    await h.agent.idle();
    assert.equal(rowOf(h.emulator, email)?.relation_status, 'PENDING');

    let userId: string | undefined;
    between.arm(listingStatus, () => { userId = h.emulator.control.acceptInvite(BC, email).userId; });
    const runsBefore = new Set((await collect(h.store.list('checkRuns', h.hubId))).map((r) => r.id));
    const auditBefore = (await collect(h.store.list('audit', h.hubId))).length;
    await h.checkForUpdates();
    await h.agent.idle();
    between.disarm();
    assert.ok(between.changed() && userId, 'the person accepted during the check');
    assert.equal(rowOf(h.emulator, email)?.relation_status, 'BOUND');

    const run = (await collect(h.store.list('checkRuns', h.hubId))).find((r) => !runsBefore.has(r.id)) as CheckRunRecord | undefined;
    assert.equal(run?.outcome, 'completed');
    assert.equal(run?.unavailable, undefined, 'every section read in full');
    assert.deepEqual(run?.changes?.acceptedInvites.map((a) => [a.memberId, a.email]), [[userId, email]]);
    assert.deepEqual(run?.changes?.expiredInvites, []);
    assert.deepEqual(run?.changes?.declinedInvites, []);
    assert.deepEqual(run?.changes?.drift, [], 'no invite cancelled in the app, no member added by hand');

    const audit = (await collect(h.store.list('audit', h.hubId))).slice(auditBefore);
    assert.deepEqual(audit.filter((e) => e.action.startsWith('drift') || /^invite-(expired|declined|canceled)$/.test(e.action) || e.action.includes('reinvite')).map((e) => e.action), []);
    assert.equal(audit.filter((e) => e.action === 'invite-accepted').length, 1);
    assert.equal(invitePosts(h.emulator, email).length, 1, 'never invited a second time');
    assert.deepEqual(h.emulator.calls.filter((c) => c.endpoint === 'bc/member/delete').map((c) => c.body), [], 'no invitation revoked');
    const invites = await collect(h.store.list('appInvites', h.hubId));
    assert.deepEqual(invites.filter((i) => i.email === email), [], 'the invite is no longer held: accepted');
    const match = await h.store.get('memberMatches', h.hubId, userId!);
    assert.equal(match?.directoryUserId, user.body.id, 'the seat is matched to the invited person');
  });
});
