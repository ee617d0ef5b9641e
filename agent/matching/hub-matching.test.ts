import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { testUser } from '../grants/grant-fixtures.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { identitiesFor, matchHub, matchRows, memberRows, rematchHub, saveMatches } from './hub-matching.ts';
import { matchMembers } from './match-members.ts';

const h = 'meta-main';
const NOW = '2026-11-23T12:00:00.000Z';
const at = NOW;

/** A hub with every kind of row and every input matching reads. */
async function hubStore() {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  await store.open();
  await store.transact((tx) => {
    tx.put('directoryUsers', h, 'u-jane', { ...testUser('u-jane', 'Jane@Example.com'), emails: ['Jane@Example.com', 'jd@example.org'] });
    tx.put('directoryUsers', h, 'u-john', testUser('u-john', 'john@example.com'));
    tx.put('directoryUsers', h, 'u-sam1', testUser('u-sam1', 'sam@example.com'));
    tx.put('directoryUsers', h, 'u-sam2', testUser('u-sam2', 'SAM@example.com'));
    // As SCIM stored it: an email with surrounding spaces (matching trims on every path).
    tx.put('directoryUsers', h, 'u-kim', { ...testUser('u-kim', 'kim@example.com'), emails: [' Kim@Example.com '] });
    const member = (id: string, email?: string) => tx.put('appMembers', h, id, { hubId: h, id, ...(email ? { email } : {}), role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    member('m-jane', 'jane@example.com');
    member('m-jd', 'JD@example.org');
    member('m-sam', 'sam@example.com');
    member('m-guest', 'Guest@Partner.com');
    member('m-ex', 'kim@example.com');
    member('m-lapsed', 'john@example.com');
    member('m-manual', 'contractor@agency.com');
    member('m-gone', 'kim@example.com');
    member('m-none');
    tx.put('appInvites', h, '9', { hubId: h, id: '9', email: 'john@example.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
    tx.put('appInvites', h, '10', { hubId: h, id: '10', email: 'old@example.com', role: 'EMPLOYEE', status: 'accepted', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
    tx.put('partnerUsers', h, '2:7', { hubId: h, key: '2:7', partnerBusinessId: '2', userId: '7', email: 'john@example.com', userType: 'member', assignments: [] });
    tx.put('guests', h, 'guest@partner.com', { hubId: h, email: 'guest@partner.com', by: 'owner', at });
    tx.put('exemptions', h, 'm-ex', { hubId: h, memberId: 'm-ex', reason: 'agency', by: 'owner', at });
    tx.put('exemptions', h, 'm-lapsed', { hubId: h, memberId: 'm-lapsed', reason: 'trial', by: 'owner', at, until: '2026-11-01T00:00:00Z' });
    tx.put('matchDecisions', h, 'm-manual', { hubId: h, memberId: 'm-manual', outcome: 'onboarded', manual: true, directoryUserId: 'u-john', hubRole: 'manager', at });
    tx.put('matchDecisions', h, 'm-gone', { hubId: h, memberId: 'm-gone', outcome: 'onboarded', manual: true, directoryUserId: 'u-deleted', at });
  });
  return store;
}

describe('matching against the store', () => {
  test('the rows: members, listed invites, partner people, in that order', async () => {
    const store = await hubStore();
    assert.deepEqual((await memberRows(store, h)).map((r) => r.id), ['m-jane', 'm-jd', 'm-sam', 'm-guest', 'm-ex', 'm-lapsed', 'm-manual', 'm-gone', 'm-none', 'invite:9', 'partner:2:7']);
  });

  test('matchRows reads only what the rows need and decides each row as matching the whole hub does', async () => {
    const store = await hubStore();
    const rows = await memberRows(store, h);
    const whole = await matchHub(store, h, NOW);
    assert.deepEqual(whole.matches.map((m) => [m.memberId, m.outcome, m.directoryUserId ?? '']), [
      ['m-jane', 'onboarded', 'u-jane'], ['m-jd', 'onboarded', 'u-jane'], ['m-sam', 'unmatched', ''], ['m-guest', 'guest', ''], ['m-ex', 'exempted', 'u-kim'],
      ['m-lapsed', 'onboarded', 'u-john'], ['m-manual', 'onboarded', 'u-john'], ['m-gone', 'onboarded', 'u-kim'], ['m-none', 'unmatched', ''], ['invite:9', 'onboarded', 'u-john'], ['partner:2:7', 'guest', ''],
    ]);
    for (const row of rows) assert.deepEqual(await matchRows(store, h, NOW, [row]), await matchHub(store, h, NOW, [row]), row.id);
    assert.deepEqual(await matchRows(store, h, NOW, rows), whole);
    assert.deepEqual((await matchRows(store, h, NOW, rows)).lapsedExemptions.map((e) => e.memberId), ['m-lapsed']);
  });

  test('saveMatches reads the current matches through the transaction: stale rows go, unchanged ones are not rewritten', async () => {
    const store = await hubStore();
    await store.transact((tx) => {
      tx.put('memberMatches', h, 'm-left', { hubId: h, memberId: 'm-left', outcome: 'unmatched', manual: false, at });
    });
    const result = await matchHub(store, h, NOW);
    const first = await store.transact(async (tx) => saveMatches(tx, h, result, { trigger: { type: 'schedule' } }));
    assert.equal(first.changed, 1 + result.matches.length, 'the stale row and every new match');
    assert.equal(await store.get('memberMatches', h, 'm-left'), undefined);
    assert.equal(await store.get('exemptions', h, 'm-lapsed'), undefined, 'the lapsed exemption is retired');
    assert.equal((await collect(store.list('audit', h))).filter((e) => e.action === 'exemption-lapsed').length, 1);
    const again = await store.transact(async (tx) => saveMatches(tx, h, { matches: result.matches, lapsedExemptions: [] }, { trigger: { type: 'schedule' } }));
    assert.equal(again.changed, 0);
  });

  test('matchHub keeps only the directory identities rows and decisions can use, and decides as with the whole directory', async () => {
    const store = await hubStore();
    await store.transact((tx) => {
      for (let i = 0; i < 500; i++) tx.put('directoryUsers', h, `u-other${i}`, testUser(`u-other${i}`, `other${i}@example.com`));
    });
    const rows = await memberRows(store, h);
    const decisions = await collect(store.list('matchDecisions', h));
    const kept = await identitiesFor(store, h, rows, decisions);
    assert.deepEqual(kept.map((u) => u.id).sort(), ['u-jane', 'u-john', 'u-kim', 'u-sam1', 'u-sam2'], 'none of the 500 others: no row has their email');
    assert.deepEqual(kept.find((u) => u.id === 'u-jane')?.emails, ['Jane@Example.com', 'jd@example.org']);
    const everyone = await collect(store.list('directoryUsers', h));
    const whole = matchMembers({ hubId: h, now: NOW, rows, directoryUsers: everyone, guests: await collect(store.list('guests', h)), exemptions: await collect(store.list('exemptions', h)), decisions });
    assert.deepEqual(await matchHub(store, h, NOW), whole);
  });
  test('a directory user with no email (Entra without mail) is matched by an email-like userName, as the plan invites and governs them', async () => {
    const store = await hubStore();
    await store.transact((tx) => {
      const { email: _none, ...pat } = testUser('u-pat', 'pat@example.com');
      tx.put('directoryUsers', h, 'u-pat', { ...pat, emails: [] });
      // A userName is used only when the user sends no email at all: u-lee's email is lee@example.com.
      tx.put('directoryUsers', h, 'u-lee', { ...testUser('u-lee', 'lee@example.com'), userName: 'lee.upn@example.com' });
      for (const [id, email] of [['m-pat', 'Pat@Example.com'], ['m-lee', 'lee.upn@example.com']]) {
        tx.put('appMembers', h, id, { hubId: h, id, email, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
      }
    });
    const rows = (await memberRows(store, h)).filter((r) => r.id === 'm-pat' || r.id === 'm-lee');
    const whole = await matchHub(store, h, NOW, rows);
    assert.deepEqual(whole.matches.map((m) => [m.memberId, m.outcome, m.directoryUserId ?? '']), [['m-pat', 'onboarded', 'u-pat'], ['m-lee', 'unmatched', '']]);
    assert.deepEqual(await matchRows(store, h, NOW, rows), whole);
  });

  test("a row an earlier check matched to a user stays theirs once the IdP changed their email, on both paths", async () => {
    const store = await hubStore();
    await store.transact((tx) => {
      // Matched to u-john by email at an earlier check; since then the IdP changed John's email.
      tx.put('directoryUsers', h, 'u-john', testUser('u-john', 'john.new@example.com'));
      tx.put('appMembers', h, 'm-john', { hubId: h, id: 'm-john', email: 'john@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
      tx.put('memberMatches', h, 'm-john', { hubId: h, memberId: 'm-john', outcome: 'onboarded', manual: false, directoryUserId: 'u-john', at });
    });
    const rows = (await memberRows(store, h)).filter((r) => r.id === 'm-john');
    const whole = await matchHub(store, h, NOW, rows);
    assert.deepEqual(whole.matches.map((m) => [m.memberId, m.outcome, m.directoryUserId ?? '', m.reason ?? '']), [['m-john', 'onboarded', 'u-john', 'matched by directory user; email changed in the IdP']]);
    assert.deepEqual(await matchRows(store, h, NOW, rows), whole);
  });
  test('a lapsed exemption of a row that left the app is retired and audited at the hub-wide matching; one in force stays', async () => {
    const store = await hubStore();
    await store.transact((tx) => {
      tx.put('exemptions', h, 'm-left-app', { hubId: h, memberId: 'm-left-app', email: 'left@example.com', reason: 'pilot', by: 'owner', at, until: '2026-11-01T00:00:00.000Z' });
      tx.put('exemptions', h, 'invite:77', { hubId: h, memberId: 'invite:77', reason: 'agency', by: 'owner', at, until: '2027-01-01T00:00:00.000Z' });
    });
    const trigger = { type: 'schedule' as const };
    const result = await store.transact((tx) => rematchHub(tx, h, NOW, { trigger, taskId: 't1' }));
    assert.deepEqual(result.lapsedExemptions.map((e) => e.memberId).sort(), ['m-lapsed', 'm-left-app']);
    assert.equal(await store.get('exemptions', h, 'm-left-app'), undefined);
    assert.ok(await store.get('exemptions', h, 'invite:77'), 'in force: kept');
    const entry = (await collect(store.list('audit', h))).find((e) => e.action === 'exemption-lapsed' && e.subject?.memberId === 'm-left-app');
    assert.match(entry!.why, /"pilot" by owner lapsed on 2026-11-01T00:00:00.000Z; its row is no longer in the app/);
    assert.equal(entry?.taskId, 't1');
    const again = await store.transact((tx) => rematchHub(tx, h, NOW, { trigger }));
    assert.deepEqual(again.lapsedExemptions, [], 'nothing left to retire');
  });
});

test('per-row matching finds a guest registered decomposed before emailKey took NFC, for a seat the app lists precomposed', async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  await store.open();
  await store.transact((tx) => {
    // Keyed as registration keyed it then: trimmed and lower-cased only ("e" + U+0301).
    tx.put('guests', h, 'jose\u0301@partner.com', { hubId: h, email: 'jose\u0301@partner.com', by: 'owner', at });
    tx.put('appMembers', h, 'm-jose', { hubId: h, id: 'm-jose', email: 'Jos\u00e9@Partner.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
  });
  const rows = await memberRows(store, h);
  const byRow = (await matchRows(store, h, NOW, rows)).matches.map((m) => [m.memberId, m.outcome]);
  const whole = (await matchHub(store, h, NOW)).matches.map((m) => [m.memberId, m.outcome]);
  assert.deepEqual(byRow, [['m-jose', 'guest']]);
  assert.deepEqual(byRow, whole, 'as whole-hub matching');
});
