import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testHub } from '../grants/grant-fixtures.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import { offboardOperations } from './offboard.ts';

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
