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
const LATER = '2026-12-06T12:00:05.000Z';
const why = (directoryUserId: string) => ({ reason: 'deactivated' as const, because: 'deactivated in the directory', directoryUserId });

test('a removal is in flight for its row and user while its task is queued or running, not once ended; an open report\'s item or a pending approval\'s removal is not (an owner has not decided it)', async () => {
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
  // The rehire's account, created after the removal was queued.
  await store.transact((tx) => tx.put('directoryUsers', h, 'u1-again', { hubId: h, id: 'u1-again', userName: 'a@x.com', active: true, email: 'a@x.com', emails: ['a@x.com'], scim: {}, created: LATER, lastModified: LATER, version: 1 } as never));
  const others = ['u1-again'];
  const pairs = [{ rowId: 'm-1', directoryUserId: 'u1', others }, { rowId: 'm-1', directoryUserId: 'u9', others }, { rowId: 'm-2', directoryUserId: 'u2', others }, { rowId: 'invite:i-3', directoryUserId: 'u3', others }, { rowId: 'm-4', directoryUserId: 'u4', others }];
  assert.deepEqual([...await removalsInFlight(store, h, pairs)], [inFlightKey('m-1', 'u1')]);
  await store.transact(async (tx) => {
    for await (const t of tx.list('tasks', h)) await updateTask(tx, t, { status: 'completed' }, new Date(NOW));
    tx.put('reports', h, 'r1', { id: 'r1', hubId: h, createdAt: NOW, status: 'applied', items: [{ memberId: 'm-2', directoryUserId: 'u2', action: 'remove-member', reason: reported.summary, appliedAt: NOW }], operations: { 'm-2': reported } });
    tx.put('approvals', h, 'a1', { id: 'a1', hubId: h, createdAt: NOW, status: 'rejected', explanation: 'x', operations: [], taskId: 't', planned: [held] });
  });
  assert.deepEqual([...await removalsInFlight(store, h, pairs)], []);
});

test('a removal queued after the other account with the email was created is not in flight: decided once the person was back, its re-check skips it', async () => {
  const store = new MemoryStore();
  await store.open();
  const op = removeMemberOperation({ id: 'm-1', role: 'EMPLOYEE', email: 'a@x.com' }, why('u1'));
  await store.transact(async (tx) => {
    tx.put('directoryUsers', h, 'u1-again', { hubId: h, id: 'u1-again', userName: 'a@x.com', active: true, email: 'a@x.com', emails: ['a@x.com'], scim: {}, created: NOW, lastModified: NOW, version: 1 } as never);
    await enqueueOperation(tx, { hub, op, trigger: { type: 'admin' }, now: new Date(LATER) });
  });
  assert.deepEqual([...await removalsInFlight(store, h, [{ rowId: 'm-1', directoryUserId: 'u1', others: ['u1-again'] }])], []);
  // An account whose record is gone, or has no creation time, counts as later: the removal goes on.
  assert.deepEqual([...await removalsInFlight(store, h, [{ rowId: 'm-1', directoryUserId: 'u1', others: ['u-unknown'] }])], [inFlightKey('m-1', 'u1')]);
});
