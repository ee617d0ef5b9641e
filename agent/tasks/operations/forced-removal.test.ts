import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppInviteRecord, ExemptionRecord } from '../../app-state/records.ts';
import { definePersonIndexes } from '../../plan/person-input.ts';
import { cancelInviteOperation, removeMemberOperation } from '../../plan/removal.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { exemptedSinceQueued } from './forced-removal.ts';

const NOW = new Date('2026-12-03T12:00:00Z');
const why = { reason: 'unassigned' as const, because: 'asked by owner@example.com' };
const exemption = (memberId: string, until?: string): ExemptionRecord => ({ hubId: 'h', memberId, reason: 'agency contact', by: 'owner@example.com', at: NOW.toISOString(), ...(until ? { until } : {}) });
const invite = (id: string): AppInviteRecord => ({ hubId: 'h', id, email: 'jane@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: NOW.toISOString() });

async function storeWith(put: (tx: import('../../store/store.ts').Transaction) => void): Promise<MemoryStore> {
  const store = new MemoryStore();
  definePersonIndexes(store);
  await store.transact(async (tx) => put(tx));
  return store;
}

test('a member exempted since the removal was queued is not removed; a lapsed exemption does not stop it', async () => {
  const op = removeMemberOperation({ id: 'm-1', role: 'EMPLOYEE', email: 'bob@example.com' }, why);
  const exempted = await storeWith((tx) => tx.put('exemptions', 'h', 'm-1', exemption('m-1')));
  assert.match((await exemptedSinceQueued(exempted, 'h', op, NOW)) ?? '', /exempted by owner@example.com/);
  const lapsed = await storeWith((tx) => tx.put('exemptions', 'h', 'm-1', exemption('m-1', '2026-12-01T00:00:00Z')));
  assert.equal(await exemptedSinceQueued(lapsed, 'h', op, NOW), undefined);
  assert.equal(await exemptedSinceQueued(await storeWith(() => {}), 'h', op, NOW), undefined);
});

test("an invite queued under its provisional row is not cancelled once its real row is exempted", async () => {
  const queued = cancelInviteOperation({ ...invite('pending:jane@example.com') }, why);
  const store = await storeWith((tx) => {
    tx.put('appInvites', 'h', '6100000000000001', invite('6100000000000001'));
    tx.put('exemptions', 'h', 'invite:6100000000000001', exemption('invite:6100000000000001'));
  });
  assert.match((await exemptedSinceQueued(store, 'h', queued, NOW)) ?? '', /since it was queued/);
});
