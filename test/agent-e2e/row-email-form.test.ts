import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkForUpdates, HUB, invitePosts, settle, startHarness, type Harness } from './harness.ts';
import { collect } from '../../agent/store/store.ts';
import { sandboxFixture } from '../../connectors/meta-business/emulator/index.ts';

/**
 * Meta's `email` on a business user and on a pending invite is a plain string (BusinessUser and
 * BusinessRoleRequest field tables); its case and surrounding blanks may differ from the IdP's.
 * The person is still matched, never invited a second time, and removed (or their invite
 * cancelled) when they leave the team; what hubwarden records and audits names the address
 * trimmed and lower-cased (before, a member's blanks were kept in the record and every summary).
 */
let h: Harness;
before(async () => {
  const fixture = sandboxFixture();
  fixture.businessUsers = fixture.businessUsers.map((u) => (u.id === '1000000000000103' ? { ...u, email: '  Eve.Moneypenny@Sandbox.EXAMPLE ' } : u));
  fixture.invites = fixture.invites.map((i) => (i.id === '1000000000000301' ? { ...i, email: ' New.Hire@Sandbox.Example  ' } : i));
  h = await startHarness({ emulator: { fixture } });
  await checkForUpdates(h);
});
after(() => h.close());

test("a member's and an invite's email in another case and with blanks is the IdP person's", async () => {
  await h.directory.createUser('u-eve', 'eve.moneypenny@sandbox.example');
  await h.directory.createUser('u-new', 'new.hire@sandbox.example');
  await h.directory.patchGroup('Meta Advertisers', ['u-eve', 'u-new']);
  await settle(h, 2_500);
  await checkForUpdates(h);
  const matches = await collect(h.store.list('memberMatches', HUB));
  assert.equal(matches.find((m) => m.memberId === '1000000000000103')?.directoryUserId, 'u-eve');
  assert.equal(matches.find((m) => m.memberId === 'invite:1000000000000301')?.directoryUserId, 'u-new');
  assert.equal((await h.store.get('appMembers', HUB, '1000000000000103'))?.email, 'eve.moneypenny@sandbox.example');
  assert.deepEqual([invitePosts(h.emulator, 'eve.moneypenny@sandbox.example').length, invitePosts(h.emulator, 'new.hire@sandbox.example').length], [0, 0], 'no second seat');

  await h.directory.patchGroup('Meta Advertisers', [], ['u-eve', 'u-new']);
  await settle(h, 4_000);
  const deletes = h.emulator.calls.filter((c) => c.method === 'DELETE').map((c) => c.path);
  assert.ok(deletes.includes('/1000000000000103') && deletes.includes('/1000000000000301'), JSON.stringify(deletes));
  const audit = (await h.agent.api.audit({ hubId: HUB, email: 'eve.moneypenny@sandbox.example' })).items;
  const removal = audit.find((e) => e.action === 'remove-member' && e.outcome === 'ok');
  assert.ok(removal, JSON.stringify(audit.map((e) => e.action)));
  assert.ok(audit.every((e) => !/^\s|\s{2}/.test(e.why) && (e.subject?.email === undefined || e.subject.email === 'eve.moneypenny@sandbox.example')), JSON.stringify(audit.map((e) => [e.subject, e.why])));
});
