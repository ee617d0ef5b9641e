import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BRAKE_SAFETY, removalPass, removalStore } from './test-removal-pass.ts';
import { completeImport, testGroup, testHub, testSeat, testUser } from '../grants/grant-fixtures.ts';
import { collect } from '../store/store.ts';

const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();

/**
 * Three of ten leave the advertisers' team (30 %): their removals are held for an owner. Before
 * anyone decides, a check for updates reads the app through a credential that no longer sees every
 * member: the plan holds every removal (nothing is removed on an incomplete listing), so the next
 * pass plans none. That is no sign the cause went away: the approval stays pending, and no held
 * person's trail is closed "no longer planned" (withdraw-approval.ts). Before, it was withdrawn,
 * and the next complete check asked an owner afresh for the same three removals.
 */
test('a pass whose plan holds back the approval\'s removals (an incomplete listing) leaves it pending', async () => {
  const store = removalStore();
  const hub = testHub({ safety: BRAKE_SAFETY });
  await store.transact((tx) => {
    for (let i = 0; i < 8; i++) {
      tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`, true));
      tx.put('appMembers', hub.id, `m-${i}`, testSeat(`m-${i}`, `p${i}@example.com`, 'EMPLOYEE', at));
    }
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', 'Meta Advertisers', [3, 4, 5, 6, 7].map((i) => `u-${i}`), at));
    tx.put('appMembers', hub.id, 'm-admin', testSeat('m-admin', 'owner@example.com', 'ADMIN', at));
    tx.put('appMembers', hub.id, 'm-x', testSeat('m-x', 'other@example.com', 'EMPLOYEE', at));
    tx.put('appImports', hub.id, hub.id, completeImport(at));
  });
  assert.equal((await removalPass(store, hub, 'settle', 'pass-1', NOW)).status, 'needs-approval');
  const [held] = await collect(store.list('approvals', hub.id));

  await store.transact((tx) => tx.put('appImports', hub.id, hub.id, { ...completeImport(at), complete: false, unavailable: [{ section: 'members', message: 'the credential does not see every member' }] }));
  assert.equal((await removalPass(store, hub, 'settle', 'pass-2', new Date(NOW.getTime() + 60_000))).status, 'completed', 'nothing to remove on an incomplete listing');

  const approvals = await collect(store.list('approvals', hub.id));
  assert.deepEqual(approvals.map((a) => [a.id, a.status]), [[held!.id, 'pending']], 'still pending: the plan holds its removals, it did not drop them');
  assert.equal((await store.get('tasks', hub.id, held!.taskId))?.status, 'needs-approval');
  const audit = await collect(store.list('audit', hub.id));
  assert.deepEqual(audit.filter((e) => e.action === 'approval-withdrawn' || /no longer planned/.test(e.why)).map((e) => e.why), []);
});
