/**
 * A mapped group emptied in the IdP (Okta "Push groups" after a group rule changed pushes the group
 * with no members; or the group is deleted, SCIM DELETE /Groups/{id}, RFC 7644 §3.6), or its
 * members removed one by one across settle windows: either way the seats of most of the hub go in
 * the settle lane, and the removal threshold halts them for an owner. Nobody is removed first.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { recordDesiredChange } from '../../agent/outbox.ts';
import { checkForUpdates, HUB, onboard, settle, startHarness, until, type Harness } from './harness.ts';
import { startWorld } from './audit-completeness-fixtures.ts';

const PEOPLE = ['a', 'b', 'c', 'd', 'e'];
const GROUP = 'Meta Advertisers';
let h: Harness | undefined;
afterEach(() => h?.close());

/** `world`: the agent with its member service (exemptions), as the server builds it. */
async function hubOfFive(world = false): Promise<{ h: Harness; seats: string[] }> {
  const safety = { removalThresholdPercent: 20, confirmDeprovisioning: false };
  h = world ? await startWorld(safety) : await startHarness({ safety });
  if (!world) await checkForUpdates(h);
  const seats: string[] = [];
  for (const p of PEOPLE) seats.push(await onboard(h, `u-${p}`, `${p}@example.com`, GROUP, { import: false }));
  await checkForUpdates(h);
  return { h, seats };
}

const seated = (h: Harness, seats: string[]) => seats.filter((id) => h.emulator.control.state().users.some((u) => u.id === id));

test('a mapped group pushed with no members halts for approval; rejected, every seat stays', async () => {
  const { h, seats } = await hubOfFive();
  await h.directory.patchGroup(GROUP, [], PEOPLE.map((p) => `u-${p}`));
  const approval = await until('an approval', async () => { await settle(h); return (await h.agent.api.approvals(HUB)).find((a) => a.status === 'pending'); });
  assert.deepEqual(seated(h, seats), seats, 'nobody removed before an owner decides');
  assert.equal(approval.operations.filter((o) => o.kind === 'remove-member').length, seats.length);
  await h.agent.api.decideApproval(approval.id, 'reject', { type: 'admin', actor: 'owner@example.com' });
  await settle(h, 2_500);
  assert.deepEqual(seated(h, seats), seats);
});

test('a mapped group deleted in the IdP halts for approval as emptying it does', async () => {
  const { h, seats } = await hubOfFive();
  const id = 'g-meta-advertisers';
  await h.store.transact(async (tx) => {
    const group = (await tx.get('directoryGroups', HUB, id))!;
    tx.delete('directoryGroups', HUB, id);
    // As scim-server/scim/groups.ts deleteGroup records it.
    recordDesiredChange(tx, { hubId: HUB, trigger: { type: 'scim', idp: 'okta' }, changes: [{ kind: 'group-deleted', groupId: id, displayName: group.displayName, members: group.members.map((m) => m.value) }] });
  });
  const approval = await until('an approval', async () => { await settle(h); return (await h.agent.api.approvals(HUB)).find((a) => a.status === 'pending'); });
  assert.equal(approval.operations.filter((o) => o.kind === 'remove-member').length, seats.length);
  assert.deepEqual(seated(h, seats), seats);
});

test('members taken out of a mapped group one per settle window: the window halts the drip past the threshold', async () => {
  const { h, seats } = await hubOfFive();
  const members = await h.store.count('appMembers', HUB);
  for (const p of PEOPLE) {
    await h.directory.patchGroup(GROUP, [], [`u-${p}`]);
    await settle(h, 2_000); // past the 1 s settle window: each pass sees one
  }
  await settle(h, 2_500);
  const removed = seats.length - seated(h, seats).length;
  assert.ok(removed >= 1 && removed <= members * 0.2, `${removed} of ${members} removed without an approval`);
  assert.equal((await h.agent.api.approvals(HUB)).filter((a) => a.status === 'pending').length, 1);
});

test('a member exempted while their removal waits for approval keeps the seat when the approval runs', async () => {
  const { h, seats } = await hubOfFive(true);
  await h.directory.patchGroup(GROUP, [], PEOPLE.map((p) => `u-${p}`));
  const approval = await until('an approval', async () => { await settle(h); return (await h.agent.api.approvals(HUB)).find((a) => a.status === 'pending'); });
  const owner = { type: 'admin' as const, actor: 'owner@example.com' };
  await h.agent.api.exemptMember(HUB, seats[2]!, { reason: 'agency lead' }, owner);
  // Approved at once (the approval the owner read) or, a pass having re-planned meanwhile, the one that superseded it.
  const decided = await h.agent.api.decideApproval(approval.id, 'approve', owner).catch(async () => {
    const next = await until('the next approval', async () => { await settle(h); return (await h.agent.api.approvals(HUB)).find((a) => a.status === 'pending'); });
    assert.ok(!next.operations.some((o) => o.summary.includes('c@example.com')), 'the exempted seat is no longer asked for');
    return h.agent.api.decideApproval(next.id, 'approve', owner);
  });
  assert.equal(decided.status, 'approved');
  await until('the others removed', async () => { await settle(h); return seated(h, seats).length === 1; });
  assert.deepEqual(seated(h, seats), [seats[2]]);
});
