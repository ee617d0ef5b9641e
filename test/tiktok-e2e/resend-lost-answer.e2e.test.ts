/**
 * A re-send (revoke, then invite: TikTok has no resend) whose invite TikTok carried out and whose
 * answer was lost (the emulator's `lostReply`), retried by a new connector instance, as after a
 * restart or on another replica. The connector kept the lost answer in its process's memory only:
 * the retry revoked the invitation just sent and invited a third time, and the person got two
 * invitation emails in a row, the first one's link dead. The retry is told from the task's
 * recorded attempts in the store, reads the address first and sends nothing more.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { suiteStores } from '../suite-stores.ts';
import { BC, GROUP, USER, invitePosts, rowOf, startTikTokHub, until, type TikTokHarness } from './harness.ts';

const stores = await suiteStores('memory', 'postgres');
// The memory and PostgreSQL runs side by side: each has its own hub, emulator, store and call
// window, and mostly waits for its turns at the Basic tier's pace.
describe('TikTok hub: a re-send whose answer was lost, on each store', { concurrency: true }, () => { for (const store of stores) describe(`TikTok hub: a re-send whose answer was lost, retried after a restart (${store.kind})`, { skip: store.skip, concurrency: 1 }, () => {
  let h: TikTokHarness;
  // On the Basic tier (10 QPS, paced at 5): the tier whose limit the instances once passed together.
  before(async () => { h = await startTikTokHub('okta', { freshConnectors: true, store, tier: 'basic' }); });
  after(() => h.close());
  const email = 'lena@example.com';
  const posts = (endpoint: string) => h.emulator.calls.filter((c) => c.method === 'POST' && c.endpoint === endpoint
    && [...((c.body as { emails?: string[] }).emails ?? []), (c.body as { user_email?: string }).user_email].some((x) => x?.toLowerCase() === email));

  test('the retry on a new connector instance finds the new invitation: no second invite, nothing revoked again', async () => {
    const user = await h.scim('POST', '/Users', { schemas: [USER], userName: email, emails: [{ primary: true, value: email }], active: true });
    await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: [{ value: user.body.id }] });
    await until('the first invite', () => invitePosts(h.emulator, email)[0]);
    await h.agent.idle();

    // Declined: re-sent once (revoke, invite); that invite is made, and its answer lost.
    h.emulator.control.declineInvite(BC, email);
    h.emulator.control.setFaults({ lostReply: { match: 'bc/member/invite' } });
    await h.checkForUpdates();
    const resends = async () => (await collect(h.store.list('tasks', h.hubId))).filter((t) => t.kind === 'reinvite');
    await until('the re-send retried', async () => (await resends()).every((t) => t.status === 'completed' || t.status === 'failed') && (await resends()).length > 0);
    await h.agent.idle();
    h.emulator.control.setFaults({});

    // The writes naming the address, in order: the first invite; the re-send's revoke and invite
    // (attempt 1, its answer lost); nothing from attempt 2, which only reads.
    const writes = h.emulator.calls.filter((c) => posts(c.endpoint).includes(c)).map((c) => c.endpoint);
    assert.deepEqual(writes, ['bc/member/invite', 'bc/member/delete', 'bc/member/invite'], 'the first invite, the re-send (revoke, invite), and nothing revoked or sent again');
    assert.equal(posts('bc/member/invite').length, 2, 'the first invite and the re-send, no third');
    assert.equal(posts('bc/member/delete').length, 1, 'the declined row revoked once, the new invitation never');
    assert.equal(rowOf(h.emulator, email)?.relation_status, 'PENDING');
    // Exactly 2 attempts: attempt 1 revokes and invites, and the answer is lost (the fault loses
    // one answer only); attempt 2 reads the address, finds it PENDING, and is done. A third
    // attempt used to come from the harness, not the product: each fresh connector instance paced
    // its calls alone, so the instances together passed the emulator's 10 calls a second and
    // attempt 2's read came back 40100 (rate-limited, not applied). They share one call window now
    // (harness.ts), as the product's replicas do; no call may be throttled here.
    assert.deepEqual(h.emulator.calls.filter((c) => c.code === 40100).map((c) => c.endpoint), [], 'no call throttled');
    assert.deepEqual((await resends()).map((t) => [t.status, t.attempts, t.attemptsRefused ?? 0]), [['completed', 2, 0]], 'the re-send retried once after its lost answer, and done');

    await h.checkForUpdates();
    await h.agent.idle();
    assert.equal(posts('bc/member/invite').length, 2, 'nothing sent at the next check either');
  });
});
}); // each store
