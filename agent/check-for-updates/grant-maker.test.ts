import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppAssignmentRecord, AppInviteRecord } from '../app-state/records.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { recordInSnapshot } from '../tasks/operations/snapshot-update.ts';
import { applyPersonReading } from '../tasks/operations/person-refresh.ts';
import type { AppReading } from './read-app.ts';
import { buildSnapshot, type HubSnapshot } from './snapshot.ts';
import { assignsTriedOn, defineAssignTriedIndex } from '../app-state/grant-maker.ts';
import type { TaskRecord } from '../tasks/task-record.ts';

/**
 * Who made each grant (AppAssignmentRecord.madeBy), which decides whether the plan may unassign it
 * under `safety.drift: report` (plan/plan.ts): the first import's grants and any a check finds
 * new are someone else's, hubwarden's assign-asset and the assets a seat it invited came with are
 * its own, and a listed grant keeps what its record said (none, for an earlier release's record).
 */
const H = 'tiktok-main';
const T0 = '2026-11-01T00:00:00.000Z';
const T1 = '2026-11-02T00:00:00.000Z';
const AD = { type: 'ad_account', id: '7100000000000000001' };
const AD2 = { type: 'ad_account', id: '7100000000000000002' };
const empty: HubSnapshot = { members: [], invites: [], systemUsers: [], assets: [], assignments: [], partners: [], partnerUsers: [] };
const reading = (part: Partial<AppReading>): AppReading => ({
  members: [], invites: [], systemUsers: [], assets: [], assignments: [], partners: [], partnerUsers: [],
  partnerFailures: [], assetTypes: [], unreadableAssetTypes: [], unsupported: [], unavailable: [], ...part,
});
const listedGrant = (userId: string, asset = AD) => ({ asset, userId, userType: 'member' as const, tasks: ['ANALYST'] });
const madeBy = (s: HubSnapshot) => Object.fromEntries(s.assignments.map((a) => [a.key, a.madeBy ?? 'none']));
const invite = (email: string, sentByHubwarden: boolean): AppInviteRecord =>
  ({ hubId: H, id: email, email, role: 'STANDARD', status: 'pending', sentByHubwarden, resendCount: 0, lastSeenAt: T0 });

test('the first import: every grant is someone else\'s', () => {
  const first = buildSnapshot({ hubId: H, previous: empty, startedAt: T0, now: T0,
    reading: reading({ members: [{ id: '101', email: 'ada@x.test', role: 'STANDARD' }], assignments: [listedGrant('101')] }) });
  assert.deepEqual(madeBy(first), { [`ad_account:${AD.id}:101`]: 'other' });
});

test('a listed grant keeps its record\'s maker: hubwarden\'s, someone else\'s, and an earlier release\'s (none: counted as hubwarden\'s)', () => {
  const prev = (userId: string, m?: AppAssignmentRecord['madeBy']): AppAssignmentRecord =>
    ({ hubId: H, key: `ad_account:${AD.id}:${userId}`, asset: AD, userId, userType: 'member', tasks: ['ANALYST'], ...(m ? { madeBy: m } : {}) });
  const members = ['101', '102', '103'].map((id) => ({ id, email: `${id}@x.test`, role: 'STANDARD' }));
  const previous: HubSnapshot = { ...empty, members: members.map((m) => ({ hubId: H, ...m, firstSeenAt: T0, lastSeenAt: T0 })), assignments: [prev('101', 'hubwarden'), prev('102', 'other'), prev('103')] };
  const next = buildSnapshot({ hubId: H, previous, startedAt: T1, now: T1, reading: reading({ members, assignments: ['101', '102', '103', '101'].map((u, n) => listedGrant(u, n === 3 ? AD2 : AD)) }) });
  assert.deepEqual(madeBy(next), {
    [`ad_account:${AD.id}:101`]: 'hubwarden', [`ad_account:${AD.id}:102`]: 'other', [`ad_account:${AD.id}:103`]: 'none',
    [`ad_account:${AD2.id}:101`]: 'other', // new on a known seat: made by hand
  });
});

test('a seat that accepted an invite hubwarden sent: the assets it came with are hubwarden\'s; one invited by hand: someone else\'s', () => {
  const previous: HubSnapshot = { ...empty, invites: [invite('ada@x.test', true), invite('bo@x.test', false)] };
  const next = buildSnapshot({ hubId: H, previous, startedAt: T1, now: T1, reading: reading({
    members: [{ id: '101', email: 'ada@x.test', role: 'STANDARD' }, { id: '102', email: 'bo@x.test', role: 'STANDARD' }],
    assignments: [listedGrant('101'), listedGrant('102')],
  }) });
  assert.deepEqual(next.members.map((m) => [m.id, m.inviteId]), [['101', 'ada@x.test'], ['102', 'bo@x.test']]);
  assert.deepEqual(madeBy(next), { [`ad_account:${AD.id}:101`]: 'hubwarden', [`ad_account:${AD.id}:102`]: 'other' });
});

test('hubwarden\'s assign-asset makes the grant its own, also kept by a check whose reading started before it', async () => {
  const s = new MemoryStore();
  definePersonIndexes(s);
  const op = { kind: 'assign-asset' as const, key: 'assign', memberId: '101', asset: AD, tasks: ['OPERATOR'], from: ['ANALYST'], effect: 'upgrade' as const, reason: 'group-change' as const, summary: 'assign' };
  await s.transact((tx) => recordInSnapshot(tx, H, op, { result: 'done' }, new Date(T1)));
  const recorded = (await s.get('appAssignments', H, `ad_account:${AD.id}:101`))!;
  assert.equal(recorded.madeBy, 'hubwarden');
  const previous: HubSnapshot = { ...empty, members: [{ hubId: H, id: '101', email: 'ada@x.test', role: 'STANDARD', firstSeenAt: T0, lastSeenAt: T0 }], assignments: [recorded] };
  const members = [{ id: '101', email: 'ada@x.test', role: 'STANDARD' }];
  // Read before the assign (the old tasks listed) and after it: hubwarden's either way.
  assert.deepEqual(madeBy(buildSnapshot({ hubId: H, previous, startedAt: T0, now: T1, reading: reading({ members, assignments: [listedGrant('101')] }) })), { [`ad_account:${AD.id}:101`]: 'hubwarden' });
  assert.deepEqual(madeBy(buildSnapshot({ hubId: H, previous, startedAt: T1, now: T1, reading: reading({ members, assignments: [listedGrant('101')] }) })), { [`ad_account:${AD.id}:101`]: 'hubwarden' });
});

test('a person\'s re-read keeps each grant\'s maker; a new one is hubwarden\'s only with a seat it invited', async () => {
  const s = new MemoryStore();
  definePersonIndexes(s);
  defineAssignTriedIndex(s); // the re-read (person-refresh.ts) reads the assigns tried
  await s.transact((tx) => {
    tx.put('appMembers', H, '101', { hubId: H, id: '101', email: 'ada@x.test', role: 'STANDARD', firstSeenAt: T0, lastSeenAt: T0 });
    tx.put('appAssignments', H, `ad_account:${AD.id}:101`, { hubId: H, key: `ad_account:${AD.id}:101`, asset: AD, userId: '101', userType: 'member', tasks: ['ANALYST'], madeBy: 'other' });
    tx.put('appInvites', H, 'bo@x.test', invite('bo@x.test', true));
  });
  const now = new Date(T1);
  await s.transact((tx) => applyPersonReading(tx, { hubId: H, email: 'ada@x.test', memberId: '101', assets: [AD, AD2], now,
    reading: { members: [{ id: '101', email: 'ada@x.test', role: 'STANDARD' }], invites: [], assignments: [listedGrant('101', AD), listedGrant('101', AD2)], missingAssets: [] } }));
  await s.transact((tx) => applyPersonReading(tx, { hubId: H, email: 'bo@x.test', inviteId: 'bo@x.test', assets: [AD], now,
    reading: { members: [{ id: '102', email: 'bo@x.test', role: 'STANDARD' }], invites: [], assignments: [listedGrant('102', AD)], missingAssets: [] } }));
  const made = async (key: string) => (await s.get('appAssignments', H, key))?.madeBy;
  assert.deepEqual([await made(`ad_account:${AD.id}:101`), await made(`ad_account:${AD2.id}:101`), await made(`ad_account:${AD.id}:102`)], ['other', 'other', 'hubwarden']);
});

/**
 * An assign hubwarden tried whose outcome it never recorded (failed after the app applied it, its
 * answer lost, or interrupted): the grant found later is hubwarden's, at a check and at a re-read.
 * A clean assign that completed is recorded already and not filed; one the app refused made nothing.
 */
test('a grant hubwarden tried to assign without recording it is hubwarden\'s, at a check and at a re-read', async () => {
  const s = new MemoryStore();
  definePersonIndexes(s);
  defineAssignTriedIndex(s);
  const assignTask = (id: string, userId: string, asset: { type: string; id: string }, t: Partial<TaskRecord>): TaskRecord => ({
    id, hubId: H, kind: 'assign-asset', status: 'failed', idempotencyKey: `op:assign:${id}`, summary: id, trigger: { type: 'agent' }, attempts: 1, attemptsEnded: 1, createdAt: T0, updatedAt: T0,
    payload: { op: { kind: 'assign-asset', key: `assign:${id}`, memberId: userId, asset, tasks: ['ANALYST'], effect: 'grant', reason: 'assigned', summary: id } }, ...t,
  });
  await s.transact((tx) => {
    tx.put('appMembers', H, '101', { hubId: H, id: '101', email: 'ada@x.test', role: 'STANDARD', firstSeenAt: T0, lastSeenAt: T0 });
    tx.put('tasks', H, 'failed', assignTask('failed', '101', AD, { status: 'failed', attempts: 3, attemptsRefused: 2 }));
    tx.put('tasks', H, 'refused', assignTask('refused', '101', AD2, { status: 'failed', attempts: 2, attemptsRefused: 2 }));
    tx.put('tasks', H, 'clean', assignTask('clean', '102', AD, { status: 'completed', attempts: 1 }));
    tx.put('tasks', H, 'superseded', assignTask('superseded', '103', AD, { status: 'completed', attempts: 2 }));
  });
  const tried = await assignsTriedOn(s, H);
  assert.deepEqual([...tried].sort(), [`ad_account:${AD.id}:101`, `ad_account:${AD.id}:103`]);

  const members = ['101', '102', '103'].map((id) => ({ id, email: `${id}@x.test`, role: 'STANDARD' }));
  const previous: HubSnapshot = { ...empty, members: members.map((m) => ({ hubId: H, ...m, firstSeenAt: T0, lastSeenAt: T0 })) };
  const next = buildSnapshot({ hubId: H, previous, startedAt: T1, now: T1, assignsTried: tried,
    reading: reading({ members, assignments: [listedGrant('101'), listedGrant('101', AD2), listedGrant('102'), listedGrant('103')] }) });
  assert.deepEqual(madeBy(next), {
    [`ad_account:${AD.id}:101`]: 'hubwarden', [`ad_account:${AD2.id}:101`]: 'other', [`ad_account:${AD.id}:102`]: 'other', [`ad_account:${AD.id}:103`]: 'hubwarden',
  });

  await s.transact((tx) => applyPersonReading(tx, { hubId: H, email: 'ada@x.test', memberId: '101', assets: [AD, AD2], now: new Date(T1),
    reading: { members: [{ id: '101', email: 'ada@x.test', role: 'STANDARD' }], invites: [], assignments: [listedGrant('101', AD), listedGrant('101', AD2)], missingAssets: [] } }));
  const made = async (key: string) => (await s.get('appAssignments', H, key))?.madeBy;
  assert.deepEqual([await made(`ad_account:${AD.id}:101`), await made(`ad_account:${AD2.id}:101`)], ['hubwarden', 'other']);
});
