import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { testHub, testUser } from '../grants/grant-fixtures.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { defineHeldIndexes } from '../safety/held-indexes.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import type { TaskContext } from '../tasks/handler.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import { applyOutcome } from '../tasks/task-transitions.ts';
import { offboardHandler } from './offboard.ts';

const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();

/**
 * An Okta event hook's `user.lifecycle.deactivate` offboards the person. Without
 * confirmDeprovisioning it removes at once, but it is the IdP's deactivation all the same: the
 * same deactivations pushed over SCIM halt at removalThresholdPercent (apply-removals.ts). Each
 * hook offboarding forced its removals through on its own, so a mass deactivation in Okta removed
 * every seat, one person at a time, and the threshold never saw it.
 */
test("an Okta event hook's deactivations are judged by the removal threshold: past it, they wait in the report", async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  defineHeldIndexes(store); // the offboarding adds past-threshold removals to the hub's open report
  const hub = testHub({ safety: { removalThresholdPercent: 20, removalWindowMinutes: 60, confirmDeprovisioning: false, settleSeconds: 0 } });
  await store.transact((tx) => {
    tx.put('appMembers', hub.id, 'm-admin', { hubId: hub.id, id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    for (let i = 0; i < 9; i++) {
      tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`, false));
      tx.put('appMembers', hub.id, `m-${i}`, { hubId: hub.id, id: `m-${i}`, email: `p${i}@example.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    }
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const handler = offboardHandler(() => new Map([[hub.id, hub]]));
  const offboard = async (email: string, trigger: Trigger) => {
    const task = await store.transact((tx) => enqueueTask(tx, { hubId: '', kind: 'offboard', payload: { email }, idempotencyKey: `offboard:${email}:${trigger.type}`, summary: `offboard ${email}`, trigger, now: NOW }));
    const ctx = { store, now: () => NOW, audit: () => {}, interrupted: false } as unknown as TaskContext;
    const outcome = await handler.run({ ...task, status: 'running', attempts: 1 }, ctx);
    return store.transact((tx) => applyOutcome(tx, { ...task, status: 'running', attempts: 1 }, outcome, NOW));
  };
  const hook: Trigger = { type: 'okta-event-hook', idp: 'okta', detail: 'user.lifecycle.deactivate' };
  const removals = async () => (await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'remove-member').map((t) => t.idempotencyKey).sort();

  // Two of the ten members (20 %, at the threshold) go at once.
  assert.equal((await offboard('p0@example.com', hook)).status, 'waiting');
  assert.equal((await offboard('p1@example.com', hook)).status, 'waiting');
  assert.deepEqual(await removals(), ['op:remove:m-0', 'op:remove:m-1']);

  // A third within the window would be 3 of 10: held for an owner in the deprovisioning report.
  const third = await offboard('p2@example.com', hook);
  assert.equal(third.status, 'completed', 'no removal queued: nothing to wait for');
  assert.deepEqual(await removals(), ['op:remove:m-0', 'op:remove:m-1'], 'the third removal is not queued');
  const [report] = await collect(store.list('reports', hub.id));
  assert.deepEqual(report?.items.map((i) => i.memberId), ['m-2']);
  const audit = await collect(store.list('audit', hub.id));
  assert.ok(audit.some((e) => e.action === 'offboard' && e.subject?.memberId === 'm-2' && /more than removalThresholdPercent 20%.*deprovisioning report/.test(e.why)),
    'the held removal is audited in the seat\'s trail with why');
  assert.ok(audit.some((e) => e.action === 'offboard' && e.subject?.memberId === 'm-0' && e.outcome === 'pending'), 'those let through are audited too');

  // An explicit leaver action is an owner's decision: no threshold (docs/okta-workflows.md).
  assert.equal((await offboard('p3@example.com', { type: 'admin', actor: 'owner@example.com' })).status, 'waiting');
  assert.deepEqual(await removals(), ['op:remove:m-0', 'op:remove:m-1', 'op:remove:m-3']);
});
