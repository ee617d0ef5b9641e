import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { testHub } from '../grants/grant-fixtures.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import type { TaskContext } from '../tasks/handler.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import { applyOutcome } from '../tasks/task-transitions.ts';
import { offboardHandler } from './offboard.ts';

const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();

/**
 * One person (lou@example.com) on two hubs of one hubwarden, whose apps happen to give her seat
 * the same member id. An owner of hub A exempted it there; hub B has no exemption. Her offboarding
 * keeps hub A's seat (the exemption) and removes hub B's: the exemption is hub A's decision only.
 */
test("an exemption on one hub holds the leaver's seat there only: the same seat id on another hub is removed", async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  const a = testHub({ id: 'meta-a' });
  const b = testHub({ id: 'meta-b', meta: { businessId: '9999999999' } });
  await store.transact((tx) => {
    for (const hub of [a, b]) {
      tx.put('appMembers', hub.id, 'boss', { hubId: hub.id, id: 'boss', email: 'boss@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
      tx.put('appMembers', hub.id, 'm-1', { hubId: hub.id, id: 'm-1', email: 'lou@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
      tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
    }
    tx.put('exemptions', a.id, 'm-1', { hubId: a.id, memberId: 'm-1', email: 'lou@example.com', reason: 'agency contract', by: 'owner-a', at });
    tx.put('memberMatches', a.id, 'm-1', { hubId: a.id, memberId: 'm-1', outcome: 'exempted', manual: true, at });
  });
  const task = await store.transact((tx) => enqueueTask(tx, { hubId: '', kind: 'offboard', payload: { email: 'lou@example.com' }, idempotencyKey: 'offboard:lou@example.com', trigger: { type: 'admin', actor: 'hr' }, summary: 'offboard lou', now: NOW }));
  const ctx = { store, now: () => NOW, audit: () => {}, interrupted: false } as unknown as TaskContext;
  const running = { ...task, status: 'running' as const, attempts: 1 };
  const outcome = await offboardHandler(() => new Map([[a.id, a], [b.id, b]])).run(running, ctx);
  await store.transact((tx) => applyOutcome(tx, running, outcome, NOW));
  const removals = async (hubId: string) => (await collect(store.list('tasks', hubId))).filter((t) => t.kind === 'remove-member').map((t) => (t.payload as { op: { memberId: string } }).op.memberId);
  assert.deepEqual(await removals(b.id), ['m-1'], "hub B's seat is removed");
  assert.deepEqual(await removals(a.id), [], "hub A's exempted seat is kept");
  const held = (outcome as { result?: { held?: Array<{ hubId: string; memberId: string }> } }).result?.held ?? [];
  assert.deepEqual(held.map((h) => [h.hubId, h.memberId]), [[a.id, 'm-1']], JSON.stringify(outcome));
});
