/**
 * A person accepts hubwarden's invite while a check for updates reads the business: after the
 * first of its two people listings (`GET /{business}/business_users` or `/pending_users`) has
 * answered and before the other does. The two are not one atomic read: members read first (or
 * alongside), the person was in neither, and the invite was recorded as cancelled in Meta and
 * re-sent to a person who already held the seat. The check reads the invites first, so the person
 * is in one listing or both, and the seat is recorded as the invite accepted.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type express from 'express';
import { collect } from '../../agent/store/store.ts';
import type { CheckRunRecord } from '../../agent/check-for-updates/check-run.ts';
import { checkForUpdates, HUB, invitePosts, startHarness, until, type Harness } from '../agent-e2e/harness.ts';
import { betweenListings } from '../races/between-listings.ts';

/** Which whole people listing a call reads (none for a look-up by email). */
function listing(req: express.Request): string | undefined {
  if (req.method !== 'GET' || req.query.email !== undefined) return undefined;
  return /\/(business_users|pending_users)\/?$/.exec(req.path)?.[1];
}

describe('an invite accepted between the member and invite listings of one check (agent over the Meta emulator)', () => {
  let h: Harness;
  const between = betweenListings();
  beforeEach(async () => {
    h = await startHarness({ front: between.front });
    await checkForUpdates(h); // a complete snapshot: the plan trusts it
  });
  afterEach(async () => { await h.close(); });

  test('no invite recorded as cancelled, no second invite, the seat matched as the invite accepted', async () => {
    const email = 'hana@sandbox.example';
    await h.directory.createUser('u-hana', email);
    await h.directory.patchGroup('Meta Advertisers', ['u-hana']);
    const invite = await until('invite', () => h.emulator.control.state().invites.find((i) => i.email === email && i.status === 'PENDING'));
    await h.agent.idle();
    await checkForUpdates(h); // the invite is known under Meta's id
    assert.ok(await h.store.get('appInvites', HUB, invite.id));

    let memberId: string | undefined;
    between.arm(listing, () => { memberId = h.emulator.control.acceptInvite(invite.id).memberId; });
    const runsBefore = new Set((await collect(h.store.list('checkRuns', HUB))).map((r) => r.id));
    const auditBefore = (await collect(h.store.list('audit', HUB))).length;
    await checkForUpdates(h);
    between.disarm();
    assert.ok(between.changed() && memberId, 'the person accepted during the check');

    const run = (await collect(h.store.list('checkRuns', HUB))).find((r) => !runsBefore.has(r.id)) as CheckRunRecord | undefined;
    assert.equal(run?.outcome, 'completed');
    assert.equal(run?.unavailable, undefined, 'every section read in full');
    assert.deepEqual(run?.changes?.acceptedInvites.map((a) => [a.memberId, a.inviteId]), [[memberId, invite.id]]);
    assert.deepEqual(run?.changes?.expiredInvites, []);
    assert.deepEqual(run?.changes?.declinedInvites, []);
    assert.deepEqual(run?.changes?.drift, [], 'no invite cancelled in the app, no member added by hand');

    const audit = (await collect(h.store.list('audit', HUB))).slice(auditBefore);
    assert.deepEqual(audit.filter((e) => e.action.startsWith('drift') || /^invite-(expired|declined|canceled)$/.test(e.action) || e.action.includes('reinvite')).map((e) => e.action), []);
    assert.equal(invitePosts(h.emulator, email).length, 1, 'never invited a second time');
    assert.deepEqual(h.emulator.calls.filter((c) => c.method === 'DELETE').map((c) => c.path), [], 'no invite cancelled by hubwarden');
    assert.equal(await h.store.get('appInvites', HUB, invite.id), undefined, 'the invite is no longer held: accepted');
    const match = await h.store.get('memberMatches', HUB, memberId!);
    assert.equal(match?.directoryUserId, 'u-hana', 'the seat is matched to the invited person');
  });
});
