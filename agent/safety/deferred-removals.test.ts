import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testHub, testUser } from '../grants/grant-fixtures.ts';
import type { Operation } from '../plan/operation.ts';
import { collect } from '../store/store.ts';
import { removalPass, removalStore } from './test-removal-pass.ts';
import { noteDeferred } from './deferred-removals.ts';

const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();

/**
 * Removals an operation task deferred to a removal pass (audited `pending`, operation-handler.ts):
 * the pass closes each one's trail. One it no longer plans gets a `skipped` entry naming the
 * pending entry's task; one it plans is queued (its task audits what became of it); one now in
 * the other lane waits for that pass. (The end-to-end case: test/agent-e2e/settle-dormant-removal.test.ts.)
 */
test('a removal pass closes the pending entries of the removals deferred to it', async () => {
  const store = removalStore();
  const hub = testHub({ safety: { removalThresholdPercent: 20, removalWindowMinutes: 60, confirmDeprovisioning: false } });
  const removal = (i: number): Operation => ({ kind: 'remove-member', key: `remove:m-${i}`, memberId: `m-${i}`, role: 'EMPLOYEE', email: `p${i}@example.com`, directoryUserId: `u-${i}`,
    effect: 'removal', reason: 'unassigned', summary: `remove p${i}@example.com` });
  await store.transact((tx) => {
    for (let i = 0; i < 8; i++) {
      // p2 is deactivated since: a deprovisioning removal now.
      tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`, i !== 2));
      tx.put('appMembers', hub.id, `m-${i}`, { hubId: hub.id, id: `m-${i}`, email: `p${i}@example.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    }
    // p0 is back in the team, p1 is not.
    tx.put('directoryGroups', hub.id, 'g1', { hubId: hub.id, id: 'g1', displayName: 'Meta Advertisers', members: [0, 2, 3, 4, 5, 6, 7].map((i) => ({ value: `u-${i}` })), scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appMembers', hub.id, 'm-admin', { hubId: hub.id, id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-x', { hubId: hub.id, id: 'm-x', email: 'other@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
    for (const i of [0, 1, 2]) noteDeferred(tx, hub.id, 'settle', removal(i), `t-${i}`, NOW);
  });
  let n = 0;
  const pass = (phase: 'settle' | 'deprovision') => removalPass(store, hub, phase, `apply-removals:${phase}:${n++}`, NOW);
  const trail = async (email: string) => (await collect(store.list('audit', hub.id))).filter((e) => e.subject?.email === email);
  const notes = async () => (await collect(store.list('deferredNotes', hub.id))).map((d) => `${d.key} ${d.phase}`).sort();
  const queued = async () => (await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'remove-member').map((t) => t.idempotencyKey).sort();

  await pass('settle');
  const [closed, ...more] = await trail('p0@example.com');
  assert.equal(more.length, 0);
  assert.equal(closed?.outcome, 'skipped');
  assert.equal(closed?.action, 'remove-member');
  assert.match(closed!.why, /^remove p0@example\.com: not done, no longer planned: p0@example\.com is again in Meta Advertisers \(pending since task t-0\)$/);
  assert.equal(closed?.detail?.pendingTaskId, 't-0');
  assert.deepEqual(await trail('p1@example.com'), [], 'still planned: queued, and its task audits it');
  assert.deepEqual(await queued(), ['op:remove:m-1']);
  assert.deepEqual(await notes(), ['remove:m-2 deprovision'], 'p2\'s removal now waits for the deprovisioning pass');
  const next = (await collect(store.list('tasks', hub.id))).find((t) => t.idempotencyKey === 'apply-removals:deprovision');
  assert.ok(next && (next.status === 'queued' || next.status === 'waiting'), 'and that pass is scheduled, not left to a later change');

  assert.equal((await pass('deprovision')).status, 'completed', '2 of 10 members: within the threshold');
  assert.deepEqual(await notes(), []);
  assert.deepEqual(await queued(), ['op:remove:m-1', 'op:remove:m-2']);
  assert.deepEqual(await trail('p2@example.com'), []);
});

/**
 * A note its operation task wrote after the pass had begun planning (the pass was running when
 * the task deferred to it): that plan may predate what made the task defer, so the pass leaves
 * the note to the next one (the task made sure of it) instead of closing the trail as "no longer planned".
 */
test('a pass leaves a note written after it began planning to the next pass', async () => {
  const store = removalStore();
  const hub = testHub({ safety: { removalThresholdPercent: 50, removalWindowMinutes: 60, confirmDeprovisioning: false } });
  const op: Operation = { kind: 'remove-member', key: 'remove:m-0', memberId: 'm-0', role: 'EMPLOYEE', email: 'p0@example.com', directoryUserId: 'u-0', effect: 'removal', reason: 'unassigned', summary: 'remove p0@example.com' };
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-0', testUser('u-0', 'p0@example.com', true));
    tx.put('directoryGroups', hub.id, 'g1', { hubId: hub.id, id: 'g1', displayName: 'Meta Advertisers', members: [{ value: 'u-0' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appMembers', hub.id, 'm-0', { hubId: hub.id, id: 'm-0', email: 'p0@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-admin', { hubId: hub.id, id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
    noteDeferred(tx, hub.id, 'settle', op, 't-0', new Date(NOW.getTime() + 1_000));
  });
  let n = 0;
  const pass = (now: Date) => removalPass(store, hub, 'settle', `apply-removals:settle:${n++}`, now);
  const trail = async () => (await collect(store.list('audit', hub.id))).filter((e) => e.subject?.email === 'p0@example.com').map((e) => e.outcome);
  await pass(NOW);
  assert.deepEqual(await trail(), []);
  assert.equal((await store.get('deferredNotes', hub.id, 'remove:m-0'))?.taskId, 't-0');
  await pass(new Date(NOW.getTime() + 2_000));
  assert.deepEqual(await trail(), ['skipped']);
  assert.equal(await store.get('deferredNotes', hub.id, 'remove:m-0'), undefined);
});
