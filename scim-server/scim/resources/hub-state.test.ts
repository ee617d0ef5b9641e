import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryStore } from '../../../agent/store/memory-store.ts';
import { defineHubStateIndexes, hubStateOf } from './hub-state.ts';

describe('hub extension: the member\'s state in the hub app', () => {
  const at = '2026-01-01T00:00:00Z';
  const now = Date.parse('2026-06-01T00:00:00Z');

  async function storeWith(setup: Parameters<MemoryStore['transact']>[0]) {
    const store = new MemoryStore();
    defineHubStateIndexes(store);
    await store.transact(setup);
    return store;
  }

  test('no match: not in the hub', async () => {
    const store = await storeWith(() => undefined);
    assert.deepEqual(await hubStateOf(store, 'h', 'u1', now), { status: 'not_in_hub' });
  });

  test('onboarded member: status and app role; other hubs do not leak in', async () => {
    const store = await storeWith((tx) => {
      tx.put('appMembers', 'h', 'm1', { hubId: 'h', id: 'm1', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
      tx.put('memberMatches', 'h', 'm1', { hubId: 'h', memberId: 'm1', outcome: 'onboarded', directoryUserId: 'u1', manual: false, at });
    });
    assert.deepEqual(await hubStateOf(store, 'h', 'u1', now), { status: 'onboarded', appRole: 'ADMIN' });
    assert.deepEqual(await hubStateOf(store, 'other', 'u1', now), { status: 'not_in_hub' });
  });

  test('pending invite: role from the invite', async () => {
    const store = await storeWith((tx) => {
      tx.put('appInvites', 'h', 'i9', { hubId: 'h', id: 'i9', email: 'a@b.c', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
      tx.put('memberMatches', 'h', 'invite:i9', { hubId: 'h', memberId: 'invite:i9', outcome: 'onboarded', directoryUserId: 'u2', manual: false, at });
    });
    assert.deepEqual(await hubStateOf(store, 'h', 'u2', now), { status: 'pending_invite', appRole: 'EMPLOYEE' });
  });

  test('an open offer shows as offered until it expires; a seat wins over an offer', async () => {
    const offer = (u: string, expiresAt: string) => ({ id: `offer-${u}`, hubId: 'h', directoryUserId: u, group: 'Brand', appRole: 'EMPLOYEE', assets: [], status: 'offered' as const, offeredAt: at, expiresAt, membership: 'brand' });
    const store = await storeWith((tx) => {
      tx.put('offers', 'h', 'offer-u4', offer('u4', '2026-07-01T00:00:00Z'));
      tx.put('offers', 'h', 'offer-u1', offer('u1', '2026-07-01T00:00:00Z'));
      tx.put('appMembers', 'h', 'm1', { hubId: 'h', id: 'm1', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
      tx.put('memberMatches', 'h', 'm1', { hubId: 'h', memberId: 'm1', outcome: 'onboarded', directoryUserId: 'u1', manual: false, at });
    });
    assert.deepEqual(await hubStateOf(store, 'h', 'u4', now), { status: 'offered' });
    assert.deepEqual(await hubStateOf(store, 'h', 'u4', Date.parse('2026-08-01T00:00:00Z')), { status: 'not_in_hub' });
    assert.deepEqual(await hubStateOf(store, 'h', 'u1', now), { status: 'onboarded', appRole: 'ADMIN' });
  });

  test('a candidate of a row matching left disputed: unmatched, not not_in_hub (the seat may be theirs)', async () => {
    const store = await storeWith((tx) => {
      tx.put('appMembers', 'h', 'm1', { hubId: 'h', id: 'm1', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
      tx.put('memberMatches', 'h', 'm1', { hubId: 'h', memberId: 'm1', outcome: 'unmatched', manual: false, candidates: ['u1', 'u2'], at });
    });
    assert.deepEqual(await hubStateOf(store, 'h', 'u2', now), { status: 'unmatched' });
    assert.deepEqual(await hubStateOf(store, 'h', 'u3', now), { status: 'not_in_hub' });
    assert.deepEqual(await hubStateOf(store, 'other', 'u2', now), { status: 'not_in_hub' });
  });

  test('an exemption shows until it lapses', async () => {
    const store = await storeWith((tx) => {
      tx.put('appMembers', 'h', 'm3', { hubId: 'h', id: 'm3', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
      tx.put('memberMatches', 'h', 'm3', { hubId: 'h', memberId: 'm3', outcome: 'onboarded', directoryUserId: 'u3', manual: true, at });
      tx.put('exemptions', 'h', 'm3', { hubId: 'h', memberId: 'm3', reason: 'agency', until: '2026-03-01T00:00:00Z', by: 'owner', at });
    });
    assert.deepEqual(await hubStateOf(store, 'h', 'u3', Date.parse('2026-02-01T00:00:00Z')), { status: 'exempted', appRole: 'EMPLOYEE', exemption: { reason: 'agency', until: '2026-03-01T00:00:00Z' } });
    assert.deepEqual(await hubStateOf(store, 'h', 'u3', now), { status: 'onboarded', appRole: 'EMPLOYEE' });
  });
});
