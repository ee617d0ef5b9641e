import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import type { HubConfigFile } from '../../config/schema.ts';
import { computeGrant } from '../grants/effective-grant.ts';
import { TEST_RULES, testHub, testUser } from '../grants/grant-fixtures.ts';
import { decideOffers } from './sync-offers.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { claimOffer, claimOwnOffer, offersOf } from './offer-api.ts';
import { offerIdOf, type OfferRecord } from './offer-record.ts';

const hub = testHub({ teams: [{ group: 'Brand', appRole: 'EMPLOYEE', claim: true, assets: [] }] });
const NOW = new Date('2026-11-23T12:00:00.000Z');
const flow = { type: 'okta-workflows' as const, actor: 'claim-flow' };
const id = offerIdOf(hub.id, 'u-jane', 'Brand');

/** Jane, in the claim team Brand (unless `groups` says otherwise), with one offer of it. */
async function storeWith(offer: Partial<OfferRecord>, jane = { active: true, groups: ['Brand'] }) {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  await store.open();
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-jane', testUser('u-jane', 'jane@example.com', jane.active));
    for (const g of jane.groups) tx.put('directoryGroups', hub.id, `g-${g}`, { hubId: hub.id, id: `g-${g}`, displayName: g, members: [{ value: 'u-jane' }], scim: {}, created: 'x', lastModified: 'x', version: 1 });
    tx.put('offers', hub.id, id, { id, hubId: hub.id, directoryUserId: 'u-jane', email: 'jane@example.com', group: 'Brand', appRole: 'EMPLOYEE', assets: [], status: 'offered', offeredAt: '2026-11-20T00:00:00.000Z', expiresAt: '2026-12-20T00:00:00.000Z', membership: 'brand', ...offer });
  });
  return store;
}

describe('claiming an offer', () => {
  test('claimed once: the offer is claimed, audited with who, and the person re-evaluated; a second claim reuses that task', async () => {
    const store = await storeWith({});
    const first = await claimOffer(store, [hub], 'Jane@Example.com', id, flow, NOW);
    const second = await claimOffer(store, [hub], 'jane@example.com', id, flow, NOW);
    assert.equal(second.id, first.id, 'one re-evaluation task');
    assert.equal(first.kind, 'reconcile-person');
    const offer = (await store.get('offers', hub.id, id))!;
    assert.deepEqual([offer.status, offer.claimedAt, offer.claimedBy], ['claimed', NOW.toISOString(), 'okta-workflows:claim-flow']);
    const audit = (await collect(store.list('audit', hub.id))).filter((e) => e.action === 'offer-claimed');
    assert.equal(audit.length, 1);
    assert.deepEqual(audit[0]!.trigger, flow);
    assert.deepEqual((await offersOf(store, [hub], 'jane@example.com', NOW)).map((o) => o.status), ['claimed']);
  });

  test('an expired offer is refused (conflict); an unknown one is not-found; nothing changes', async () => {
    const store = await storeWith({ expiresAt: '2026-11-22T00:00:00.000Z' });
    assert.deepEqual((await offersOf(store, [hub], 'jane@example.com', NOW)).map((o) => o.status), ['expired'], 'past its expiry reads as expired before any reconcile');
    await assert.rejects(claimOffer(store, [hub], 'jane@example.com', id, flow, NOW), (e: Error & { kind?: string }) => e.kind === 'conflict' && /expired on 2026-11-22/.test(e.message));
    await assert.rejects(claimOffer(store, [hub], 'jane@example.com', 'offer-nope', flow, NOW), (e: Error & { kind?: string }) => e.kind === 'not-found');
    await assert.rejects(claimOffer(store, [hub], 'bob@example.com', id, flow, NOW), (e: Error & { kind?: string }) => e.kind === 'not-found', 'another person cannot claim it');
    assert.equal((await store.get('offers', hub.id, id))!.status, 'offered');
    assert.equal((await collect(store.list('tasks', hub.id))).length, 0);
  });

  test('an offer whose person left the claim team or was deactivated (its withdrawal not yet dispatched) is not claimed', async () => {
    for (const jane of [{ active: true, groups: [] }, { active: true, groups: ['Other'] }, { active: false, groups: ['Brand'] }]) {
      const store = await storeWith({}, jane);
      await assert.rejects(claimOffer(store, [hub], 'jane@example.com', id, flow, NOW),
        (e: Error & { kind?: string }) => e.kind === 'not-found' && /withdrawn/.test(e.message), JSON.stringify(jane));
      assert.equal((await store.get('offers', hub.id, id))!.status, 'offered', 'nothing claimed: a later return to the team must not seat them unasked');
      assert.equal((await collect(store.list('tasks', hub.id))).length, 0);
      const audit = await collect(store.list('audit', hub.id));
      assert.equal(audit.filter((e) => e.outcome !== 'failed').length, 0, 'no offer-claimed entry saying the grant is desired');
      assert.ok(audit.some((e) => e.action === 'offer-claimed' && e.outcome === 'failed' && /refused, offer .* is withdrawn/.test(e.why)), 'the refused claim is audited as failed');
    }
  });
});

describe('a collection\'s offer days shortened after the offer was made', () => {
  // The offer was made on 2026-11-20 under 30 days (expiry 2026-12-20); the collection now says 7,
  // as withCollections gives its teams: it lapsed on 2026-11-27.
  const withDays = (offerDays: number): HubConfigFile => ({ ...hub, teams: hub.teams.map((t) => ({ ...t, offerDays })) });
  const shortened = withDays(7);
  const LATER = new Date('2026-11-28T12:00:00.000Z');

  test('a claim after the new days is refused (conflict, audited) and nothing is granted; the offer reads as expired then', async () => {
    const store = await storeWith({});
    await assert.rejects(claimOffer(store, [shortened], 'jane@example.com', id, flow, LATER), (e: Error & { kind?: string }) => e.kind === 'conflict' && /expired on 2026-11-27T00:00:00.000Z/.test(e.message));
    assert.equal((await store.get('offers', hub.id, id))!.status, 'offered');
    assert.equal((await collect(store.list('tasks', hub.id))).length, 0);
    assert.deepEqual((await offersOf(store, [shortened], 'jane@example.com', LATER)).map((o) => [o.status, o.expiresAt]), [['expired', '2026-11-27T00:00:00.000Z']]);
    const failed = (await collect(store.list('audit', hub.id))).filter((e) => e.action === 'offer-claimed' && e.outcome === 'failed');
    assert.equal(failed.length, 1);
    const grant = computeGrant(shortened, testUser('u-jane', 'jane@example.com', true), ['Brand'], TEST_RULES);
    assert.deepEqual(decideOffers(hub.id, 'u-jane', grant, [(await store.get('offers', hub.id, id))!], LATER).map((c) => [c.kind, c.record.status, c.record.expiresAt]),
      [['offer-expired', 'expired', '2026-11-27T00:00:00.000Z']], 'a reconcile records it expired by the new days');
  });

  test('within the new days it is claimed; lengthened days never extend an offer already made', async () => {
    const store = await storeWith({});
    await claimOffer(store, [shortened], 'jane@example.com', id, flow, new Date('2026-11-26T12:00:00.000Z'));
    assert.equal((await store.get('offers', hub.id, id))!.status, 'claimed');
    const longer = withDays(90);
    const again = await storeWith({});
    await assert.rejects(claimOffer(again, [longer], 'jane@example.com', id, flow, new Date('2026-12-21T00:00:00.000Z')), (e: Error & { kind?: string }) => e.kind === 'conflict');
  });
});

describe('a signed-in person claiming their own offer when two directory users share the email', () => {
  const twinOffer = offerIdOf(hub.id, 'u-jay', 'Brand');
  /** Jane's store, plus Jay: active, in Brand, with Jane's email and an offer of his own. */
  async function withTwin() {
    const store = await storeWith({});
    await store.transact((tx) => {
      tx.put('directoryUsers', hub.id, 'u-jay', { ...testUser('u-jay', 'jane@example.com', true), externalId: '00u-jay' });
      tx.put('directoryGroups', hub.id, 'g-Brand', { hubId: hub.id, id: 'g-Brand', displayName: 'Brand', members: [{ value: 'u-jane' }, { value: 'u-jay' }], scim: {}, created: 'x', lastModified: 'x', version: 1 });
      tx.put('offers', hub.id, twinOffer, { id: twinOffer, hubId: hub.id, directoryUserId: 'u-jay', email: 'jane@example.com', group: 'Brand', appRole: 'EMPLOYEE', assets: [], status: 'offered', offeredAt: '2026-11-20T00:00:00.000Z', expiresAt: '2026-12-20T00:00:00.000Z', membership: 'brand' });
    });
    return store;
  }
  const me = { email: 'jane@example.com', idpUserIds: ['00u-nobody'] };

  test('refused (permission-denied) and audited as failed when the sign-in names neither; nothing claimed or queued', async () => {
    const store = await withTwin();
    await assert.rejects(claimOwnOffer(store, [hub], me, twinOffer, flow, NOW), (e: Error & { kind?: string }) => e.kind === 'permission-denied' && /another person's/.test(e.message));
    assert.equal((await store.get('offers', hub.id, twinOffer))!.status, 'offered');
    assert.equal((await collect(store.list('tasks', hub.id))).length, 0);
    const audit = (await collect(store.list('audit', hub.id))).filter((e) => e.action === 'offer-claimed');
    assert.deepEqual(audit.map((e) => [e.outcome, e.subject?.directoryUserId]), [['failed', 'u-jay']]);
  });

  test('an administrator claiming for the email (the admin API) is not a sign-in: unchanged', async () => {
    const store = await withTwin();
    await claimOffer(store, [hub], 'jane@example.com', twinOffer, flow, NOW);
    assert.equal((await store.get('offers', hub.id, twinOffer))!.status, 'claimed');
  });
});
