import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TIKTOK_SANDBOX } from '../../connectors/tiktok-business/emulator/index.ts';
import { AD, BC, GROUP, PATCH, USER, invitePosts, roleOn, rowOf, settle, startTikTokHub, until, type TikTokHarness } from './harness.ts';
import { suiteStores } from '../suite-stores.ts';
import { callHold } from '../call-hold.ts';

/**
 * The flows a Meta hub passes (test/agent-e2e), on a TikTok hub: Okta- and Entra-shaped SCIM
 * pushes, a group move that never costs access, and removal only after the settle window.
 */
// On the memory store and on PostgreSQL (test/suite-stores.ts), the two side by side: each has its
// own hubs, emulators and store, and its cases mostly wait (settle windows, a held call, throttle
// backoffs); within a store the cases run in order, as before (`concurrency: 1`: it is inherited).
const kinds = await suiteStores('memory', 'postgres');
describe('TikTok hub flows, on each store', { concurrency: true }, () => { for (const kind of kinds) describe(kind.kind, { concurrency: 1 }, () => {
  /** The TikTok call a case needs in flight (test/call-hold.ts), one per store. */
  const { front, holdNext } = callHold();

  describe(`TikTok hub, Okta shape over real SCIM requests (${kind.kind})`, { skip: kind.skip }, () => {
    let h: TikTokHarness;
    before(async () => { h = await startTikTokHub('okta', { store: kind }); });
    after(() => h.close());
    let userId = '';
    let memberId = '';
    let advertisers = '';
    let admins = '';

    test('POST /Users, POST /Groups, PATCH add member → one STANDARD invite, sent within a second', async () => {
      const user = await h.scim('POST', '/Users', { schemas: [USER], userName: 'jane@example.com', name: { givenName: 'Jane', familyName: 'Doe' }, emails: [{ primary: true, value: 'jane@example.com', type: 'work' }], active: true });
      assert.equal(user.status, 201);
      userId = user.body.id;
      advertisers = (await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: [] })).body.id;
      admins = (await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Admins', members: [] })).body.id;
      const pushed = Date.now();
      const patch = await h.scim('PATCH', `/Groups/${advertisers}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] });
      assert.ok(patch.status === 204 || patch.status === 200, `PATCH ${patch.status}`);
      const post = await until('the invite call', () => invitePosts(h.emulator, 'jane@example.com')[0]);
      assert.ok(post.at - pushed < 1_000, `invite ${post.at - pushed} ms after the push`);
      assert.deepEqual((post.body as { user_role: string; asset_ids: string[] }).user_role, 'STANDARD');
      assert.equal(rowOf(h.emulator, 'jane@example.com')?.relation_status, 'PENDING');
      await h.agent.idle();
      const audit = await h.agent.api.audit({ hubId: h.hubId, email: 'jane@example.com' });
      assert.ok(audit.items.some((e) => e.action === 'invite' && e.outcome === 'ok' && e.trigger.idp === 'okta'), 'audited with its trigger');
    });

    test('a repeated push does not invite twice', async () => {
      await h.scim('PATCH', `/Groups/${advertisers}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] });
      await h.agent.idle();
      await h.checkForUpdates();
      await h.agent.idle();
      assert.equal(invitePosts(h.emulator, 'jane@example.com').length, 1);
    });

    test('accepts → the next check for updates gives OPERATOR on the team ad account', async () => {
      memberId = h.emulator.control.acceptInvite(BC, 'jane@example.com', { name: 'Jane Doe' }).userId;
      await h.checkForUpdates();
      assert.equal(await until('OPERATOR on the ad account', () => roleOn(h.emulator, memberId)), 'OPERATOR');
    });

    test('moved to "TikTok Admins" (removed first, then added) → ADMIN and the team\'s ADMIN on the ad account, never losing the seat', async () => {
      h.emulator.control.clearCalls();
      let lost = false;
      const watch = setInterval(() => {
        if (!h.emulator.control.state().members.some((m) => m.user_id === memberId && m.bc_id === BC) || !roleOn(h.emulator, memberId)) lost = true;
      }, 2);
      try {
        await h.scim('PATCH', `/Groups/${advertisers}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }] });
        await h.scim('PATCH', `/Groups/${admins}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] });
        await until('ADMIN role', () => rowOf(h.emulator, 'jane@example.com')?.user_role === 'ADMIN');
        await until('ADMIN on the ad account', () => roleOn(h.emulator, memberId) === 'ADMIN');
        await settle(h, 1_500); // past the settle window
      } finally {
        clearInterval(watch);
      }
      assert.equal(lost, false, 'Jane kept her seat and the ad account the whole time');
      // A BC ADMIN reaches every asset anyway, but the team's role on its ad account is assigned
      // as for any member (the connector contract: BOUND and holding the wrong role → assign).
      const assigns = h.emulator.calls.filter((c) => c.endpoint === 'bc/asset/assign' && c.code === 0).map((c) => c.body as { user_id: string; asset_id: string; advertiser_role: string });
      assert.deepEqual(assigns.map((b) => [b.user_id, b.asset_id, b.advertiser_role]), [[memberId, AD, 'ADMIN']]);
      assert.equal(roleOn(h.emulator, memberId), 'ADMIN');
      assert.equal(h.emulator.calls.filter((c) => c.endpoint === 'bc/member/delete').length, 0, 'no removal call');
    });

    test('deactivated → the seat is removed only after the settle window, audited', async () => {
      const off = await h.scim('PATCH', `/Users/${userId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
      assert.ok(off.status === 200 || off.status === 204, `PATCH ${off.status}`);
      const at = Date.now();
      await until('removal', () => !h.emulator.control.state().members.some((m) => m.user_id === memberId && m.bc_id === BC), 8_000);
      const removal = h.emulator.calls.find((c) => c.endpoint === 'bc/member/delete' && (c.body as { user_id?: string }).user_id === memberId)!;
      assert.ok(removal.at - at >= 900, `removed ${removal.at - at} ms after the push: the settle window is 1 s`);
      const audit = await until('the removal audited', async () => (await h.agent.api.audit({ hubId: h.hubId, action: 'remove-member' })).items[0]);
      assert.equal(audit.outcome, 'ok');
      assert.match(audit.why, /deactivated/);
      // The BC's own admins, who are in no directory, are untouched.
      for (const id of [TIKTOK_SANDBOX.tokenUserId, ...TIKTOK_SANDBOX.admins]) assert.ok(h.emulator.control.state().members.some((m) => m.user_id === id));
    });
  });

  describe(`TikTok hub, Entra shape over real SCIM requests (${kind.kind})`, { skip: kind.skip }, () => {
    let h: TikTokHarness;
    before(async () => { h = await startTikTokHub('entra', { store: kind }); });
    after(() => h.close());

    test('group created with its member, then an Add op to the admins → the pending invitation is revoked and sent again as ADMIN', async () => {
      const user = await h.scim('POST', '/Users', { schemas: [USER], userName: 'sam@example.com', externalId: 'sam', emails: [{ primary: true, value: 'sam@example.com', type: 'work' }], active: true });
      assert.equal(user.status, 201);
      const admins = await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Admins', externalId: 'g-admins', members: [] });
      const adv = await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', externalId: 'g-adv', members: [{ value: user.body.id }] });
      assert.equal(adv.status, 201);
      await until('STANDARD invitation', () => rowOf(h.emulator, 'sam@example.com')?.relation_status === 'PENDING');
      assert.equal(rowOf(h.emulator, 'sam@example.com')?.user_role, 'STANDARD');
      await h.scim('PATCH', `/Groups/${admins.body.id}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ value: user.body.id }] }] });
      await until('invitation as ADMIN', () => rowOf(h.emulator, 'sam@example.com')?.user_role === 'ADMIN');
      await h.agent.idle();
      const rows = h.emulator.control.state().members.filter((m) => m.user_email === 'sam@example.com');
      assert.equal(rows.length, 1, 'one invitation row');
      // TikTok cannot change a pending invitation's role: revoke by address, invite again.
      assert.ok(h.emulator.calls.some((c) => c.endpoint === 'bc/member/delete' && (c.body as { user_email?: string }).user_email === 'sam@example.com'));
      // The ADMIN invitation carries the admins team's ad account and role, as a STANDARD one does.
      const last = invitePosts(h.emulator, 'sam@example.com').at(-1)!.body as { user_role: string; asset_ids: string[]; advertiser_role?: string };
      assert.deepEqual([last.user_role, last.asset_ids, last.advertiser_role], ['ADMIN', [AD], 'ADMIN']);
    });
  });

  describe(`TikTok hub, a group change while a call for the person is in flight (${kind.kind})`, { skip: kind.skip }, () => {
    let h: TikTokHarness;
    before(async () => { h = await startTikTokHub('okta', { store: kind, front }); });
    after(() => h.close());

    test('removed from the group while the invitation is being sent → revoked after the settle window', async () => {
      const user = await h.scim('POST', '/Users', { schemas: [USER], userName: 'max@example.com', emails: [{ primary: true, value: 'max@example.com', type: 'work' }], active: true });
      const adv = (await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: [] })).body.id;
      const inFlight = holdNext((req) => req.method === 'POST' && /\/bc\/member\/invite\/?$/.test(req.path)); // the invitation takes 1.5 s
      await h.scim('PATCH', `/Groups/${adv}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: user.body.id }] }] });
      await inFlight;
      assert.equal((await h.agent.api.tasks({ hubId: h.hubId, kind: 'invite', status: 'running' })).items.length, 1, 'the invite task is the one calling TikTok');
      await h.scim('PATCH', `/Groups/${adv}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${user.body.id}"]` }] });
      await until('the invitation sent', () => rowOf(h.emulator, 'max@example.com')?.relation_status === 'PENDING');
      await until('the invitation revoked', () => !rowOf(h.emulator, 'max@example.com'));
      await h.agent.idle();
      assert.equal(invitePosts(h.emulator, 'max@example.com').length, 1);
      assert.ok(h.emulator.calls.some((c) => c.endpoint === 'bc/member/delete' && (c.body as { user_email?: string }).user_email === 'max@example.com'), 'revoked by address');
    });
  });

  describe(`TikTok hub under 40100 throttling (${kind.kind})`, { skip: kind.skip }, () => {
    let h: TikTokHarness;
    before(async () => { h = await startTikTokHub('okta', { store: kind, emulator: { faults: { codes: [{ match: 'bc/member/invite', code: 40100, times: 2 }] } } }); });
    after(() => h.close());

    test('a throttled invitation is not applied, waited out and sent again: one invitation, never two', async () => {
      const user = await h.scim('POST', '/Users', { schemas: [USER], userName: 'tess@example.com', emails: [{ primary: true, value: 'tess@example.com', type: 'work' }], active: true });
      await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: [{ value: user.body.id }] });
      await until('the invitation', () => rowOf(h.emulator, 'tess@example.com')?.relation_status === 'PENDING', 15_000);
      await h.agent.idle();
      const calls = h.emulator.calls.filter((c) => c.endpoint === 'bc/member/invite');
      assert.deepEqual(calls.map((c) => c.code), [40100, 40100, 0], 'twice throttled, then applied');
      assert.ok(calls[2]!.at - calls[1]!.at >= 1_500, `the second retry waited the doubled backoff (${calls[2]!.at - calls[1]!.at} ms)`);
      assert.equal(invitePosts(h.emulator, 'tess@example.com').length, 1);
      assert.equal(h.emulator.control.state().members.filter((m) => m.user_email === 'tess@example.com').length, 1);
      const audit = await h.agent.api.audit({ hubId: h.hubId, email: 'tess@example.com' });
      assert.ok(audit.items.some((e) => e.action === 'invite' && e.outcome === 'ok'));
    });
  });
}); }); // each store
