import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { testHub } from '../grants/grant-fixtures.ts';
import { enqueueOperation } from '../tasks/operations/enqueue-operation.ts';
import { updateTask } from '../tasks/enqueue.ts';
import { inFlightKey, removalsInFlight } from './removal-in-flight.ts';
import { cancelInviteOperation, removeMemberOperation } from './removal.ts';

const hub = testHub();
const h = hub.id;
const NOW = '2026-12-06T12:00:00.000Z';
const why = (directoryUserId: string) => ({ reason: 'deactivated' as const, because: 'deactivated in the directory', directoryUserId });

test('a removal is in flight for its row and user while queued or running, in an open report, or held by a pending approval; not once ended, applied or decided', async () => {
  const store = new MemoryStore();
  await store.open();
  const queued = removeMemberOperation({ id: 'm-1', role: 'EMPLOYEE', email: 'a@x.com' }, why('u1'));
  const reported = removeMemberOperation({ id: 'm-2', role: 'EMPLOYEE', email: 'b@x.com' }, why('u2'));
  const held = cancelInviteOperation({ id: 'i-3', email: 'c@x.com' }, why('u3'));
  await store.transact(async (tx) => {
    await enqueueOperation(tx, { hub, op: queued, trigger: { type: 'scim' }, now: new Date(NOW) });
    tx.put('reports', h, 'r1', { id: 'r1', hubId: h, createdAt: NOW, status: 'open', items: [{ memberId: 'm-2', directoryUserId: 'u2', action: 'remove-member', reason: reported.summary }], operations: { 'm-2': reported } });
    tx.put('approvals', h, 'a1', { id: 'a1', hubId: h, createdAt: NOW, status: 'pending', explanation: 'x', operations: [], taskId: 't', planned: [held] });
  });
  const pairs = [{ rowId: 'm-1', directoryUserId: 'u1' }, { rowId: 'm-1', directoryUserId: 'u9' }, { rowId: 'm-2', directoryUserId: 'u2' }, { rowId: 'invite:i-3', directoryUserId: 'u3' }, { rowId: 'm-4', directoryUserId: 'u4' }];
  assert.deepEqual([...await removalsInFlight(store, h, pairs)].sort(), [inFlightKey('invite:i-3', 'u3'), inFlightKey('m-1', 'u1'), inFlightKey('m-2', 'u2')].sort());
  await store.transact(async (tx) => {
    for await (const t of tx.list('tasks', h)) await updateTask(tx, t, { status: 'completed' }, new Date(NOW));
    tx.put('reports', h, 'r1', { id: 'r1', hubId: h, createdAt: NOW, status: 'applied', items: [{ memberId: 'm-2', directoryUserId: 'u2', action: 'remove-member', reason: reported.summary, appliedAt: NOW }], operations: { 'm-2': reported } });
    tx.put('approvals', h, 'a1', { id: 'a1', hubId: h, createdAt: NOW, status: 'rejected', explanation: 'x', operations: [], taskId: 't', planned: [held] });
  });
  assert.deepEqual([...await removalsInFlight(store, h, pairs)], []);
});
