import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect } from '../../agent/store/store.ts';
import { sandboxFixture, TIKTOK_SANDBOX as S } from '../../connectors/tiktok-business/emulator/index.ts';
import { BC, GROUP, USER, invitePosts, settle, startTikTokHub, type TikTokHarness } from './harness.ts';

/**
 * TikTok's `user_email` is a plain string (the Go SDK's `Member`, github.com/bububa/tiktok-business
 * `model/bc/member_get.go`); its case and blanks may differ from the IdP's. The member and the
 * invitation are still the IdP person's, never invited a second time, removed (or revoked) when
 * they leave the team, and what hubwarden records and audits names the address trimmed and
 * lower-cased (before, a member's row kept its blanks and capitals: README [INF] #72).
 */
const EVE = '7200000000000000103';
let h: TikTokHarness;
before(async () => {
  const state = sandboxFixture();
  state.members = state.members.map((m) => (m.bc_id === BC && m.user_id === EVE ? { ...m, user_email: '  Eve.Moneypenny@Sandbox.EXAMPLE ' }
    : m.bc_id === BC && m.user_email === S.pendingEmail ? { ...m, user_email: 'New.Hire@Sandbox.Example' } : m));
  h = await startTikTokHub('okta', { emulator: { state } });
});
after(() => h.close());

test("a member's and an invitation's user_email in another case and with blanks is the IdP person's", async () => {
  const ids: string[] = [];
  for (const email of ['eve.moneypenny@sandbox.example', S.pendingEmail]) {
    ids.push((await h.scim('POST', '/Users', { schemas: [USER], userName: email, emails: [{ primary: true, value: email }], active: true })).body.id);
  }
  const group = (await h.scim('POST', '/Groups', { schemas: [GROUP], displayName: 'TikTok Advertisers', members: ids.map((value) => ({ value })) })).body.id as string;
  await settle(h, 1_500);
  await h.checkForUpdates();
  await h.agent.idle();
  const matches = await collect(h.store.list('memberMatches', h.hubId));
  assert.equal(matches.find((m) => m.memberId === EVE)?.directoryUserId, ids[0]);
  assert.equal(matches.find((m) => m.memberId === `invite:${S.pendingEmail}`)?.directoryUserId, ids[1]);
  assert.equal((await h.store.get('appMembers', h.hubId, EVE))?.email, 'eve.moneypenny@sandbox.example');
  assert.equal((await h.store.get('appInvites', h.hubId, S.pendingEmail))?.email, S.pendingEmail);
  assert.deepEqual([invitePosts(h.emulator, 'eve.moneypenny@sandbox.example').length, invitePosts(h.emulator, S.pendingEmail).length], [0, 0], 'no second seat');

  await h.scim('PATCH', `/Groups/${group}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: ids.map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })) });
  await settle(h, 1_500);
  await h.checkForUpdates();
  await h.agent.idle();
  const deletes = h.emulator.calls.filter((c) => c.endpoint === 'bc/member/delete' && c.code === 0).map((c) => c.body as { user_id?: string; user_email?: string });
  assert.ok(deletes.some((d) => d.user_id === EVE), JSON.stringify(deletes));
  assert.ok(deletes.some((d) => d.user_email?.toLowerCase() === S.pendingEmail), `the invitation revoked: ${JSON.stringify(deletes)}`);
  assert.equal(h.emulator.control.state().members.some((m) => m.bc_id === BC && [EVE].includes(m.user_id ?? '') || m.user_email === 'New.Hire@Sandbox.Example'), false, 'neither is listed any more');
  const audit = (await h.agent.api.audit({ hubId: h.hubId, email: 'eve.moneypenny@sandbox.example' })).items;
  assert.ok(audit.some((e) => e.action === 'remove-member' && e.outcome === 'ok'), JSON.stringify(audit.map((e) => e.action)));
  assert.ok(audit.every((e) => !/^\s|\s{2}|Eve\.Moneypenny/.test(e.why) && (e.subject?.email === undefined || e.subject.email === 'eve.moneypenny@sandbox.example')), JSON.stringify(audit.map((e) => [e.subject, e.why])));
});
