import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../app-state/records.ts';
import '../../dispatch/departed-user.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { definePersonIndexes } from '../../plan/person-input.ts';
import { removeMemberOperation } from '../../plan/removal.ts';
import { recordInSnapshot } from './snapshot-update.ts';

const H = 'h1';
const T0 = '2026-11-01T00:00:00.000Z';
const now = new Date('2026-11-02T00:00:00.000Z');
const why = { reason: 'deleted' as const, because: 'deleted in the IdP', directoryUserId: 'u-max' };

test("a deleted user's record stays while another row matched to them remains, and goes with the last one", async () => {
  const s = new MemoryStore();
  definePersonIndexes(s);
  // Max was deleted as max.new@; two seats of his are still under older emails, matched to him.
  await s.transact((tx) => {
    tx.put('departedUsers', H, 'u-max', { hubId: H, directoryUserId: 'u-max', userName: 'max.new@example.com', emails: ['max.new@example.com'], at: T0 });
    for (const [id, email] of [['900', 'max@example.com'], ['901', 'max.old@example.com']]) {
      tx.put('appMembers', H, id, { hubId: H, id, email, role: 'EMPLOYEE', firstSeenAt: T0, lastSeenAt: T0 });
      tx.put('memberMatches', H, id, { hubId: H, memberId: id, outcome: 'onboarded', manual: false, directoryUserId: 'u-max', at: T0 });
    }
  });
  const remove = (id: string, email: string) => s.transact((tx) => recordInSnapshot(tx, H, removeMemberOperation({ id, role: 'EMPLOYEE', email }, why), { result: 'done' }, now));
  await remove('900', 'max@example.com');
  assert.ok(await s.get('departedUsers', H, 'u-max'), 'kept: seat 901 is still his, and matching keeps it his only while the record exists');
  await remove('901', 'max.old@example.com');
  assert.equal(await s.get('departedUsers', H, 'u-max'), undefined);
});

test('an invite to an app that gives invitations no expiry is taken to lapse after the connector\'s assumed lifetime; a re-send starts it again', async () => {
  const s = new MemoryStore();
  definePersonIndexes(s);
  const day = 24 * 3_600_000;
  const op = { kind: 'invite' as const, key: 'invite:ann@example.com', email: 'ann@example.com', role: 'STANDARD', effect: 'grant' as const, reason: 'assigned' as const, summary: 'invite ann' };
  await s.transact((tx) => recordInSnapshot(tx, H, op, { result: 'done', inviteId: 'ann@example.com', assumedLifetimeMs: 14 * day }, now));
  const sent = await s.get('appInvites', H, 'ann@example.com');
  assert.equal(sent?.expiresAt, new Date(now.getTime() + 14 * day).toISOString());
  // Re-sent 15 days later (revoke + invite, the same id): a new lifetime, one more re-send counted.
  const later = new Date(now.getTime() + 15 * day);
  const reinvite = { kind: 'reinvite' as const, key: 'reinvite:ann@example.com', inviteId: 'ann@example.com', email: 'ann@example.com', role: 'STANDARD', resendCount: 0, effect: 'grant' as const, reason: 'expired-invite' as const, summary: 're-invite ann' };
  await s.transact((tx) => recordInSnapshot(tx, H, reinvite, { result: 'done', inviteId: 'ann@example.com', assumedLifetimeMs: 14 * day }, later));
  const again = await s.get('appInvites', H, 'ann@example.com');
  assert.equal(again?.expiresAt, new Date(later.getTime() + 14 * day).toISOString());
  assert.equal(again?.resendCount, 1);
  // A connector that says nothing (Meta: the listing gives expiration_time) records no expiry here.
  await s.transact((tx) => recordInSnapshot(tx, H, { ...op, key: 'invite:bo@example.com', email: 'bo@example.com' }, { result: 'done', inviteId: '61' }, now));
  assert.equal((await s.get('appInvites', H, '61'))?.expiresAt, undefined);
});
