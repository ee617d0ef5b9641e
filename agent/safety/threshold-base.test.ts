import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testHub, testUser } from '../grants/grant-fixtures.ts';
import { collect } from '../store/store.ts';
import { removalPass, removalStore } from './test-removal-pass.ts';
import { exceedsRemovalThreshold } from './classify.ts';
import { removeMemberOperation } from '../plan/removal.ts';

const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();
const removal = (id: string) => removeMemberOperation({ id, role: 'EMPLOYEE', email: `${id}@example.com` }, { reason: 'deactivated', because: 'deactivated in the directory' });

/**
 * Removals the threshold let through may not have run yet (a rate limit, Meta down): the members
 * are still listed. Counted as gone from the member count as well, a hub of 10 lost 6 (60 %)
 * under a 50 % threshold: 5 let through by the settle pass, then 1 deactivation judged 6 of 15.
 */
test('removals let through but not yet run are counted once, against the members there are', async () => {
  const store = removalStore();
  const hub = testHub({ safety: { removalThresholdPercent: 50, removalWindowMinutes: 60, confirmDeprovisioning: false, settleSeconds: 0 } });
  await store.transact((tx) => {
    const group: Array<{ value: string }> = [];
    for (let i = 0; i < 6; i++) {
      tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`, true));
      group.push({ value: `u-${i}` });
      tx.put('appMembers', hub.id, `m-${i}`, { hubId: hub.id, id: `m-${i}`, email: `p${i}@example.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    }
    tx.put('directoryGroups', hub.id, 'g1', { hubId: hub.id, id: 'g1', displayName: 'Meta Advertisers', members: group, scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appMembers', hub.id, 'm-admin', { hubId: hub.id, id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    for (let i = 0; i < 3; i++) tx.put('appMembers', hub.id, `m-x${i}`, { hubId: hub.id, id: `m-x${i}`, email: `other${i}@example.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const pass = (phase: 'settle' | 'deprovision', key: string) => removalPass(store, hub, phase, key, NOW);
  // 5 of the 10 members leave the team (settle: 50 %, at the threshold, let through); their
  // removals are queued, not run yet.
  await store.transact(async (tx) => {
    const g = (await tx.get('directoryGroups', hub.id, 'g1'))!;
    tx.put('directoryGroups', hub.id, 'g1', { ...g, members: [{ value: 'u-5' }] });
  });
  assert.equal((await pass('settle', 'apply-removals:settle')).status, 'completed');
  const removals = () => collect(store.list('tasks', hub.id)).then((ts) => ts.filter((t) => t.kind === 'remove-member').length);
  assert.equal(await removals(), 5);
  // Then one more is deactivated: 6 of the 10 would go.
  await store.transact((tx) => tx.put('directoryUsers', hub.id, 'u-5', testUser('u-5', 'p5@example.com', false)));
  const second = await pass('deprovision', 'apply-removals:deprovision');
  assert.equal(second.status, 'needs-approval', `6 of 10 members is more than 50 %: ${JSON.stringify(second.result)}`);
  assert.equal(await removals(), 5, 'the sixth removal waits for an owner');
  assert.match(String((second.result as { explanation: string }).explanation), /6 of 10: 60\.0%/);
});

test('a member let through earlier and planned again counts once', () => {
  // 20 members, 2 let through and still listed; this pass plans those 2 again and 1 more: 3 of 20.
  const earlier = { memberIds: new Set(['m-1', 'm-2']), unnamed: 0, stillListed: 2 };
  const judged = exceedsRemovalThreshold([removal('m-1'), removal('m-2'), removal('m-3')], 20, 20, earlier);
  assert.deepEqual({ exceeds: judged.exceeds, removals: judged.removals, share: judged.share }, { exceeds: false, removals: 1, share: 15 });
  // Once they ran (no longer listed), the same 3 of the 20 there were.
  assert.equal(exceedsRemovalThreshold([removal('m-3')], 18, 20, { ...earlier, stillListed: 0 }).share, 15);
});
