/**
 * An IdP group named with a decomposed character ("e" + U+0301, as macOS input and some sync
 * tools send it) is the team configured precomposed (U+00E9), and the other way round: the
 * person gets the team's role and assets, their hub role, their claim team's offer and seat, and
 * no removal is planned (groupKey, agent/desired-state/directory-records.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withCollections } from '../../config/schema.ts';
import { accessStore, directoryGroup, directoryUser, seedDirectory } from '../access/directory-fixtures.ts';
import { personOnHubs } from '../access/hub-access.ts';
import { offerChangesOf } from '../offers/sync-offers.ts';
import { offerIdOf, type OfferRecord } from '../offers/offer-record.ts';
import { planHub } from '../plan/plan-hub.ts';
import type { Transaction } from '../store/store.ts';
import { grantsOfHub } from './effective-grant.ts';
import { roleRulesOfHub } from './role-rules.ts';
import { completeImport, testGroup, testHub, testSeat, testUser } from './grant-fixtures.ts';

const COMPOSED = 'Caf\u00e9 Marketing';
const DECOMPOSED = 'Cafe\u0301 Marketing';
const AT = '2026-11-23T12:00:00.000Z';
const ASSET_TASKS = ['MANAGE', 'ADVERTISE', 'ANALYZE'];

/** [the config's spelling, the directory's] both ways round. */
const FORMS: Array<[string, string, string]> = [
  ['configured precomposed, sent decomposed', COMPOSED, DECOMPOSED],
  ['configured decomposed, sent precomposed', DECOMPOSED, COMPOSED],
];

function hubWith(group: string, team: Record<string, unknown> = {}) {
  return testHub({ teams: [{ group, hubRole: 'manager', appRole: 'ADMIN', assets: [{ type: 'ad_account', id: 'act_111', tasks: ASSET_TASKS }], ...team }] });
}

/** Jane and Bob in the group as the IdP sent its name; Bob seated ADMIN with the team's ad account; a complete import. */
function seedJaneAndBob(tx: Transaction, hubId: string, sent: string): void {
  tx.put('directoryUsers', hubId, 'u1', testUser('u1', 'jane@example.com'));
  tx.put('directoryUsers', hubId, 'u2', testUser('u2', 'bob@example.com'));
  tx.put('directoryGroups', hubId, 'g1', testGroup('g1', sent, ['u1', 'u2'], AT));
  tx.put('appMembers', hubId, 'm-bob', testSeat('m-bob', 'bob@example.com', 'ADMIN', AT));
  tx.put('appAssignments', hubId, 'ad_account:act_111:m-bob', { hubId, key: 'ad_account:act_111:m-bob', userId: 'm-bob', userType: 'member', asset: { type: 'ad_account', id: 'act_111' }, tasks: ASSET_TASKS });
  tx.put('appImports', hubId, hubId, completeImport(AT));
}

for (const [name, configured, sent] of FORMS) {
  test(`team group ${name}: a newcomer is invited with the team's role and assets, a member keeps seat, role and assets`, async () => {
    assert.notEqual(configured, sent);
    const hub = hubWith(configured);
    const store = await accessStore();
    await store.transact((tx) => {
      seedJaneAndBob(tx, hub.id, sent);
    });
    const result = await planHub(store, hub, { now: new Date(AT) });
    assert.deepEqual(result.operations.map((o) => o.key), ['invite:jane@example.com'], 'no removal, no role or asset change for bob');
    const invite = result.operations[0]!;
    assert.equal(invite.kind === 'invite' && invite.role, 'ADMIN');
    assert.deepEqual(invite.kind === 'invite' && invite.assets?.map((a) => [a.asset.type, a.asset.id, [...a.tasks].sort()]), [['ad_account', 'act_111', [...ASSET_TASKS].sort()]]);
    assert.deepEqual(result.held, []);
  });

  test(`team group ${name}: the hub role at dashboard sign-in is the team's`, async () => {
    const hubs = withCollections({ hubs: [hubWith(configured, { hubRole: 'owner' })] as never, collections: [] });
    const store = await accessStore();
    await seedDirectory(store, [directoryUser('meta-main', 'u1', ['jane@example.com'])], [directoryGroup('meta-main', 'g1', sent, ['u1'])]);
    const [jane] = await personOnHubs(store, hubs, 'jane@example.com');
    assert.equal(jane?.hubRole, 'owner');
  });

  test(`claim team group ${name}: the member is offered the seat, and once claimed keeps it (no removal)`, async () => {
    const hub = withCollections({ hubs: [hubWith(configured, { claim: true })] as never, collections: [] })[0]!;
    const store = await accessStore();
    await store.transact((tx) => {
      seedJaneAndBob(tx, hub.id, sent);
      // Bob claimed the offer the team made him (the offer records the group as configured).
      const id = offerIdOf(hub.id, 'u2', configured);
      const claimed: OfferRecord = {
        id, hubId: hub.id, directoryUserId: 'u2', email: 'bob@example.com', group: configured, appRole: 'ADMIN',
        assets: [{ type: 'ad_account', id: 'act_111', tasks: ASSET_TASKS }], status: 'claimed', offeredAt: AT, claimedAt: AT, claimedBy: 'admin', membership: configured.toLowerCase(),
      };
      tx.put('offers', hub.id, id, claimed);
    });
    const changes = await offerChangesOf(store, hub, undefined, new Date(AT));
    assert.deepEqual(changes.map((c) => [c.kind, c.record.directoryUserId, c.record.group]), [['offer-made', 'u1', configured]], 'jane is offered the seat; bob\'s claimed offer stands');
    const result = await planHub(store, hub, { now: new Date(AT) });
    assert.deepEqual(result.operations, [], 'jane is not invited before she claims; bob keeps his claimed seat');
  });
}

test('a claimed offer filed before the config re-spelled its claim team in the other Unicode form is still found: no second offer, the claimed seat stays in the grant', async () => {
  // The offer was made while the config spelled the team decomposed; the file now spells it composed.
  const hub = withCollections({ hubs: [hubWith(COMPOSED, { claim: true })] as never, collections: [] })[0]!;
  const store = await accessStore();
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u2', testUser('u2', 'bob@example.com'));
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', DECOMPOSED, ['u2'], AT));
    tx.put('appMembers', hub.id, 'm-bob', testSeat('m-bob', 'bob@example.com', 'ADMIN', AT));
    tx.put('appAssignments', hub.id, 'ad_account:act_111:m-bob', { hubId: hub.id, key: 'ad_account:act_111:m-bob', userId: 'm-bob', userType: 'member', asset: { type: 'ad_account', id: 'act_111' }, tasks: ASSET_TASKS });
    tx.put('appImports', hub.id, hub.id, completeImport(AT));
    const id = offerIdOf(hub.id, 'u2', DECOMPOSED);
    assert.notEqual(id, offerIdOf(hub.id, 'u2', COMPOSED));
    tx.put('offers', hub.id, id, {
      id, hubId: hub.id, directoryUserId: 'u2', email: 'bob@example.com', group: DECOMPOSED, appRole: 'ADMIN',
      assets: [{ type: 'ad_account', id: 'act_111', tasks: ASSET_TASKS }], status: 'claimed', offeredAt: AT, claimedAt: AT, claimedBy: 'admin', membership: DECOMPOSED.toLowerCase(),
    } satisfies OfferRecord);
  });
  assert.deepEqual(await offerChangesOf(store, hub, undefined, new Date(AT)), []);
  assert.deepEqual(await offerChangesOf(store, hub, ['u2'], new Date(AT)), [], 'his own reconcile makes no second offer either');
  const [bob] = await grantsOfHub(store, hub, roleRulesOfHub(hub));
  assert.equal(bob?.appRole, 'ADMIN', 'the claimed seat is in his grant (not a seat hubwarden leaves ungoverned)');
  assert.deepEqual(bob?.assets.map((a) => [a.type, a.id]), [['ad_account', 'act_111']]);
  assert.deepEqual((await planHub(store, hub, { now: new Date(AT) })).operations, [], 'bob keeps his claimed seat');
});
