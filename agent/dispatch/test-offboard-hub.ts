/**
 * A hub whose offboardings run as the task runner runs them (offboard.ts, `safety.offboards`), for
 * the offboarding brake's tests (dispatch/offboard-brake.test.ts, test/admin/approval-superseded.test.ts).
 */
import assert from 'node:assert/strict';
import { createAgentApi } from '../agent-api.ts';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { testGroup, testHub, testUser } from '../grants/grant-fixtures.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { defineHeldIndexes } from '../safety/held-indexes.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import type { TaskContext } from '../tasks/handler.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import { applyOutcome } from '../tasks/task-transitions.ts';
import { offboardHandler } from './offboard.ts';

export const NOW = new Date('2026-12-04T01:00:00Z');
export const at = NOW.toISOString();
export const owner: Trigger = { type: 'admin', actor: 'owner@example.com' };

/** A hub of `people` members (an admin and `people - 1` others, each a directory user), with `offboards` set. */
export async function hubOf(people: number, offboards?: 'immediate' | 'threshold', confirmDeprovisioning = true) {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  defineHeldIndexes(store);
  const hub = testHub({ safety: { removalThresholdPercent: 20, removalWindowMinutes: 60, confirmDeprovisioning, settleSeconds: 0, ...(offboards ? { offboards } : {}) } });
  await store.transact((tx) => {
    tx.put('appMembers', hub.id, 'm-admin', { hubId: hub.id, id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    for (let i = 0; i < people - 1; i++) {
      tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`));
      tx.put('appMembers', hub.id, `m-${i}`, { hubId: hub.id, id: `m-${i}`, email: `p${i}@example.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    }
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', 'Meta Advertisers', Array.from({ length: people - 1 }, (_, i) => `u-${i}`), at));
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const handler = offboardHandler(() => new Map([[hub.id, hub]]));
  const ctx = { store, now: () => NOW, audit: () => {}, interrupted: false } as unknown as TaskContext;
  /** Runs the offboarding task as the runner does (a second run when it is queued again). */
  const run = async (task: TaskRecord) => {
    const running = { ...task, status: 'running' as const, attempts: task.attempts + 1 };
    return store.transact(async (tx) => applyOutcome(tx, running, await handler.run(running, ctx), NOW));
  };
  const offboard = async (email: string) => run(await store.transact((tx) => enqueueTask(tx, { kind: 'offboard', payload: { email }, idempotencyKey: `offboard:${email}`, summary: `offboard ${email}`, trigger: owner, now: NOW })));
  const removals = async () => (await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'remove-member').map((t) => t.idempotencyKey).sort();
  const api = createAgentApi({ store, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => NOW.getTime() });
  return { store, hub, offboard, run, removals, api };
}

/**
 * A leaver (u-old) the IdP deleted at 2026-06-01 (SCIM DELETE, RFC 7644 §3.6: only the
 * departedUsers record is left) and a user with their email created `created` (u-new, active,
 * externalId obj-new) holding the seat m-ann (dispatch/offboard-departed.test.ts, test/admin/offboard-departed.test.ts).
 * `oldCreated`: when u-old was created, kept on the record; without it the record is one written
 * before that was kept.
 */
export async function recreated(created = '2026-09-01T00:00:00Z', oldCreated?: string) {
  const h = await hubOf(1, 'immediate', false);
  await h.store.transact((tx) => {
    tx.put('departedUsers', h.hub.id, 'u-old', { hubId: h.hub.id, directoryUserId: 'u-old', userName: 'ann@example.com', emails: ['ann@example.com'], at: '2026-06-01T00:00:00Z', ...(oldCreated ? { created: oldCreated } : {}) });
    tx.put('directoryUsers', h.hub.id, 'u-new', { ...testUser('u-new', 'ann@example.com'), created, externalId: 'obj-new' });
    tx.put('appMembers', h.hub.id, 'm-ann', { hubId: h.hub.id, id: 'm-ann', email: 'ann@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('memberMatches', h.hub.id, 'm-ann', { hubId: h.hub.id, memberId: 'm-ann', outcome: 'onboarded', manual: false, directoryUserId: 'u-new', at });
  });
  return h;
}

/**
 * A hub-scoped admin token and an every-hub token are two offboardings of the same person (their
 * tasks are keyed apart, agent-api.ts). Each halted with an approval of its own for the same seat:
 * an owner saw two, and approving both ran the removal twice. The second joins the first's.
 */
export async function twoTokens(people: number) {
  const h = await hubOf(people, 'threshold');
  const scoped: Trigger = { type: 'admin', actor: 'admin-token:portal', hubs: [h.hub.id] };
  const everyHub: Trigger = { type: 'admin', actor: 'admin-token:okta-workflows' };
  const offboardAs = async (email: string, trigger: Trigger) => h.run(await h.store.transact((tx) => enqueueTask(tx, {
    kind: 'offboard', payload: { email }, idempotencyKey: `offboard:${email}${trigger.hubs ? `#hubs=${trigger.hubs.join(',')}` : ':every'}`, summary: `offboard ${email}`, trigger, now: NOW,
  })));
  // 2 of 10 go at once; a third person would be 3 of 10 (30 %), past 20 %.
  assert.equal((await h.offboard('p0@example.com')).status, 'waiting');
  assert.equal((await h.offboard('p1@example.com')).status, 'waiting');
  return { ...h, scoped, everyHub, offboardAs };
}
export const haltedOn = (t: TaskRecord) => (t.result as { halted: Array<{ approvalId: string }> }).halted.map((x) => x.approvalId);

