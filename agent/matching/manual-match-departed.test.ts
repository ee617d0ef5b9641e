import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { computeGrant } from '../grants/effective-grant.ts';
import { TEST_RULES, testHub, testUser } from '../grants/grant-fixtures.ts';
import { plan } from '../plan/plan.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { matchRows, memberRows, rematchHub } from './hub-matching.ts';
import { DEPARTED } from './match-members.ts';

/**
 * An owner matched a seat by hand (its app email, a personal address, names no directory user)
 * to Jane; the IdP then deleted Jane (SCIM DELETE), her seat's removal still waiting (an owner's
 * report, the removal window). The next check for updates must keep the seat hers, so the plan
 * still removes it: falling back to email matching made it `unmatched`, which nothing removes.
 */
const hub = testHub();
const h = hub.id;
const NOW = '2026-11-23T12:00:00.000Z';

async function hubStore(stored = true) {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  await store.open();
  await store.transact((tx) => {
    tx.put('directoryUsers', h, 'u-owner', testUser('u-owner', 'owner@example.com', true));
    const member = (id: string, email: string, role: string) => tx.put('appMembers', h, id, { hubId: h, id, email, role, firstSeenAt: NOW, lastSeenAt: NOW });
    member('m-owner', 'owner@example.com', 'ADMIN');
    member('m-home', 'jane.home@gmail.com', 'EMPLOYEE');
    const manual = { hubId: h, memberId: 'm-home', outcome: 'onboarded' as const, manual: true, directoryUserId: 'u-jane', hubRole: 'manager', at: NOW };
    tx.put('matchDecisions', h, 'm-home', manual);
    if (stored) tx.put('memberMatches', h, 'm-home', manual);
    tx.put('departedUsers', h, 'u-jane', { hubId: h, directoryUserId: 'u-jane', userName: 'jane@example.com', emails: ['jane@example.com'], at: NOW });
  });
  return store;
}

describe("an owner's manual match to a user the IdP deleted", () => {
  test('stays theirs while their seat is to be removed (hub matching and row matching alike), without the hub role', async () => {
    const store = await hubStore();
    const rows = await memberRows(store, h);
    // An owner's decision just made (no stored match yet): row matching reads the departed record too.
    const fresh = await hubStore(false);
    const one = await matchRows(fresh, h, NOW, rows.filter((r) => r.id === 'm-home'));
    await store.transact((tx) => rematchHub(tx, h, NOW, { trigger: { type: 'schedule' } }));
    const saved = await store.get('memberMatches', h, 'm-home');
    assert.deepEqual({ ...saved, at: undefined }, { hubId: h, memberId: 'm-home', outcome: 'onboarded', manual: true, directoryUserId: 'u-jane', reason: DEPARTED, at: undefined });
    assert.deepEqual(one.matches, [saved]);
  });

  test('so the plan removes the seat', async () => {
    const store = await hubStore();
    await store.transact((tx) => rematchHub(tx, h, NOW, { trigger: { type: 'schedule' } }));
    const matches = await collect(store.list('memberMatches', h));
    const members = await collect(store.list('appMembers', h));
    const owner = computeGrant(hub, testUser('u-owner', 'owner@example.com', true), ['Meta Admins'], TEST_RULES);
    const r = plan({ hubId: h, grants: [owner], departed: [{ directoryUserId: 'u-jane', emails: ['jane@example.com'] }], managedAssets: [{ type: 'ad_account', id: 'act_111' }] },
      { complete: true, members, invites: [], systemUsers: [], assignments: [], matches, exemptions: [] }, { now: NOW, rules: TEST_RULES, drift: 'report' });
    assert.deepEqual(r.operations.filter((o) => o.email === 'jane.home@gmail.com').map((o) => o.kind), ['remove-member']);
  });

  test('not once a live directory user has the seat\'s email (the person created again): theirs by email', async () => {
    const store = await hubStore();
    await store.transact((tx) => { tx.put('directoryUsers', h, 'u-jane2', testUser('u-jane2', 'jane.home@gmail.com', true)); });
    await store.transact((tx) => rematchHub(tx, h, NOW, { trigger: { type: 'schedule' } }));
    const saved = await store.get('memberMatches', h, 'm-home');
    assert.deepEqual([saved?.outcome, saved?.directoryUserId, saved?.manual], ['onboarded', 'u-jane2', false]);
  });
});
