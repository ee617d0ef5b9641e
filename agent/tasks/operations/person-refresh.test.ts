import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../app-state/records.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { defineAssignTriedIndex } from '../../app-state/grant-maker.ts';
import { definePersonIndexes } from '../../plan/person-input.ts';
import type { PersonReading } from '../../../connectors/sdk/connector.ts';
import { applyPersonReading } from './person-refresh.ts';

const H = 'h1';
const T0 = '2026-11-01T00:00:00.000Z';
const now = new Date('2026-11-02T00:00:00.000Z');
const act = { type: 'ad_account' as const, id: 'act_1' };
const none: PersonReading = { members: [], invites: [], assignments: [], missingAssets: [] };

async function store(seed: (tx: Parameters<Parameters<MemoryStore['transact']>[0]>[0]) => void) {
  const s = new MemoryStore();
  definePersonIndexes(s);
  defineAssignTriedIndex(s); // the re-read counts the assigns hubwarden tried, as on the agent's store (task-runner.ts)
  await s.transact(seed);
  return s;
}
const apply = (s: MemoryStore, p: Partial<Parameters<typeof applyPersonReading>[1]>) =>
  s.transact((tx) => applyPersonReading(tx, { hubId: H, email: 'jo@example.com', assets: [act], reading: none, now, ...p }));

test('an invite accepted meanwhile: the invite leaves, the seat appears linked to it', async () => {
  const s = await store((tx) => tx.put('appInvites', H, '301', { hubId: H, id: '301', email: 'jo@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: T0 }));
  await apply(s, { inviteId: '301', reading: { ...none, members: [{ id: '900', email: 'jo@example.com', role: 'EMPLOYEE' }], assignments: [{ asset: act, userId: '900', userType: 'member', tasks: ['ANALYZE'] }] } });
  assert.equal(await s.get('appInvites', H, '301'), undefined);
  assert.deepEqual([(await s.get('appMembers', H, '900'))?.inviteId, (await s.get('appMembers', H, '900'))?.firstSeenAt], ['301', now.toISOString()]);
  assert.deepEqual((await s.get('appAssignments', H, 'ad_account:act_1:900'))?.tasks, ['ANALYZE']);
});

test('a seat and its assignments that are gone leave the snapshot; an invite gone without a seat was cancelled', async () => {
  const s = await store((tx) => {
    tx.put('appMembers', H, '900', { hubId: H, id: '900', email: 'jo@example.com', role: 'EMPLOYEE', firstSeenAt: T0, lastSeenAt: T0 });
    tx.put('appAssignments', H, 'ad_account:act_1:900', { hubId: H, key: 'ad_account:act_1:900', asset: act, userId: '900', userType: 'member', tasks: ['ANALYZE'] });
    tx.put('appInvites', H, 'pending:jo@example.com', { hubId: H, id: 'pending:jo@example.com', email: 'jo@example.com', role: 'ADMIN', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: T0, expiresAt: '2026-12-01T00:00:00.000Z' });
  });
  await apply(s, { memberId: '900' });
  assert.equal(await s.get('appMembers', H, '900'), undefined);
  assert.equal(await s.get('appAssignments', H, 'ad_account:act_1:900'), undefined);
  assert.equal((await s.get('appInvites', H, 'pending:jo@example.com'))?.status, 'canceled');
});

test("a provisional invite is replaced by the listed one, keeping hubwarden's bookkeeping; a gone asset is forgotten", async () => {
  const s = await store((tx) => {
    tx.put('appInvites', H, 'pending:jo@example.com', { hubId: H, id: 'pending:jo@example.com', email: 'jo@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 1, lastSeenAt: T0 });
    tx.put('appAssets', H, 'ad_account:act_1', { hubId: H, type: 'ad_account', id: 'act_1', ownership: 'client' });
  });
  await apply(s, { reading: { ...none, invites: [{ id: '302', email: 'jo@example.com', role: 'EMPLOYEE', status: 'pending' }], missingAssets: [act] } });
  assert.equal(await s.get('appInvites', H, 'pending:jo@example.com'), undefined);
  assert.deepEqual([(await s.get('appInvites', H, '302'))?.sentByHubwarden, (await s.get('appInvites', H, '302'))?.resendCount], [true, 1]);
  assert.equal(await s.get('appAssets', H, 'ad_account:act_1'), undefined);
});

// The person's invite was matched to their directory user when sent; the re-read finds it replaced.
// If the IdP then changes their email, only that match keeps the new row theirs (match-members.ts).
const matched = (rowId: string) => ({ hubId: H, memberId: rowId, outcome: 'onboarded' as const, manual: false, directoryUserId: 'u-jo', at: T0 });

test("the invite's automatic match and exemption follow the invite Meta lists instead", async () => {
  const s = await store((tx) => {
    tx.put('appInvites', H, 'pending:jo@example.com', { hubId: H, id: 'pending:jo@example.com', email: 'jo@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: T0 });
    tx.put('memberMatches', H, 'invite:pending:jo@example.com', matched('invite:pending:jo@example.com'));
    tx.put('exemptions', H, 'invite:pending:jo@example.com', { hubId: H, memberId: 'invite:pending:jo@example.com', email: 'jo@example.com', reason: 'contractor', by: 'owner@example.com', at: T0 });
  });
  await apply(s, { reading: { ...none, invites: [{ id: '302', email: 'jo@example.com', role: 'EMPLOYEE', status: 'pending' }] }, audit: { trigger: { type: 'agent' }, taskId: 't1' } });
  assert.equal(await s.get('memberMatches', H, 'invite:pending:jo@example.com'), undefined);
  assert.deepEqual([(await s.get('memberMatches', H, 'invite:302'))?.directoryUserId, (await s.get('memberMatches', H, 'invite:302'))?.memberId], ['u-jo', 'invite:302']);
  assert.equal(await s.get('exemptions', H, 'invite:pending:jo@example.com'), undefined);
  assert.equal((await s.get('exemptions', H, 'invite:302'))?.reason, 'contractor');
});

test("an accepted invite's automatic match follows the member it became", async () => {
  const s = await store((tx) => {
    tx.put('appInvites', H, '301', { hubId: H, id: '301', email: 'jo@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: T0 });
    tx.put('memberMatches', H, 'invite:301', matched('invite:301'));
  });
  await apply(s, { inviteId: '301', reading: { ...none, members: [{ id: '900', email: 'jo@example.com', role: 'EMPLOYEE' }] } });
  assert.equal(await s.get('memberMatches', H, 'invite:301'), undefined);
  assert.deepEqual([(await s.get('memberMatches', H, '900'))?.directoryUserId, (await s.get('memberMatches', H, '900'))?.memberId], ['u-jo', '900']);
});

test('a seat or invite another task recorded while the person was being read stays: the reading predates it', async () => {
  // The re-read began at `started`; meanwhile another task sent an invite (recorded at `during`)
  // and recorded a seat. Pending users are listed only while pending, so the invite's absence
  // from an older reading is no sign it was cancelled: marked so, it was re-sent (cancel + invite).
  const started = new Date('2026-11-01T12:00:00.000Z');
  const during = '2026-11-01T12:00:01.000Z';
  const s = await store((tx) => {
    tx.put('appInvites', H, '303', { hubId: H, id: '303', email: 'jo@example.com', role: 'ADMIN', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: during, expiresAt: '2026-12-01T00:00:00.000Z' });
    tx.put('appMembers', H, '901', { hubId: H, id: '901', email: 'jo@example.com', role: 'EMPLOYEE', firstSeenAt: during, lastSeenAt: during });
  });
  await apply(s, { readStartedAt: started });
  assert.equal((await s.get('appInvites', H, '303'))?.status, 'pending');
  assert.equal((await s.get('appMembers', H, '901'))?.id, '901');
  // Records older than the reading are still read as gone.
  await apply(s, { readStartedAt: new Date('2026-11-01T12:00:02.000Z') });
  assert.equal((await s.get('appInvites', H, '303'))?.status, 'canceled');
  assert.equal(await s.get('appMembers', H, '901'), undefined);
});
