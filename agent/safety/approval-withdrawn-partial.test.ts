import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgentApi } from '../agent-api.ts';
import { completeImport, testGroup, testHub, testSeat, testUser } from '../grants/grant-fixtures.ts';
import { collect } from '../store/store.ts';
import { removalPass, removalStore } from './test-removal-pass.ts';

const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();
const owner = { type: 'admin' as const, actor: 'owner@example.com' };

/** 10 members: p0..p7 in the advertisers team, an admin, one member nobody governs. Threshold 20 %. */
async function setup() {
  const store = removalStore();
  const hub = testHub({ safety: { removalThresholdPercent: 20, removalWindowMinutes: 60, confirmDeprovisioning: false } });
  await store.transact((tx) => {
    for (let i = 0; i < 8; i++) {
      tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`, true));
      tx.put('appMembers', hub.id, `m-${i}`, testSeat(`m-${i}`, `p${i}@example.com`, 'EMPLOYEE', at));
    }
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', 'Meta Advertisers', [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `u-${i}`), at));
    tx.put('appMembers', hub.id, 'm-admin', testSeat('m-admin', 'owner@example.com', 'ADMIN', at));
    tx.put('appMembers', hub.id, 'm-x', testSeat('m-x', 'other@example.com', 'EMPLOYEE', at));
    tx.put('appImports', hub.id, hub.id, completeImport(at));
  });
  let n = 0;
  const pass = (when = NOW) => removalPass(store, hub, 'settle', `apply-removals:settle:${n++}`, when);
  const inGroup = (ids: number[]) => store.transact(async (tx) => {
    const g = (await tx.get('directoryGroups', hub.id, 'g1'))!;
    tx.put('directoryGroups', hub.id, 'g1', { ...g, members: ids.map((i) => ({ value: `u-${i}` })) });
  });
  const approvals = () => collect(store.list('approvals', hub.id));
  const trailOf = async (i: number) => (await collect(store.list('audit', hub.id))).filter((e) => e.subject?.email === `p${i}@example.com`).sort((a, b) => a.seq - b.seq);
  const removals = async () => (await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'remove-member').map((t) => (t.payload as { op: { key: string } }).op.key).sort();
  const api = createAgentApi({ store, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => NOW.getTime() + 60_000 });
  return { store, hub, pass, inGroup, approvals, trailOf, removals, api };
}

/**
 * Three leave the team (30 %): held for an owner. Two are added back before anyone decides: the
 * one left is 10 %, under the threshold, and the next pass queues it on its own. The approval
 * stayed `pending`, asking to remove three people, two of whom no plan removes (an approve then
 * queued all three, each skipped on re-check, and counted them in the removal window). Now it is
 * withdrawn, naming what became of each; it never grows into a new request.
 */
test('an approval of which only part is still planned, now under the threshold, is withdrawn: the rest is queued on its own, the others closed', async () => {
  const { pass, inGroup, approvals, trailOf, removals, api, hub } = await setup();
  await inGroup([3, 4, 5, 6, 7]);
  assert.equal((await pass()).status, 'needs-approval');
  const [held] = await approvals();
  await inGroup([0, 1, 3, 4, 5, 6, 7]); // p0 and p1 back: only p2's removal is planned
  const second = await pass();
  assert.equal(second.status, 'completed');
  assert.deepEqual(await removals(), ['remove:m-2'], 'the one still planned runs, below the threshold');
  const [approval, ...others] = await approvals();
  assert.equal(others.length, 0, 'no new approval');
  assert.equal(approval!.status, 'withdrawn');
  assert.match(approval!.withdrawnBecause!, /2 of its 3 change\(s\) no longer planned .*the other 1 queued on its own \(below the removal threshold now\)/);
  for (const i of [0, 1]) {
    const trail = await trailOf(i);
    assert.deepEqual(trail.map((e) => e.outcome), ['pending', 'skipped'], trail.map((e) => e.why).join(' | '));
    assert.match(trail[1]!.why, new RegExp(`no longer planned: p${i}@example.com is again in Meta Advertisers \\(approval ${held!.id} withdrawn\\)`));
  }
  const p2 = await trailOf(2);
  assert.match(p2.at(-1)!.why, new RegExp(`queued on its own .*approval ${held!.id} withdrawn`));
  const closing = (await api.audit({ hubId: hub.id, action: 'approval-withdrawn' })).items;
  assert.equal(closing.length, 1);
  assert.deepEqual(closing[0]!.detail, { approvalId: held!.id, phase: 'settle', operations: 3, noLongerPlanned: 2, handledByPass: 1 });
  await assert.rejects(api.decideApproval(held!.id, 'approve', owner), /withdrawn before anyone decided it/);
  assert.deepEqual(await removals(), ['remove:m-2'], 'the refused approval queued nothing');
});

test('an approval of which only part is still planned, still over the threshold, is replaced by one holding just that part', async () => {
  const { pass, inGroup, approvals, removals } = await setup();
  await inGroup([4, 5, 6, 7]); // 4 leave: 40 %
  assert.equal((await pass()).status, 'needs-approval');
  const [first] = await approvals();
  await inGroup([0, 4, 5, 6, 7]); // p0 back: 3 still planned, 30 %
  assert.equal((await pass()).status, 'needs-approval');
  const all = await approvals();
  const old = all.find((a) => a.id === first!.id)!;
  const next = all.find((a) => a.status === 'pending')!;
  assert.equal(old.status, 'superseded');
  assert.equal(old.supersededBy, next.id);
  assert.deepEqual(next.planned.map((o) => o.key).sort(), ['remove:m-1', 'remove:m-2', 'remove:m-3'], 'never wider than what is still planned');
  assert.deepEqual(await removals(), [], 'nothing queued without an owner');
});

test('an approval an owner decided is left as decided by a later pass; one planned after a pass began is left to the next pass', async () => {
  const { pass, inGroup, approvals, api, removals } = await setup();
  await inGroup([3, 4, 5, 6, 7]);
  assert.equal((await pass()).status, 'needs-approval');
  const [held] = await approvals();
  // A pass that began planning before the approval was (another replica's, slower): its plan may not have seen the change.
  await inGroup([0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal((await pass(new Date(NOW.getTime() - 1_000))).status, 'completed');
  assert.equal((await approvals())[0]!.status, 'pending', 'left to a pass that planned after it');
  await api.decideApproval(held!.id, 'reject', owner);
  assert.equal((await pass()).status, 'completed');
  const [after] = await approvals();
  assert.equal(after!.status, 'rejected', 'a decision is never overwritten');
  assert.deepEqual(await removals(), []);
});

test("an approval whose task is gone is not withdrawn by the other phase's pass while its changes are still planned", async () => {
  const { store, hub, pass, inGroup, approvals } = await setup();
  await inGroup([3, 4, 5, 6, 7]);
  assert.equal((await pass()).status, 'needs-approval');
  const [held] = await approvals();
  await store.transact((tx) => tx.delete('tasks', hub.id, held!.taskId)); // of no known phase now: any pass's
  assert.equal((await removalPass(store, hub, 'deprovision', 'apply-removals:deprovision:0', NOW)).status, 'completed');
  assert.equal((await approvals())[0]!.status, 'pending', 'the settle removals it holds are still planned');
});
