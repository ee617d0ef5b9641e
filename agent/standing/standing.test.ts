import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppInviteRecord, AppMemberRecord, ExemptionRecord } from '../app-state/records.ts';
import { exemptionInForce } from './exemption.ts';
import { inviteIdOf, inviteRowId, partnerRowId, rowKindOf } from './row-ids.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { defineDirectoryIndexes, INDEX } from '../desired-state/directory-records.ts';
import { decideStanding, defineStandingIndexes, standingOfUser, standingsOfHub, toScimStatus, type MatchedRow, type Standing } from './standing.ts';

const at = '2026-01-01T00:00:00Z';
const member = (role: string): AppMemberRecord => ({ hubId: 'h', id: 'm1', role, firstSeenAt: at, lastSeenAt: at });
const invite = (status: AppInviteRecord['status'], resendCount = 0): AppInviteRecord => ({ hubId: 'h', id: 'i1', email: 'a@b.c', role: 'STAFF', status, sentByHubwarden: true, resendCount, lastSeenAt: at });
const exemption: ExemptionRecord = { hubId: 'h', memberId: 'm1', reason: 'agency', by: 'owner', at };

describe('standing: one decision for the members view, write-back and the SCIM extension', () => {
  const cases: Array<{ name: string; rows: MatchedRow[]; standing: Standing; scim: string; appRole?: string }> = [
    { name: 'no row', rows: [], standing: 'none', scim: 'not_in_hub' },
    { name: 'a matched member', rows: [{ rowId: 'm1', outcome: 'onboarded', member: member('BOSS') }], standing: 'onboarded', scim: 'onboarded', appRole: 'BOSS' },
    { name: 'a matched pending invite', rows: [{ rowId: 'invite:i1', outcome: 'onboarded', invite: invite('pending') }], standing: 'invited', scim: 'pending_invite', appRole: 'STAFF' },
    { name: 'an expired invite', rows: [{ rowId: 'invite:i1', outcome: 'onboarded', invite: invite('expired') }], standing: 'invite-lapsed', scim: 'lapsed' },
    { name: 'the member wins over an old invite', rows: [{ rowId: 'invite:i1', outcome: 'onboarded', invite: invite('pending') }, { rowId: 'm1', outcome: 'onboarded', member: member('BOSS') }], standing: 'onboarded', scim: 'onboarded', appRole: 'BOSS' },
    { name: 'an exemption in force wins, keeping the held role', rows: [{ rowId: 'm1', outcome: 'onboarded', member: member('BOSS'), exemption }], standing: 'exempted', scim: 'exempted', appRole: 'BOSS' },
    { name: 'matching said exempted', rows: [{ rowId: 'm1', outcome: 'exempted', member: member('BOSS') }], standing: 'exempted', scim: 'exempted', appRole: 'BOSS' },
    { name: 'an owner matched a guest', rows: [{ rowId: 'm1', outcome: 'guest', member: member('BOSS') }], standing: 'guest', scim: 'guest', appRole: 'BOSS' },
    { name: 'an invite still unmatched', rows: [{ rowId: 'invite:i1', outcome: 'unmatched', invite: invite('pending') }], standing: 'invited', scim: 'pending_invite', appRole: 'STAFF' },
  ];
  test('a candidate of a disputed row, with no row of their own: unmatched; a row or an offer of their own comes first', () => {
    assert.equal(decideStanding([], false, true).standing, 'unmatched');
    assert.equal(toScimStatus(decideStanding([], false, true).standing), 'unmatched');
    assert.equal(decideStanding([], true, true).standing, 'offered');
    assert.equal(decideStanding([{ rowId: 'm1', outcome: 'onboarded', member: member('BOSS') }], false, true).standing, 'onboarded');
  });
  for (const c of cases) {
    test(c.name, () => {
      const s = decideStanding(c.rows);
      assert.equal(s.standing, c.standing);
      assert.equal(toScimStatus(s.standing), c.scim);
      assert.equal(s.appRole, c.appRole);
      assert.deepEqual(s.rows, c.rows.map((r) => r.rowId));
    });
  }
});

describe('exemption in force: dates parsed, never compared as strings', () => {
  const cases: Array<{ until?: string; now: string; inForce: boolean }> = [
    { now: '2026-06-01T00:00:00Z', inForce: true },
    { until: '2026-03-01T00:00:00Z', now: '2026-02-28T23:59:59Z', inForce: true },
    { until: '2026-03-01T00:00:00Z', now: '2026-03-01T00:00:00Z', inForce: false },
    // As strings, '2026-03-01' < '2026-03-01T00:00:00.000Z' would call it lapsed a whole day early or never.
    { until: '2026-03-01', now: '2026-02-28T12:00:00.000Z', inForce: true },
    { until: '2026-03-01T01:00:00+02:00', now: '2026-02-28T23:30:00Z', inForce: false },
    { until: 'not a date', now: '2026-02-28T12:00:00Z', inForce: true },
  ];
  for (const c of cases) {
    test(`until ${c.until ?? '(none)'} at ${c.now}: ${c.inForce ? 'in force' : 'lapsed'}`, () => {
      assert.equal(exemptionInForce(c.until === undefined ? {} : { until: c.until }, c.now), c.inForce);
      assert.equal(exemptionInForce(c.until === undefined ? {} : { until: c.until }, new Date(c.now)), c.inForce);
    });
  }
  test('no exemption is never in force', () => assert.equal(exemptionInForce(undefined, Date.now()), false));
});

test('row ids: one spelling, read back', () => {
  assert.equal(inviteIdOf(inviteRowId('77')), '77');
  assert.equal(inviteIdOf('77'), undefined);
  assert.equal(rowKindOf(partnerRowId('2000', 'u1')), 'partner-user');
  assert.equal(rowKindOf(inviteRowId('7')), 'invite');
  assert.equal(rowKindOf('1234'), 'member');
});

describe('standing read from the store: one user by index, the whole hub in one pass, the same answer', () => {
  const h = 'h';
  const now = '2026-02-01T00:00:00Z';
  const user = (id: string, email: string) => ({ hubId: h, id, userName: email, active: true, email, emails: [email], scim: {}, created: at, lastModified: at, version: 1 });
  test('matched member, exempted row, pending invite, undecided invite, open offer, nothing', async () => {
    const store = new MemoryStore();
    defineStandingIndexes(store);
    await store.transact((tx) => {
      for (const [id, email] of [['u-ann', 'ann@example.com'], ['u-bob', 'bob@example.com'], ['u-cy', 'cy@example.com'], ['u-di', 'di@example.com'], ['u-ed', 'ed@example.com'], ['u-fay', 'fay@example.com']] as const) tx.put('directoryUsers', h, id, user(id, email));
      tx.put('appMembers', h, 'm-ann', { hubId: h, id: 'm-ann', email: 'ann@example.com', role: 'BOSS', firstSeenAt: at, lastSeenAt: at });
      tx.put('appMembers', h, 'm-bob', { hubId: h, id: 'm-bob', email: 'bob@example.com', role: 'STAFF', firstSeenAt: at, lastSeenAt: at });
      tx.put('appInvites', h, 'i-cy', { hubId: h, id: 'i-cy', email: 'cy@example.com', role: 'STAFF', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
      tx.put('memberMatches', h, 'm-ann', { hubId: h, memberId: 'm-ann', outcome: 'onboarded', directoryUserId: 'u-ann', manual: false, at });
      tx.put('memberMatches', h, 'm-bob', { hubId: h, memberId: 'm-bob', outcome: 'onboarded', directoryUserId: 'u-bob', manual: false, at });
      tx.put('memberMatches', h, 'invite:i-cy', { hubId: h, memberId: 'invite:i-cy', outcome: 'onboarded', directoryUserId: 'u-cy', manual: false, at });
      tx.put('exemptions', h, 'm-bob', { hubId: h, memberId: 'm-bob', reason: 'agency', by: 'owner', at });
      tx.put('offers', h, 'o-ed', { id: 'o-ed', hubId: h, directoryUserId: 'u-ed', group: 'Brand', appRole: 'STAFF', assets: [], status: 'offered', offeredAt: at, expiresAt: '2026-03-01T00:00:00Z', membership: 'brand' });
      tx.put('offers', h, 'o-fay', { id: 'o-fay', hubId: h, directoryUserId: 'u-fay', group: 'Brand', appRole: 'STAFF', assets: [], status: 'offered', offeredAt: at, expiresAt: '2026-01-15T00:00:00Z', membership: 'brand' });
    });
    const hub = await standingsOfHub(store, h, now);
    assert.deepEqual([...hub].map(([id, s]) => [id, s.standing, s.appRole ?? '']), [
      ['u-ann', 'onboarded', 'BOSS'], ['u-bob', 'exempted', 'STAFF'], ['u-cy', 'invited', 'STAFF'], ['u-di', 'none', ''], ['u-ed', 'offered', ''], ['u-fay', 'none', ''],
    ]);
    assert.equal(hub.get('u-bob')!.exemption?.reason, 'agency');
    for (const id of ['u-ann', 'u-bob', 'u-cy', 'u-di', 'u-ed', 'u-fay']) assert.deepEqual(await standingOfUser(store, h, id, now), hub.get(id), id);
  });

  // README "Try it": the invite the agent just sent is `invite:pending:<email>` (or Meta's id) with
  // no memberMatches record until the next check for updates; the person is invited meanwhile, on
  // every surface (write-back reads the hub's standings, SCIM and My access the user's).
  test('an invite sent a moment ago, not matched yet: invited for the hub and for the user', async () => {
    const store = new MemoryStore();
    defineDirectoryIndexes(store);
    defineStandingIndexes(store);
    await store.transact((tx) => {
      tx.put('directoryUsers', h, 'u-gus', user('u-gus', 'Gus@Example.com'));
      tx.put('directoryUsers', h, 'u-hal', { hubId: h, id: 'u-hal', userName: 'hal@example.com', active: true, emails: [], scim: {}, created: at, lastModified: at, version: 1 });
      tx.put('directoryUsers', h, 'u-ivy', user('u-ivy', 'shared@example.com'));
      tx.put('directoryUsers', h, 'u-jo', user('u-jo', 'shared@example.com'));
      tx.put('appInvites', h, 'pending:gus@example.com', { hubId: h, id: 'pending:gus@example.com', email: 'gus@example.com', role: 'STAFF', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
      tx.put('appInvites', h, '6100000000000001', { hubId: h, id: '6100000000000001', email: 'hal@example.com', role: 'STAFF', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
      tx.put('appMembers', h, 'm-shared', { hubId: h, id: 'm-shared', email: 'shared@example.com', role: 'STAFF', firstSeenAt: at, lastSeenAt: at });
    });
    const hub = await standingsOfHub(store, h, now);
    assert.deepEqual([...hub].map(([id, s]) => [id, s.standing, s.rows]), [
      ['u-gus', 'invited', ['invite:pending:gus@example.com']], ['u-hal', 'invited', ['invite:6100000000000001']], ['u-ivy', 'none', []], ['u-jo', 'none', []],
    ]);
    for (const id of ['u-gus', 'u-hal', 'u-ivy', 'u-jo']) {
      assert.deepEqual(await standingOfUser(store, h, id, now), hub.get(id), id);
      assert.deepEqual(await standingOfUser(store, h, id, now, await store.get('directoryUsers', h, id)), hub.get(id), `${id}, record given`);
    }
  });

  // A rehire: the leaver's account deactivated (SCIM `active` false), another created with the
  // same email; the plan invites the rehire once the leaver's seat is gone, and that invite is
  // theirs before the next matching too (match-members.ts SOLE_ACTIVE), not no one's.
  test('an invite sent a moment ago to an email a deactivated leaver and their rehire share: the rehire\'s for the hub and for the user', async () => {
    const store = new MemoryStore();
    defineDirectoryIndexes(store);
    defineStandingIndexes(store);
    await store.transact((tx) => {
      tx.put('directoryUsers', h, 'u-leaver', { ...user('u-leaver', 'back@example.com'), active: false });
      tx.put('directoryUsers', h, 'u-rehire', user('u-rehire', 'back@example.com'));
      tx.put('appInvites', h, 'pending:back@example.com', { hubId: h, id: 'pending:back@example.com', email: 'back@example.com', role: 'STAFF', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
    });
    const hub = await standingsOfHub(store, h, now);
    assert.deepEqual([...hub].map(([id, s]) => [id, s.standing, s.rows]), [['u-leaver', 'none', []], ['u-rehire', 'invited', ['invite:pending:back@example.com']]]);
    for (const id of ['u-leaver', 'u-rehire']) assert.deepEqual(await standingOfUser(store, h, id, now), hub.get(id), id);
  });

  // An app may list an address with surrounding whitespace or in another case (TikTok's
  // `user_email` is stored as listed): the hub-wide pass and the user's lookup by index agree.
  test('an undecided invite or seat whose email differs from the user\'s only by whitespace and case: the same person for the hub and for the user', async () => {
    const store = new MemoryStore();
    defineDirectoryIndexes(store);
    defineStandingIndexes(store);
    await store.transact((tx) => {
      tx.put('directoryUsers', h, 'u-kay', user('u-kay', 'kay@example.com'));
      tx.put('directoryUsers', h, 'u-lu', user('u-lu', 'lu@example.com'));
      tx.put('appInvites', h, 'kay@example.com', { hubId: h, id: 'kay@example.com', email: ' Kay@Example.com ', role: 'STAFF', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
      tx.put('appMembers', h, 'm-lu', { hubId: h, id: 'm-lu', email: 'LU@example.com ', role: 'STAFF', firstSeenAt: at, lastSeenAt: at });
    });
    const hub = await standingsOfHub(store, h, now);
    assert.deepEqual([...hub].map(([id, s]) => [id, s.standing]), [['u-kay', 'invited'], ['u-lu', 'onboarded']]);
    for (const id of ['u-kay', 'u-lu']) assert.deepEqual(await standingOfUser(store, h, id, now), hub.get(id), id);
  });

  // match-members.ts leaves a row two directory users claim `unmatched` with both as candidates
  // until an owner decides. The seat is still in the app, and may be either's: the SCIM extension
  // said not_in_hub (while write-back kept the last value it wrote); both now say the same.
  test('a candidate of a disputed row: unmatched for the hub and for the user; an owner\'s un-match and an offer are not that', async () => {
    const store = new MemoryStore();
    defineDirectoryIndexes(store);
    defineStandingIndexes(store);
    await store.transact((tx) => {
      tx.put('directoryUsers', h, 'u-kim', user('u-kim', 'kim@example.com'));
      tx.put('directoryUsers', h, 'u-lee', user('u-lee', 'kim.new@example.com'));
      tx.put('directoryUsers', h, 'u-max', user('u-max', 'max@example.com'));
      tx.put('directoryUsers', h, 'u-ned', user('u-ned', 'ned@example.com'));
      tx.put('appMembers', h, 'm-kim', { hubId: h, id: 'm-kim', email: 'kim@example.com', role: 'BOSS', firstSeenAt: at, lastSeenAt: at });
      tx.put('memberMatches', h, 'm-kim', { hubId: h, memberId: 'm-kim', outcome: 'unmatched', manual: false, candidates: ['u-kim', 'u-lee'], at });
      tx.put('appMembers', h, 'm-max', { hubId: h, id: 'm-max', email: 'max@example.com', role: 'STAFF', firstSeenAt: at, lastSeenAt: at });
      tx.put('memberMatches', h, 'm-max', { hubId: h, memberId: 'm-max', outcome: 'unmatched', manual: true, candidates: ['u-max'], at });
      tx.put('appMembers', h, 'm-ned', { hubId: h, id: 'm-ned', email: 'ned@example.com', role: 'STAFF', firstSeenAt: at, lastSeenAt: at });
      tx.put('memberMatches', h, 'm-ned', { hubId: h, memberId: 'm-ned', outcome: 'unmatched', manual: false, candidates: ['u-ned', 'u-kim'], at });
      tx.put('offers', h, 'o-ned', { id: 'o-ned', hubId: h, directoryUserId: 'u-ned', group: 'Brand', appRole: 'STAFF', assets: [], status: 'offered', offeredAt: at, expiresAt: '2026-03-01T00:00:00Z', membership: 'brand' });
    });
    const hub = await standingsOfHub(store, h, now);
    // The disputed rows are no one's: not among a candidate's rows, no role held.
    assert.deepEqual([...hub].map(([id, s]) => [id, s.standing, s.appRole ?? '', s.rows]), [
      ['u-kim', 'unmatched', '', []], ['u-lee', 'unmatched', '', []], ['u-max', 'none', '', []], ['u-ned', 'offered', '', []],
    ]);
    for (const id of ['u-kim', 'u-lee', 'u-max', 'u-ned']) assert.deepEqual(await standingOfUser(store, h, id, now), hub.get(id), id);
    assert.equal(toScimStatus(hub.get('u-lee')!.standing), 'unmatched');
    // An owner decides: the row is matched to one, and the other is no candidate any more.
    await store.transact((tx) => tx.put('memberMatches', h, 'm-kim', { hubId: h, memberId: 'm-kim', outcome: 'onboarded', directoryUserId: 'u-kim', manual: true, at }));
    assert.deepEqual((await standingOfUser(store, h, 'u-kim', now)).standing, 'onboarded');
    assert.deepEqual((await standingOfUser(store, h, 'u-lee', now)).standing, 'none');
    assert.deepEqual((await standingsOfHub(store, h, now)).get('u-lee')!.standing, 'none');
  });

  test('an email carried by several undecided rows: its sole holder is looked up once', async () => {
    const store = new MemoryStore();
    defineDirectoryIndexes(store);
    defineStandingIndexes(store);
    await store.transact((tx) => {
      tx.put('directoryUsers', h, 'u-gus', user('u-gus', 'gus@example.com'));
      tx.put('appMembers', h, 'm-gus', { hubId: h, id: 'm-gus', email: 'gus@example.com', role: 'STAFF', firstSeenAt: at, lastSeenAt: at });
      tx.put('appInvites', h, 'pending:gus@example.com', { hubId: h, id: 'pending:gus@example.com', email: 'gus@example.com', role: 'STAFF', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
    });
    let emailLookups = 0;
    const counted = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== 'lookup') return Reflect.get(target, prop, receiver);
        return (...args: Parameters<MemoryStore['lookup']>) => {
          if (args[1] === INDEX.userByEmail) emailLookups += 1;
          return target.lookup(...args);
        };
      },
    });
    const standing = await standingOfUser(counted, h, 'u-gus', now);
    assert.deepEqual([standing.standing, standing.rows], ['onboarded', ['m-gus', 'invite:pending:gus@example.com']]);
    assert.equal(emailLookups, 1);
  });
});
