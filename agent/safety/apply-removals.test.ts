import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeImport, testGroup, testHub, testSeat, testUser } from '../grants/grant-fixtures.ts';
import { collect } from '../store/store.ts';
import type { TaskContext } from '../tasks/handler.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import { applyOutcome } from '../tasks/task-transitions.ts';
import { applyRemovalsHandler } from './apply-removals.ts';
import { recordRemovals } from './removal-window.ts';
import { removalStore } from './test-removal-pass.ts';

const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();

/**
 * Settle and deprovision passes run side by side. A pass judged the threshold with the window as
 * it read it; if the other pass let removals through before this one committed, committing the
 * stale judgement would let a mass deactivation through in two halves.
 */
test('a pass whose removal window changed before it committed judges the threshold again', async () => {
  const store = removalStore();
  const hub = testHub({ safety: { removalThresholdPercent: 20, removalWindowMinutes: 60, confirmDeprovisioning: false } });
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-bob', testUser('u-bob', 'bob@example.com', false));
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', 'Meta Advertisers', ['u-bob'], at));
    tx.put('appMembers', hub.id, 'm-admin', testSeat('m-admin', 'owner@example.com', 'ADMIN', at));
    tx.put('appMembers', hub.id, 'm-bob', testSeat('m-bob', 'bob@example.com', 'EMPLOYEE', at));
    for (let i = 0; i < 8; i++) tx.put('appMembers', hub.id, `m-${i}`, testSeat(`m-${i}`, `other${i}@example.com`, 'EMPLOYEE', at));
    tx.put('appImports', hub.id, hub.id, completeImport(at));
  });
  const task = await store.transact((tx) => enqueueTask(tx, { hubId: hub.id, kind: 'apply-removals', payload: { phase: 'deprovision' }, idempotencyKey: 'apply-removals:deprovision', summary: 'apply deprovisioning', trigger: { type: 'scim' }, now: NOW }));
  const ctx = { store, hub, now: () => NOW, audit: () => {}, interrupted: false } as unknown as TaskContext;

  // Alone, 1 removal of 10 members is 10 %: under the threshold.
  const outcome = await applyRemovalsHandler.run(task, ctx);
  assert.equal(outcome.status, 'completed');
  // Meanwhile the other phase's pass lets 2 removals through.
  await store.transact((tx) => recordRemovals(tx, hub.id, 2, NOW, 3_600_000));
  const next = await store.transact((tx) => applyOutcome(tx, { ...task, status: 'running', attempts: 1 }, outcome, NOW));
  assert.equal(next.status, 'waiting', 'the stale judgement is not committed: the pass runs again');
  const queued = (await collect(store.list('tasks', hub.id))).filter((t) => t.kind !== 'apply-removals');
  assert.deepEqual(queued.map((t) => t.kind), [], 'no removal was queued on the stale judgement');

  // Judged again with the 2 let through: 3 of 12 (25 %) halts for an owner.
  const again = await applyRemovalsHandler.run(next, ctx);
  assert.equal(again.status, 'needs-approval');
});

/**
 * A removal held back (here: no complete listing yet) is audited once per operation and reason per
 * day, as a reconcile audits it (the held notes are shared), not on every settle pass.
 */
test('a held removal is audited once a day, not on every pass', async () => {
  const store = removalStore();
  const hub = testHub({ safety: { confirmDeprovisioning: false } });
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-bob', testUser('u-bob', 'bob@example.com', false));
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', 'Meta Advertisers', ['u-bob'], at));
    tx.put('appMembers', hub.id, 'm-admin', testSeat('m-admin', 'owner@example.com', 'ADMIN', at));
    tx.put('appMembers', hub.id, 'm-bob', testSeat('m-bob', 'bob@example.com', 'EMPLOYEE', at));
    // No complete import: Bob's removal is held.
  });
  const buffered: unknown[] = [];
  const pass = async (n: number, now: Date) => {
    const task = await store.transact((tx) => enqueueTask(tx, { hubId: hub.id, kind: 'apply-removals', payload: { phase: 'deprovision' }, idempotencyKey: `apply-removals:deprovision:${n}`, summary: 'apply deprovisioning', trigger: { type: 'scim' }, now }));
    const ctx = { store, hub, now: () => now, audit: (e: unknown) => buffered.push(e), interrupted: false } as unknown as TaskContext;
    const outcome = await applyRemovalsHandler.run(task, ctx);
    await store.transact((tx) => applyOutcome(tx, { ...task, status: 'running', attempts: 1 }, outcome, now));
  };
  const heldEntries = async () => buffered.length + (await collect(store.list('audit', hub.id))).filter((e) => e.action === 'remove-member' && e.outcome === 'skipped').length;
  await pass(1, NOW);
  await pass(2, new Date(NOW.getTime() + 3_600_000));
  assert.equal(await heldEntries(), 1, 'the second pass within the day adds no entry');
  await pass(3, new Date(NOW.getTime() + 25 * 3_600_000));
  assert.equal(await heldEntries(), 2, 'a day later it is audited again');
  const [first] = (await collect(store.list('audit', hub.id))).filter((e) => e.outcome === 'skipped');
  assert.match(first!.why, /remove bob@example\.com.*held, the app listing is incomplete/);
});
