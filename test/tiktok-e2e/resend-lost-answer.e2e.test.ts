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

for (const store of await suiteStores('memory', 'postgres')) describe(`TikTok hub: a re-send whose answer was lost, retried after a restart (${store.kind})`, { skip: store.skip }, () => {
  let h: TikTokHarness;
  before(async () => { h = await startTikTokHub('okta', { freshConnectors: true, store }); });
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

    assert.equal(posts('bc/member/invite').length, 2, 'the first invite and the re-send, no third');
    assert.equal(posts('bc/member/delete').length, 1, 'the declined row revoked once, the new invitation never');
    assert.equal(rowOf(h.emulator, email)?.relation_status, 'PENDING');
    assert.deepEqual((await resends()).map((t) => [t.status, t.attempts > 1]), [['completed', true]], 'the re-send retried after its lost answer, and done');

    await h.checkForUpdates();
    await h.agent.idle();
    assert.equal(posts('bc/member/invite').length, 2, 'nothing sent at the next check either');
  });
});
