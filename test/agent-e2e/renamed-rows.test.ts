import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { exempt } from '../../agent/members/member-decisions.ts';
import { collect } from '../../agent/store/store.ts';
import { checkForUpdates, HUB, hubConfig, settle, startHarness, until, type Harness } from './harness.ts';

/**
 * The agent records an invite it sent before Meta's id is known (`invite:pending:<email>`); the
 * next check for updates lists it under Meta's id. An owner's exemption of the row must follow it:
 * left on the old id, it protected nothing and the invite was cancelled when the person left.
 */
let h: Harness;
const owner = { type: 'admin' as const, actor: 'owner@example.com' };
const hub = hubConfig().hubs[0]!;
before(async () => { h = await startHarness(); await checkForUpdates(h); });
after(() => h.close());
const janesInviteRows = async () => (await collect(h.store.list('appInvites', HUB))).filter((i) => i.email === 'jane@example.com').map((i) => `invite:${i.id}`);

test('an exempted invite keeps its exemption when a check for updates gives it Meta\'s id, and is not cancelled', async () => {
  await h.directory.createUser('u-jane', 'jane@example.com');
  await h.directory.patchGroup('Meta Advertisers', ['u-jane']);
  await until('the invite sent', () => h.emulator.control.state().invites.find((i) => i.email === 'jane@example.com' && i.status === 'PENDING'));
  await h.agent.idle();
  const [provisional] = await janesInviteRows();
  await h.store.transact((tx) => exempt(tx, hub, provisional!, { reason: 'agency lead' }, owner, new Date()));

  await checkForUpdates(h);
  const [listed] = await janesInviteRows();
  assert.notEqual(listed, provisional, 'the check gave the row its listed id');
  assert.equal((await h.store.get('exemptions', HUB, listed!))?.reason, 'agency lead');
  assert.equal(await h.store.get('exemptions', HUB, provisional!), undefined);

  await h.directory.patchGroup('Meta Advertisers', [], ['u-jane']);
  await settle(h, 2_500); // past the settle and gather windows of the test hub
  assert.equal(h.emulator.control.state().invites.find((i) => i.email === 'jane@example.com')?.status, 'PENDING', 'an exempted invite is never cancelled');
});

test('an invite hubwarden sent before Meta\'s id was known, accepted: the check records an accepted invite (not drift) and the exemption follows the member', async () => {
  await h.directory.createUser('u-max', 'max@example.com');
  await h.directory.patchGroup('Meta Advertisers', ['u-max']);
  const sent = await until('the invite sent', () => h.emulator.control.state().invites.find((i) => i.email === 'max@example.com' && i.status === 'PENDING'));
  await h.agent.idle();
  const rows = (await collect(h.store.list('appInvites', HUB))).filter((i) => i.email === 'max@example.com').map((i) => `invite:${i.id}`);
  assert.deepEqual(rows, ['invite:pending:max@example.com'], 'recorded before Meta\'s id is known');
  await h.store.transact((tx) => exempt(tx, hub, rows[0]!, { reason: 'agency lead' }, owner, new Date()));

  const { memberId } = h.emulator.control.acceptInvite(sent.id);
  await checkForUpdates(h);
  const run = (await collect(h.store.list('checkRuns', HUB))).sort((a, b) => a.startedAt.localeCompare(b.startedAt)).at(-1)!;
  assert.deepEqual(run.changes?.acceptedInvites.map((a) => a.memberId), [memberId]);
  assert.deepEqual(run.changes?.drift.map((d) => d.kind) ?? [], [], 'hubwarden\'s own invite is not a member added by hand');
  assert.equal((await h.store.get('exemptions', HUB, memberId))?.reason, 'agency lead');
  assert.equal((await h.store.get('memberMatches', HUB, memberId))?.outcome, 'exempted');
});
