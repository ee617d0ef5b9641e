import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testHub } from '../grants/grant-fixtures.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import { offboardHandler, offboardOperations } from './offboard.ts';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import type { TaskContext } from '../tasks/handler.ts';

const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();

test("offboarding an admin while the other admin's removal is queued holds the seat: the business keeps an admin", async () => {
  const store = new MemoryStore();
  definePersonIndexes(store);
  const hub = testHub();
  await store.transact((tx) => {
    tx.put('appMembers', hub.id, 'a1', { hubId: hub.id, id: 'a1', email: 'ann@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'a2', { hubId: hub.id, id: 'a2', email: 'ben@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const alone = await offboardOperations(store, hub, ['ann@example.com'], undefined, NOW);
  assert.deepEqual(alone.operations.map((o) => o.key), ['remove:a1'], 'one of two admins may go');
  // An owner asked to remove Ben: queued (or running), not yet done.
  await store.transact((tx) => enqueueTask(tx, { hubId: hub.id, kind: 'remove-member', payload: {}, idempotencyKey: 'op:remove:a2', trigger: { type: 'admin', actor: 'owner' }, summary: 'remove ben', now: NOW }));
  const { operations, held } = await offboardOperations(store, hub, ['ann@example.com'], undefined, NOW);
  assert.deepEqual(operations, []);
  assert.deepEqual(held.map((x) => [x.operation.key, x.why]), [['remove:a1', 'the last admin of the business is never removed or demoted']]);
});

test("offboarding by email leaves rows whose match says they are someone else's: a guest, an owner's un-match, a dispute, another user's seat", async () => {
  const store = new MemoryStore();
  definePersonIndexes(store);
  const hub = testHub();
  const member = (id: string, email: string) => ({ hubId: hub.id, id, email, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
  await store.transact((tx) => {
    tx.put('appMembers', hub.id, 'boss', { ...member('boss', 'boss@example.com'), role: 'ADMIN' });
    tx.put('appMembers', hub.id, 'm-own', member('m-own', 'sam@example.com'));
    tx.put('appMembers', hub.id, 'm-guest', member('m-guest', 'sam@agency.example'));
    tx.put('appMembers', hub.id, 'm-recycled', member('m-recycled', 'sam.old@example.com'));
    tx.put('appMembers', hub.id, 'm-disputed', member('m-disputed', 'sales@example.com'));
    tx.put('appMembers', hub.id, 'm-kim', member('m-kim', 'sam.k@example.com'));
    tx.put('appMembers', hub.id, 'm-gone', member('m-gone', 'sam.prev@example.com'));
    tx.put('directoryUsers', hub.id, 'u-kim', { hubId: hub.id, id: 'u-kim', userName: 'kim@example.com', active: true, emails: ['kim@example.com'], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('memberMatches', hub.id, 'm-own', { hubId: hub.id, memberId: 'm-own', outcome: 'onboarded', manual: false, directoryUserId: 'u-sam', at });
    tx.put('memberMatches', hub.id, 'm-guest', { hubId: hub.id, memberId: 'm-guest', outcome: 'guest', manual: false, at });
    tx.put('memberMatches', hub.id, 'm-recycled', { hubId: hub.id, memberId: 'm-recycled', outcome: 'unmatched', manual: true, at });
    tx.put('memberMatches', hub.id, 'm-disputed', { hubId: hub.id, memberId: 'm-disputed', outcome: 'unmatched', manual: false, candidates: ['u-sam', 'u-kim'], at });
    tx.put('memberMatches', hub.id, 'm-kim', { hubId: hub.id, memberId: 'm-kim', outcome: 'onboarded', manual: true, directoryUserId: 'u-kim', at });
    // Matched to a user the IdP deleted: a leaver's seat as before.
    tx.put('memberMatches', hub.id, 'm-gone', { hubId: hub.id, memberId: 'm-gone', outcome: 'onboarded', manual: false, directoryUserId: 'u-deleted', at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const emails = ['sam@example.com', 'sam@agency.example', 'sam.old@example.com', 'sales@example.com', 'sam.k@example.com', 'sam.prev@example.com'];
  for (const who of ['u-sam', undefined]) {
    const { operations, held } = await offboardOperations(store, hub, emails, who, NOW);
    assert.deepEqual(operations.map((o) => o.key).sort(), ['remove:m-gone', 'remove:m-own'], `only the leaver's seats go (${who ?? 'by email only'})`);
    assert.deepEqual(held.map((h) => h.operation.key).sort(), ['remove:m-disputed', 'remove:m-guest', 'remove:m-kim', 'remove:m-recycled'], 'the others are held, with why (audited)');
    assert.match(held.find((h) => h.operation.key === 'remove:m-kim')!.why, /matched to directory user u-kim/);
  }
});

/**
 * A leaver workflow waits on the offboarding task, and "completed" tells it the person is
 * offboarded. A seat a rule kept (here: no complete listing of the app yet) stays in place: the
 * task's result says which and why (docs/okta-workflows.md), not only the audit log.
 */
test('an offboarding whose removal a rule holds says so in its result', async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  const hub = testHub();
  await store.transact((tx) => {
    tx.put('appMembers', hub.id, 'boss', { hubId: hub.id, id: 'boss', email: 'boss@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-1', { hubId: hub.id, id: 'm-1', email: 'lou@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    // No complete check for updates yet.
  });
  const task = await store.transact((tx) => enqueueTask(tx, { hubId: '', kind: 'offboard', payload: { email: 'lou@example.com' }, idempotencyKey: 'offboard:lou@example.com', trigger: { type: 'admin', actor: 'owner' }, summary: 'offboard lou', now: NOW }));
  const ctx = { store, now: () => NOW, audit: () => {}, interrupted: false } as unknown as TaskContext;
  const outcome = await offboardHandler(() => new Map([[hub.id, hub]])).run({ ...task, status: 'running', attempts: 1 }, ctx);
  assert.equal(outcome.status, 'completed');
  const held = (outcome as { result: { held?: Array<{ hubId: string; memberId: string; why: string }> } }).result.held;
  assert.deepEqual(held?.map((h) => [h.hubId, h.memberId]), [[hub.id, 'm-1']]);
  assert.match(held![0]!.why, /listing is incomplete/);
});

test('offboarding by email finds a seat the app lists under that email with surrounding whitespace or another case', async () => {
  const store = new MemoryStore();
  definePersonIndexes(store);
  const hub = testHub();
  await store.transact((tx) => {
    tx.put('appMembers', hub.id, 'boss', { hubId: hub.id, id: 'boss', email: 'boss@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    // As an app may list it (TikTok's `user_email` is stored as listed).
    tx.put('appMembers', hub.id, 'm-ann', { hubId: hub.id, id: 'm-ann', email: ' Ann@Example.com ', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appInvites', hub.id, 'i-ann', { hubId: hub.id, id: 'i-ann', email: 'ANN@example.com ', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const { operations } = await offboardOperations(store, hub, ['ann@example.com'], undefined, NOW);
  assert.deepEqual(operations.map((o) => o.key).sort(), ['cancel:i-ann', 'remove:m-ann'].sort());
});
