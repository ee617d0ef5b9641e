import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeImport, testGroup, testHub, testSeat, testUser } from '../grants/grant-fixtures.ts';
import { collect } from '../store/store.ts';
import { removalPass, removalStore } from './test-removal-pass.ts';

const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();

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
  const pass = (phase: 'settle' | 'deprovision') => removalPass(store, hub, phase, `apply-removals:${phase}:${n++}`, NOW);
  const inGroup = (ids: number[]) => store.transact(async (tx) => {
    const g = (await tx.get('directoryGroups', hub.id, 'g1'))!;
    tx.put('directoryGroups', hub.id, 'g1', { ...g, members: ids.map((i) => ({ value: `u-${i}` })) });
  });
  return { store, hub, pass, inGroup };
}

test("the deprovisioning pass halting does not drop the settle pass's approval", async () => {
  const { store, hub, pass, inGroup } = await setup();
  await inGroup([3, 4, 5, 6, 7]); // 3 leave the team: 30 %
  const settle = await pass('settle');
  assert.equal(settle.status, 'needs-approval');
  for (const i of [5, 6, 7]) await store.transact((tx) => tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`, false)));
  const deprovision = await pass('deprovision');
  assert.equal(deprovision.status, 'needs-approval');
  const pending = (await collect(store.list('approvals', hub.id))).filter((a) => a.status === 'pending');
  assert.deepEqual(pending.map((a) => a.planned.map((o) => o.key).sort().join(',')).sort(), ['remove:m-0,remove:m-1,remove:m-2', 'remove:m-5,remove:m-6,remove:m-7'], 'each pass\'s removals wait for an owner');
  assert.equal((await store.get('tasks', hub.id, settle.id))?.status, 'needs-approval', 'the settle pass is not cancelled');
});

test('a removal an approval held that a new halt no longer plans is audited as not done', async () => {
  const { store, hub, pass, inGroup } = await setup();
  await inGroup([3, 4, 5, 6, 7]);
  assert.equal((await pass('settle')).status, 'needs-approval');
  await inGroup([2, 4, 5, 6, 7]); // p2 back, p3 leaves
  assert.equal((await pass('settle')).status, 'needs-approval');
  const trail = (await collect(store.list('audit', hub.id))).filter((e) => e.subject?.email === 'p2@example.com').map((e) => `${e.outcome}: ${e.why}`);
  assert.equal(trail.at(-1)?.startsWith('skipped:'), true, trail.join('\n'));
  assert.match(trail.at(-1)!, /no longer planned/);
});

test("an approval a new halt supersedes gets its closing entry: its trail does not end at 'approval-requested' pending", async () => {
  const { store, hub, pass, inGroup } = await setup();
  await inGroup([3, 4, 5, 6, 7]);
  assert.equal((await pass('settle')).status, 'needs-approval');
  await inGroup([2, 4, 5, 6, 7]); // p2 back, p3 leaves: other removals, a new approval
  assert.equal((await pass('settle')).status, 'needs-approval');
  const approvals = await collect(store.list('approvals', hub.id));
  const old = approvals.find((a) => a.status === 'superseded')!;
  const next = approvals.find((a) => a.status === 'pending')!;
  assert.equal(old.supersededBy, next.id);
  const audit = await collect(store.list('audit', hub.id));
  const trail = audit.filter((e) => e.subject?.label === `approval ${old.id}`).sort((a, b) => a.seq - b.seq);
  assert.deepEqual(trail.map((e) => `${e.action} ${e.outcome}`), ['approval-requested pending', 'approval-superseded ok']);
  const closing = trail[1]!;
  assert.deepEqual(closing.trigger, { type: 'scim' }, 'who: the pass that halted again');
  assert.match(closing.why, new RegExp(`superseded by approval ${next.id}`));
  assert.deepEqual(closing.detail, { approvalId: old.id, supersededBy: next.id, dropped: 1, operations: 3 });
});
