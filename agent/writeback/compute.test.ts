import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import type { Transaction } from '../store/store.ts';
import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import type { WritebackValues } from './attributes.ts';
import { attributeName, changedFields, entraExtensionName } from './attributes.ts';
import { computeWriteback, computeWritebackOf } from './compute.ts';
import './writeback-state.ts';

const HUB = 'meta-main';
const NOW = new Date('2026-11-23T12:00:00Z');
const T = '2026-11-20T10:00:00.000Z';

function user(id: string, email: string, extra: Partial<DirectoryUserRecord> = {}): DirectoryUserRecord {
  return { hubId: HUB, id, userName: email, active: true, email, emails: [email], scim: {}, created: T, lastModified: T, version: 1, ...extra };
}

type Seed = (tx: Transaction) => void;
const member = (id: string, email: string, role = 'EMPLOYEE'): Seed => (tx) => tx.put('appMembers', HUB, id, { hubId: HUB, id, email, role, firstSeenAt: T, lastSeenAt: T });
const invite = (id: string, email: string, status: 'pending' | 'expired' | 'declined', resendCount = 0, role = 'EMPLOYEE'): Seed => (tx) =>
  tx.put('appInvites', HUB, id, { hubId: HUB, id, email, role, status, sentByHubwarden: true, resendCount, lastSeenAt: T });
const match = (memberId: string, outcome: 'onboarded' | 'exempted' | 'unmatched', directoryUserId?: string): Seed => (tx) =>
  tx.put('memberMatches', HUB, memberId, { hubId: HUB, memberId, outcome, manual: false, at: T, ...(directoryUserId ? { directoryUserId } : {}) });
/** A row matching left disputed: several directory users claim it (match-members.ts), an owner decides. */
const disputed = (memberId: string, candidates: string[]): Seed => (tx) =>
  tx.put('memberMatches', HUB, memberId, { hubId: HUB, memberId, outcome: 'unmatched', manual: false, at: T, candidates });
const exemption = (memberId: string, reason: string, until?: string): Seed => (tx) =>
  tx.put('exemptions', HUB, memberId, { hubId: HUB, memberId, reason, by: 'owner@example.com', at: T, ...(until ? { until } : {}) });
const task = (id: string, kind: string, status: 'failed' | 'completed' | 'queued', payload: unknown, updatedAt = T, idempotencyKey = `${HUB}:${kind}:${id}`): Seed => (tx) =>
  tx.put('tasks', HUB, id, { id, hubId: HUB, kind, status, idempotencyKey, payload, summary: '', trigger: { type: 'agent' }, attempts: 1, attemptsEnded: 1, createdAt: T, updatedAt });
const lastWritten = (userId: string, status: WritebackValues['status'], role = '', seatless = false): Seed => (tx) =>
  tx.put('writebackState', HUB, userId, { hubId: HUB, directoryUserId: userId, idp: 'okta', idpUserId: userId, written: { status, role, exemption: '', exemptUntil: '' }, writtenAt: T, ...(seatless ? { seatless: true as const } : {}) });
/** `removed` written while the person was deactivated and held no seat. */
const removedSeatless = (userId: string): Seed => lastWritten(userId, 'removed', '', true);

const offer = (status: 'offered' | 'claimed', expiresAt?: string): Seed => (tx) => tx.put('offers', HUB, 'offer-1', {
  id: 'offer-1', hubId: HUB, directoryUserId: 'u1', email: 'ana@x.com', group: 'Brand', appRole: 'EMPLOYEE', assets: [], status, offeredAt: T, membership: 'brand', ...(expiresAt ? { expiresAt } : {}),
});

async function compute(users: DirectoryUserRecord[], seeds: Seed[]) {
  const store = new MemoryStore();
  await store.transact((tx) => {
    for (const u of users) tx.put('directoryUsers', HUB, u.id, u);
    for (const s of seeds) s(tx);
  });
  return computeWriteback(HUB, store, NOW);
}

const v = (status: WritebackValues['status'], role = '', exemption = '', exemptUntil = ''): WritebackValues => ({ status, role, exemption, exemptUntil });

describe('computeWriteback', () => {
  const cases: Array<{ name: string; users?: DirectoryUserRecord[]; seeds: Seed[]; expect: WritebackValues }> = [
    { name: 'no seat, never written → pending', seeds: [], expect: v('pending') },
    { name: 'matched to a member → onboarded with the member role', seeds: [member('m1', 'ana@x.com', 'ADMIN'), match('m1', 'onboarded', 'u1')], expect: v('onboarded', 'ADMIN') },
    { name: 'member not yet matched: matched by email, case-insensitively', seeds: [member('m1', 'ANA@X.COM', 'FINANCE_EDITOR')], expect: v('onboarded', 'FINANCE_EDITOR') },
    { name: 'matching said unmatched (disputed): no email fallback', seeds: [member('m1', 'ana@x.com'), match('m1', 'unmatched')], expect: v('pending') },
    { name: 'pending invite → invited with the invited role', seeds: [invite('i1', 'ana@x.com', 'pending', 0, 'DEVELOPER'), match('invite:i1', 'onboarded', 'u1')], expect: v('invited', 'DEVELOPER') },
    { name: 'expired invite not yet re-sent → lapsed (no seat, none pending; role cleared)', seeds: [invite('i1', 'ana@x.com', 'expired', 0)], expect: v('lapsed') },
    { name: 'invite recorded pending, past its expiry at now → lapsed, as the members view says', seeds: [(tx) => tx.put('appInvites', HUB, 'i1', { hubId: HUB, id: 'i1', email: 'ana@x.com', role: 'EMPLOYEE', status: 'pending', expiresAt: '2026-11-22T00:00:00.000Z', sentByHubwarden: true, resendCount: 0, lastSeenAt: T })], expect: v('lapsed') },
    { name: 'lapsed invite closed (no row left), last written lapsed → pending, not removed (no seat was held)', seeds: [lastWritten('u1', 'lapsed')], expect: v('pending') },
    { name: 'declined invite already re-sent once → invite_failed', seeds: [invite('i1', 'ana@x.com', 'declined', 1)], expect: v('invite_failed') },
    { name: 'failed invite task (payload names the user) → invite_failed', seeds: [task('t1', 'invite', 'failed', { directoryUserId: 'u1' })], expect: v('invite_failed') },
    { name: 'failed invite task (operation names the email) → invite_failed', seeds: [task('t1', 'invite', 'failed', { operation: { email: 'Ana@x.com' } })], expect: v('invite_failed') },
    { name: 'a later invite task that completed clears the failure', seeds: [task('t1', 'invite', 'failed', { directoryUserId: 'u1' }), task('t2', 'invite', 'completed', { directoryUserId: 'u1' }, '2026-11-21T00:00:00.000Z')], expect: v('pending') },
    // Operation tasks as the plan enqueues them (tasks/operations/enqueue-operation.ts): payload `{ op }`,
    // key `op:<operation key>`; a re-send's key ends in the invite id, not the person.
    { name: 'failed re-send of an expired invite (operation task) → invite_failed', seeds: [invite('i1', 'ana@x.com', 'expired', 0), task('t1', 'reinvite', 'failed', { op: { kind: 'reinvite', key: 'reinvite:i1', inviteId: 'i1', email: 'ana@x.com', directoryUserId: 'u1', role: 'EMPLOYEE' } }, T, 'op:reinvite:i1')], expect: v('invite_failed') },
    { name: 'a failed cancellation of an invite is no failed invite', seeds: [task('t1', 'cancel-invite', 'failed', { op: { kind: 'cancel-invite', key: 'cancel:i1', inviteId: 'i1', email: 'ana@x.com', directoryUserId: 'u1' } }, T, 'op:cancel:i1')], expect: v('pending') },
    { name: 'a failed task of another kind does not count', seeds: [task('t1', 'assign-asset', 'failed', { directoryUserId: 'u1' })], expect: v('pending') },
    { name: 'exempted member → exempted with reason and held role', seeds: [member('m1', 'ana@x.com', 'ADMIN'), match('m1', 'exempted', 'u1'), exemption('m1', 'agency lead until Q1')], expect: v('exempted', 'ADMIN', 'agency lead until Q1') },
    { name: 'exemption with an end → exempted with reason and expiry', seeds: [member('m1', 'ana@x.com', 'ADMIN'), match('m1', 'exempted', 'u1'), exemption('m1', 'agency lead', '2027-03-31T00:00:00Z')], expect: v('exempted', 'ADMIN', 'agency lead', '2027-03-31T00:00:00Z') },
    { name: 'lapsed exemption → back to onboarded', seeds: [member('m1', 'ana@x.com'), match('m1', 'onboarded', 'u1'), exemption('m1', 'old', '2026-11-01T00:00:00Z')], expect: v('onboarded', 'EMPLOYEE') },
    { name: 'deactivated user without seat → removed', users: [user('u1', 'ana@x.com', { active: false })], seeds: [], expect: v('removed') },
    { name: 'held a seat, seat gone → removed', seeds: [lastWritten('u1', 'onboarded')], expect: v('removed') },
    { name: 'never held a seat, last written pending → pending', seeds: [lastWritten('u1', 'pending')], expect: v('pending') },
    { name: 'an open offer waits for the claim → offered', seeds: [offer('offered', '2099-01-01T00:00:00.000Z')], expect: v('offered') },
    { name: 'an offer past its expiry is not offered any more → pending', seeds: [offer('offered', '2020-01-01T00:00:00.000Z')], expect: v('pending') },
    { name: 'a claimed offer whose invite is pending → invited', seeds: [offer('claimed'), invite('i1', 'ana@x.com', 'pending')], expect: v('invited', 'EMPLOYEE') },
    // The seat is still in the app, claimed by two directory users (one's email moved to the other):
    // nothing was removed, and the plan leaves the seat alone until an owner decides. "removed" told
    // the IdP (and any group rule or workflow keyed on it) that the person lost a seat they hold.
    { name: 'disputed seat the person held → last written values kept, not removed', users: [user('u1', 'ana@x.com'), user('u2', 'ana.new@x.com')], seeds: [member('m1', 'ana@x.com', 'ADMIN'), disputed('m1', ['u1', 'u2']), lastWritten('u1', 'onboarded', 'ADMIN')], expect: v('onboarded', 'ADMIN') },
    { name: 'disputed invite the person held → still invited, not removed', users: [user('u1', 'ana@x.com'), user('u2', 'ana.new@x.com')], seeds: [invite('i1', 'ana@x.com', 'pending'), disputed('invite:i1', ['u1', 'u2']), lastWritten('u1', 'invited', 'EMPLOYEE')], expect: v('invited', 'EMPLOYEE') },
    { name: 'disputed seat never written for the person → pending', users: [user('u1', 'ana@x.com'), user('u2', 'ana.new@x.com')], seeds: [member('m1', 'ana@x.com'), disputed('m1', ['u1', 'u2'])], expect: v('pending') },
    { name: 'disputed seat, person deactivated → removed', users: [user('u1', 'ana@x.com', { active: false }), user('u2', 'ana.new@x.com')], seeds: [member('m1', 'ana@x.com'), disputed('m1', ['u1', 'u2']), lastWritten('u1', 'onboarded')], expect: v('removed') },
    // Reactivated after a `removed` written for the deactivation alone: they are told what anyone
    // without a seat is, not `removed` (which tells the IdP's rules and reports of a seat lost).
    { name: 'reactivated, never held a seat → pending, not removed', seeds: [removedSeatless('u1')], expect: v('pending') },
    { name: 'reactivated while an invite task is queued → pending until the invite is sent', seeds: [removedSeatless('u1'), task('t1', 'invite', 'queued', { op: { kind: 'invite', key: 'invite:ana@x.com', email: 'ana@x.com', directoryUserId: 'u1', role: 'EMPLOYEE' } }, T, 'op:invite:ana@x.com')], expect: v('pending') },
    { name: 'reactivated, the invite sent → invited', seeds: [removedSeatless('u1'), invite('i1', 'ana@x.com', 'pending')], expect: v('invited', 'EMPLOYEE') },
    { name: 'reactivated, an open offer waits → offered', seeds: [removedSeatless('u1'), offer('offered', '2099-01-01T00:00:00.000Z')], expect: v('offered') },
    { name: 'reactivated, their invite failed → invite_failed', seeds: [removedSeatless('u1'), task('t1', 'invite', 'failed', { directoryUserId: 'u1' })], expect: v('invite_failed') },
    // A `removed` for a seat lost (no `seatless` mark, as every record written before it) stays.
    { name: 'reactivated after the seat was removed → removed until they hold one again', seeds: [lastWritten('u1', 'removed')], expect: v('removed') },
    { name: 'seat removed, offered again → offered, not removed', seeds: [lastWritten('u1', 'onboarded'), offer('offered', '2099-01-01T00:00:00.000Z')], expect: v('offered') },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const out = await compute(c.users ?? [user('u1', 'ana@x.com')], c.seeds);
      assert.deepEqual(out.get('u1'), c.expect);
    });
  }

  describe('deactivated: `removed`, marked seatless when they hold no seat and lost none', () => {
    const told = async (seeds: Seed[]) => {
      const store = new MemoryStore();
      await store.transact((tx) => {
        tx.put('directoryUsers', HUB, 'u1', user('u1', 'ana@x.com', { active: false }));
        for (const s of seeds) s(tx);
      });
      const out = await computeWritebackOf(HUB, store, NOW);
      return [out.values.get('u1')?.status, out.seatless.has('u1')];
    };
    test('no seat, never written → seatless', async () => assert.deepEqual(await told([]), ['removed', true]));
    test('no seat, last written pending → seatless', async () => assert.deepEqual(await told([lastWritten('u1', 'pending')]), ['removed', true]));
    test('an invite task queued, nothing sent yet → seatless', async () => assert.deepEqual(await told([task('t1', 'invite', 'queued', { directoryUserId: 'u1' })]), ['removed', true]));
    test('removed from the mapped group while deactivated (no seat) → still seatless', async () => assert.deepEqual(await told([removedSeatless('u1')]), ['removed', true]));
    test('holding a seat → not seatless', async () => assert.deepEqual(await told([member('m1', 'ana@x.com'), match('m1', 'onboarded', 'u1')]), ['removed', false]));
    test('holding a pending invite → not seatless', async () => assert.deepEqual(await told([invite('i1', 'ana@x.com', 'pending')]), ['removed', false]));
    test('seat removed since it was last written onboarded → not seatless', async () => assert.deepEqual(await told([lastWritten('u1', 'onboarded')]), ['removed', false]));
    test('written removed for a seat lost → not seatless', async () => assert.deepEqual(await told([lastWritten('u1', 'removed')]), ['removed', false]));
  });

  test('a failed invite goes to the directory user the operation names, not to another holding the same email', async () => {
    // u2 carries ana's address as a second email (an alias, or one the IdP moved): the invite the
    // plan sent was u1's, and the task says so.
    const users = [user('u1', 'ana@x.com'), user('u2', 'bo@x.com', { emails: ['bo@x.com', 'ana@x.com'] })];
    const out = await compute(users, [task('t1', 'invite', 'failed', { op: { kind: 'invite', key: 'invite:ana@x.com', email: 'ana@x.com', directoryUserId: 'u1', role: 'EMPLOYEE' } }, T, 'op:invite:ana@x.com')]);
    assert.deepEqual(out.get('u1'), v('invite_failed'));
    assert.deepEqual(out.get('u2'), v('pending'));
  });

  test('a failed invite task naming only an email two directory users carry names neither', async () => {
    const users = [user('u1', 'ana@x.com'), user('u2', 'bo@x.com', { emails: ['bo@x.com', 'ana@x.com'] })];
    const out = await compute(users, [task('t1', 'invite', 'failed', { email: 'ana@x.com' })]);
    assert.deepEqual(out.get('u1'), v('pending'));
    assert.deepEqual(out.get('u2'), v('pending'));
  });

  test('every directory user of the hub gets values; other hubs are ignored', async () => {
    const store = new MemoryStore();
    await store.transact((tx) => {
      tx.put('directoryUsers', HUB, 'u1', user('u1', 'a@x.com'));
      tx.put('directoryUsers', HUB, 'u2', user('u2', 'b@x.com'));
      tx.put('directoryUsers', 'other', 'u3', { ...user('u3', 'c@x.com'), hubId: 'other' });
      member('m2', 'b@x.com')(tx);
    });
    const out = await computeWriteback(HUB, store, NOW);
    assert.deepEqual([...out.keys()].sort(), ['u1', 'u2']);
    assert.equal(out.get('u2')!.status, 'onboarded');
  });
});

describe('attribute names', () => {
  test('hub id dashes become underscores; Entra names carry the app id without dashes', () => {
    assert.equal(attributeName('meta-main', 'status'), 'hubwarden_meta_main_status');
    assert.equal(entraExtensionName('AAAA-bb-cc', attributeName('x-y', 'role')), 'extension_aaaabbcc_hubwarden_x_y_role');
  });
  test('changedFields lists only what differs', () => {
    assert.deepEqual(changedFields(undefined, v('pending')), ['status', 'role', 'exemption', 'exemptUntil']);
    // Written before exemptUntil existed: no value for it was ever sent, which an empty one means.
    const before = { status: 'onboarded', role: 'ADMIN', exemption: '' } as unknown as WritebackValues;
    assert.deepEqual(changedFields(before, v('onboarded', 'ADMIN')), []);
    assert.deepEqual(changedFields(before, v('exempted', 'ADMIN', 'agency', '2027-03-31T00:00:00Z')), ['status', 'exemption', 'exemptUntil']);
    assert.deepEqual(changedFields(v('invited', 'ADMIN'), v('onboarded', 'ADMIN')), ['status']);
    assert.deepEqual(changedFields(v('onboarded', 'ADMIN'), v('onboarded', 'ADMIN')), []);
  });
});
