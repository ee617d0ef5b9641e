/**
 * Two directory users with one email (Okta does not keep primary emails unique, Entra's `mail` is
 * not unique either): a person signing in with that email was treated as both, saw the other
 * person's offers on My access and could claim them. Now, on a hub where the email names more
 * than one active directory user and the sign-in's IdP id names none of them, offers are withheld
 * and a claim is refused 403 and audited as failed; an IdP id matching one user's `externalId`
 * (Okta: the user id is both the SCIM externalId and the ID token's `sub`) makes it that user's.
 * The claim runs the agent's own code (agent/offers/offer-api.ts) over a memory store.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineAccessIndexes, directoryGroup, directoryUser, SEEDED_AT as at, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import type { DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { offerIdOf } from '../../agent/offers/offer-record.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { suiteStores, type SuiteStore } from '../../test/suite-stores.ts';
import { SessionStore } from './session-store.ts';
import { CLAIM_HUB, ClaimingAgent, claimConfig, offerBrand } from './claim-fixtures.ts';
import { serveDashboard, signedIn } from './web-fixtures.ts';

const HUB = CLAIM_HUB;
const { config, hubs } = claimConfig('shared-email-claim');

const user = (id: string, externalId: string, active = true): DirectoryUserRecord =>
  directoryUser(HUB, id, ['jane@example.com'], { externalId, userName: `${id}@idp.example`, active });

/** The directory users (all in the claim team Brand), and an offer of Brand to each of `offeredTo`. */
async function world(kind: SuiteStore, users: DirectoryUserRecord[], offeredTo: string[]) {
  const { store, dispose } = await kind.open();
  opened.push(dispose);
  defineAccessIndexes(store);
  await seedDirectory(store, users, [directoryGroup(HUB, 'g-brand', 'Brand', users.map((u) => u.id))]);
  // Offered today: an offer lapses by its team's offer days (30 here) whatever expiry it carries.
  await store.transact((tx) => { for (const id of offeredTo) offerBrand(tx, id, 'jane@example.com'); });
  const sessions = new SessionStore(new MemoryStore());
  const server = await serveDashboard({ config, agent: new ClaimingAgent(store, hubs), store, sessions });
  /** A session of someone the IdP signed in as jane@example.com, with these IdP ids (`sub`, `oid`). */
  const signIn = (idpUserIds: string[]) => signedIn(sessions, 'jane@example.com', { idpUserIds });
  const myAccess = async (as: { cookie: string }) => (await fetch(`${server.url}/ui/my-access`, { headers: { cookie: as.cookie } })).text();
  const claim = (as: { cookie: string; csrf: string }, offerId: string) => fetch(`${server.url}/ui/my-access/offers/${encodeURIComponent(offerId)}/claim`, {
    method: 'POST', redirect: 'manual', headers: { cookie: as.cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: as.csrf }),
  });
  const statusOf = async (offerId: string) => (await store.get('offers', HUB, offerId))?.status;
  const claimAudit = async () => (await collect(store.list('audit', HUB))).filter((e) => e.action === 'offer-claimed');
  const tasks = async () => (await collect(store.list('tasks', HUB))).length;
  return { server, signIn, myAccess, claim, statusOf, claimAudit, tasks };
}

const claimForm = (offerId: string) => `/ui/my-access/offers/${encodeURIComponent(offerId)}/claim`;

const opened: Array<() => Promise<void>> = [];
after(async () => { for (const dispose of opened) await dispose(); });

// The claim's checks run in the store's transaction: on the memory store and on PostgreSQL.
for (const kind of await suiteStores('memory', 'postgres')) describe(`My access when two directory users share the signed-in email (${kind.kind})`, { skip: kind.skip }, () => {
  const jayOffer = offerIdOf(HUB, 'u-jay', 'Brand');
  const janeOffer = offerIdOf(HUB, 'u-jane', 'Brand');

  test('the sign-in names neither: the other person\'s offer is not shown, its claim is refused 403 and audited, nothing is granted', async () => {
    const w = await world(kind, [user('u-jane', '00u-jane'), user('u-jay', '00u-jay')], ['u-jay']);
    try {
      const jane = await w.signIn(['00u-someone-else']);
      const page = await w.myAccess(jane);
      assert.doesNotMatch(page, new RegExp(`data-offer="${jayOffer}"`), 'the other person\'s offer is not listed');
      assert.ok(!page.includes(claimForm(jayOffer)), 'no Claim button for it');
      assert.match(page, /data-field="withheld"/);
      const res = await w.claim(jane, jayOffer);
      assert.equal(res.status, 403);
      assert.match(await res.text(), /More than one person in this hub.{1,6}s directory has your email/);
      assert.equal(await w.statusOf(jayOffer), 'offered', 'not claimed');
      assert.equal(await w.tasks(), 0, 'nobody re-evaluated, so nobody invited');
      const audit = await w.claimAudit();
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.outcome, 'failed');
      assert.deepEqual(audit[0]!.trigger, { type: 'dashboard', actor: 'jane@example.com', detail: 'oidc' });
      assert.match(audit[0]!.why, /refused, offer .* may be another person's: more than one active directory user has this email/);
      assert.doesNotMatch(JSON.stringify(audit[0]), /00u-/, 'no IdP id in the trail');
    } finally {
      await w.server.close();
    }
  });

  test('the sign-in\'s IdP id is one user\'s externalId: that user\'s offers are theirs, the other\'s are not', async () => {
    const w = await world(kind, [user('u-jane', '00u-jane'), user('u-jay', '00u-jay')], ['u-jane', 'u-jay']);
    try {
      const jane = await w.signIn(['00u-jane']);
      const page = await w.myAccess(jane);
      assert.ok(page.includes(claimForm(janeOffer)), 'her own offer can be claimed');
      assert.ok(!page.includes(`data-offer="${jayOffer}"`), 'his is not listed');
      assert.doesNotMatch(page, /data-field="withheld"/);
      assert.equal((await w.claim(jane, jayOffer)).status, 404, 'his offer is not one of hers');
      assert.equal(await w.statusOf(jayOffer), 'offered');
      assert.equal((await w.claim(jane, janeOffer)).status, 303);
      assert.equal(await w.statusOf(janeOffer), 'claimed');
      assert.deepEqual((await w.claimAudit()).map((e) => [e.subject?.directoryUserId, e.outcome]), [['u-jay', 'failed'], ['u-jane', 'ok']]);
    } finally {
      await w.server.close();
    }
  });

  test('the sign-in names a deactivated namesake: the active person\'s offer is not theirs to see or claim', async () => {
    const w = await world(kind, [user('u-jane', '00u-jane', false), user('u-jay', '00u-jay')], ['u-jay']);
    try {
      const jane = await w.signIn(['00u-jane']);
      assert.ok(!(await w.myAccess(jane)).includes(`data-offer="${jayOffer}"`), 'his offer is not listed');
      assert.equal((await w.claim(jane, jayOffer)).status, 404, 'his offer is not one of hers');
      assert.equal(await w.statusOf(jayOffer), 'offered');
      assert.equal(await w.tasks(), 0);
    } finally {
      await w.server.close();
    }
  });

  test('a leaver action holds a namesake, and the sign-in names neither: the IdP may be signing the leaver in, so the active person\'s offer is refused 403, not claimed', async () => {
    const leaver: DirectoryUserRecord = { ...user('u-jane', '00u-jane'), offboarded: { at, by: 'entra-lifecycle' } };
    const w = await world(kind, [leaver, user('u-jay', '00u-jay')], ['u-jay']);
    try {
      const jane = await w.signIn(['oid-of-someone']);
      assert.ok(!(await w.myAccess(jane)).includes(claimForm(jayOffer)), 'no Claim button for his offer');
      assert.equal((await w.claim(jane, jayOffer)).status, 403);
      assert.equal(await w.statusOf(jayOffer), 'offered', 'not claimed');
      assert.equal(await w.tasks(), 0, 'nobody re-evaluated, so nobody invited');
      assert.deepEqual((await w.claimAudit()).map((e) => e.outcome), ['failed']);
      // His own sign-in, naming him, claims it.
      assert.equal((await w.claim(await w.signIn(['00u-jay']), jayOffer)).status, 303);
      assert.equal(await w.statusOf(jayOffer), 'claimed');
    } finally {
      await w.server.close();
    }
  });

  test('one directory user with the email (a deactivated namesake aside): the claim works as before, whatever the sign-in\'s ids', async () => {
    for (const users of [[user('u-jane', '00u-jane')], [user('u-jane', '00u-jane'), user('u-jay', '00u-jay', false)]]) {
      const w = await world(kind, users, ['u-jane']);
      try {
        const jane = await w.signIn([]);
        assert.ok((await w.myAccess(jane)).includes(claimForm(janeOffer)), `${users.length} users: Claim shown`);
        const res = await w.claim(jane, janeOffer);
        assert.equal(res.status, 303);
        assert.equal(await w.statusOf(janeOffer), 'claimed');
        assert.equal(await w.tasks(), 1, 'the re-evaluation that invites her');
        assert.deepEqual((await w.claimAudit()).map((e) => e.outcome), ['ok']);
      } finally {
        await w.server.close();
      }
    }
  });
});
