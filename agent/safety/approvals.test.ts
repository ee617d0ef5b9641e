import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeMemberOperation } from '../plan/removal.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { pendingApprovalOf, requestApproval } from './approvals.ts';
import { defineHeldIndexes } from './held-indexes.ts';

const NOW = new Date('2026-12-03T12:00:00Z');
const removal = (id: string) => removeMemberOperation({ id, role: 'EMPLOYEE', email: `${id}@example.com` }, { reason: 'deactivated', because: 'deactivated in the directory' });

test('a plan halting again with the same operations refreshes the approval; with others, the old one is superseded', async () => {
  const store = new MemoryStore();
  defineHeldIndexes(store);
  const ask = (planned: ReturnType<typeof removal>[], taskId: string) =>
    store.transact((tx) => requestApproval(tx, { hubId: 'h', explanation: `remove ${planned.length}`, planned, taskId, now: NOW }));
  const first = (await ask([removal('m-1'), removal('m-2')], 't-1')).approval;
  const again = (await ask([removal('m-2'), removal('m-1')], 't-2')).approval;
  assert.equal(again.id, first.id, 'the same operations: the owner is still approving what they saw');
  const other = (await ask([removal('m-3')], 't-3')).approval;
  assert.notEqual(other.id, first.id);
  const old = await store.get('approvals', 'h', first.id);
  assert.equal(old?.status, 'superseded');
  assert.equal(old?.supersededBy, other.id);
  assert.deepEqual(old?.planned.map((o) => o.key).sort(), ['remove:m-1', 'remove:m-2'], 'what the owner saw is kept as it was');
  assert.equal((await pendingApprovalOf(store, 'h'))?.id, other.id, 'one pending approval per hub');
});
