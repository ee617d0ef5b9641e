import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeImport, testGroup, testHub, testSeat, testUser } from '../grants/grant-fixtures.ts';
import type { Operation } from '../plan/operation.ts';
import type { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { enqueueOperation } from '../tasks/operations/enqueue-operation.ts';
import { exceedsAccessThreshold } from './classify.ts';
import { BRAKE_SAFETY, hubWithInvites, removalPass, removalStore } from './test-removal-pass.ts';

const NOW = new Date('2026-12-06T09:00:00Z');
const at = NOW.toISOString();
const ADVERTISE = { type: 'ad_account', id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] };

/**
 * A config push that drops the advertisers' ad account: the team keeps its seats (EMPLOYEE), and
 * the account stays on the admins' team, so each advertiser holding it is unassigned from it.
 * `granted`: how many of the 8 advertisers hold the account now (the others have nothing to lose).
 */
async function hubWithAdvertisers(granted: number) {
  const store = removalStore();
  const hub = testHub({
    safety: BRAKE_SAFETY,
    teams: [
      { group: 'Meta Advertisers', appRole: 'EMPLOYEE', assets: [] },
      { group: 'Meta Admins', hubRole: 'owner', appRole: 'ADMIN', assets: [{ type: 'ad_account', id: 'act_111', tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] }] },
    ],
  });
  await store.transact((tx) => {
    const advertisers: string[] = [];
    for (let i = 0; i < 8; i++) {
      tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`));
      advertisers.push(`u-${i}`);
      tx.put('appMembers', hub.id, `m-${i}`, testSeat(`m-${i}`, `p${i}@example.com`, 'EMPLOYEE', at));
      if (i < granted) {
        tx.put('appAssignments', hub.id, `ad_account:act_111:m-${i}`, { hubId: hub.id, key: `ad_account:act_111:m-${i}`, asset: { type: 'ad_account', id: 'act_111' }, userId: `m-${i}`, userType: 'member', tasks: ADVERTISE.tasks, madeBy: 'hubwarden' });
      }
    }
    tx.put('directoryUsers', hub.id, 'u-admin', testUser('u-admin', 'owner@example.com'));
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', 'Meta Advertisers', advertisers, at));
    tx.put('directoryGroups', hub.id, 'g2', testGroup('g2', 'Meta Admins', ['u-admin'], at));
    tx.put('appMembers', hub.id, 'm-admin', testSeat('m-admin', 'owner@example.com', 'ADMIN', at));
    tx.put('appAssignments', hub.id, 'ad_account:act_111:m-admin', { hubId: hub.id, key: 'ad_account:act_111:m-admin', asset: { type: 'ad_account', id: 'act_111' }, userId: 'm-admin', userType: 'member', tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'], madeBy: 'hubwarden' });
    tx.put('appImports', hub.id, hub.id, completeImport(at));
  });
  return { store, hub };
}

const tasksOf = async (store: MemoryStore, hubId: string, kind: string) => (await collect(store.list('tasks', hubId))).filter((t) => t.kind === kind);

test('a plan taking asset grants from most people, seats kept, halts for approval and says it was the grants', async () => {
  const { store, hub } = await hubWithAdvertisers(8);
  const pass = await removalPass(store, hub, 'settle', 'apply-removals:settle', NOW);
  assert.equal(pass.status, 'needs-approval', JSON.stringify(pass.result));
  const explanation = String((pass.result as { explanation: string }).explanation);
  assert.match(explanation, /take asset grants from 8 of 9 people of hub meta-main \(88\.9%\), more than removalThresholdPercent 20% \(asset grant removals\)/);
  assert.deepEqual(await tasksOf(store, hub.id, 'unassign-asset'), [], 'nothing unassigned before an owner approves');
  assert.deepEqual(await tasksOf(store, hub.id, 'remove-member'), [], 'no seat removed');
  const audit = await collect(store.list('audit', hub.id));
  const asked = audit.find((e) => e.action === 'approval-requested');
  assert.deepEqual(asked?.detail?.brake, ['grant']);
  assert.equal(asked?.detail?.grant, 8);
  const held = audit.filter((e) => e.action === 'unassign-asset' && e.outcome === 'pending');
  assert.equal(held.length, 8, 'each person whose grant is held has it in their trail');
  assert.match(held[0]!.why, /held for approval .* \(removalThresholdPercent 20%: asset grant removals\)/);
  const [approval] = await collect(store.list('approvals', hub.id));
  assert.equal(approval?.explanation, explanation);

  // Approved (queued as an approval queues them) but not run yet: the next pass plans them again
  // and does not hold them a second time.
  const planned = approval!.planned;
  await store.transact(async (tx) => { for (const op of planned) await enqueueOperation(tx, { hub, op, trigger: { type: 'scim' }, now: NOW }); });
  const after = await removalPass(store, hub, 'settle', 'apply-removals:settle:2', NOW);
  assert.equal(after.status, 'completed', JSON.stringify(after.result));
});

test('a plan taking grants from fewer people than the threshold proceeds', async () => {
  const { store, hub } = await hubWithAdvertisers(1);
  const pass = await removalPass(store, hub, 'settle', 'apply-removals:settle', NOW);
  assert.equal(pass.status, 'completed', JSON.stringify(pass.result));
  assert.equal((await tasksOf(store, hub.id, 'unassign-asset')).length, 1, '1 of 9 people (11 %) is under 20 %');
});

test('a plan cancelling the pending invites of most people halts for approval and says it was the invites', async () => {
  // 6 people invited, then deactivated in the directory before they joined: every invite is cancelled.
  const { store, hub } = await hubWithInvites(6, false, at);
  const pass = await removalPass(store, hub, 'deprovision', 'apply-removals:deprovision', NOW);
  assert.equal(pass.status, 'needs-approval', JSON.stringify(pass.result));
  assert.match(String((pass.result as { explanation: string }).explanation), /cancel the pending invites of 6 of 8 people of hub meta-main \(75\.0%\).*\(invite cancellations\)/);
  assert.deepEqual(await tasksOf(store, hub.id, 'cancel-invite'), [], 'no invite cancelled before an owner approves');
  const audit = await collect(store.list('audit', hub.id));
  assert.deepEqual(audit.find((e) => e.action === 'approval-requested')?.detail?.brake, ['invite']);
  assert.ok(audit.filter((e) => e.action === 'cancel-invite' && e.outcome === 'pending').every((e) => /invite cancellations/.test(e.why)));
});

test('grants, roles and invites are each judged by the people they reach, each person once', () => {
  const op = (kind: Operation['kind'], row: string, effect: Operation['effect'], n = 0) =>
    ({ kind, key: `${kind}:${row}:${n}`, memberId: row, inviteId: row, effect, reason: 'group-change', summary: 's' } as unknown as Operation);
  const judged = exceedsAccessThreshold([
    op('unassign-asset', 'm-1', 'downgrade'), op('unassign-asset', 'm-1', 'downgrade', 1), op('assign-asset', 'm-2', 'downgrade'),
    op('assign-asset', 'm-3', 'grant'), op('change-member-role', 'm-4', 'downgrade'), op('change-member-role', 'm-5', 'upgrade'),
    op('cancel-invite', 'i-1', 'removal'),
  ], 10, 15);
  assert.deepEqual(judged.map((k) => [k.kind, k.people, k.exceeds]), [['grant', 2, true], ['role', 1, false], ['invite', 1, false]]);
});
