/**
 * My access of a seat an owner matched by hand to another person. The app knows seat m-s by
 * p@example.com (a Meta member's email is what the person typed when accepting, not the IdP's), and
 * an owner matched it by hand to Quinn (q@example.com): the seat is Quinn's. My access listed it,
 * its role and assets, on the page of Pat (p@example.com) because it carries her email, while her
 * standing (the SCIM user extension, write-back) said she holds no seat. Now My access follows the
 * match, as standing does: a row matched to another directory user is not the person's.
 *
 * A row matched to no one yet (no match, or a dispute between candidates) is the person's only when
 * they alone claim its email among the hub's directory users (standing.ts `claimantOfEmail`). My
 * access listed one carrying an email Pat shares with Pam, with its role and assets, on Pat's page,
 * while standing counted it for neither.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessStore, directoryGroup, directoryUser, SEEDED_AT as at, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { standingOfUser, standingsOfHub, toScimStatus } from '../../agent/standing/standing.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardConfig, serveDashboard, signedIn } from './web-fixtures.ts';

const HUB = 'acme-ads';
const config = dashboardConfig('manual-match-my-access', `
  - id: ${HUB}
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams:
      - { group: Sales, appRole: EMPLOYEE }
`);

const servers: TestServer[] = [];
after(async () => { for (const s of servers) await s.close(); });

const NOW = new Date('2026-11-02T00:00:00.000Z');

async function world(match: { manual: boolean }) {
  const store = await accessStore();
  const pat = directoryUser(HUB, 'u-pat', ['p@example.com'], { externalId: '00u-pat' });
  const quinn = directoryUser(HUB, 'u-quinn', ['q@example.com'], { externalId: '00u-quinn' });
  await seedDirectory(store, [pat, quinn], [directoryGroup(HUB, 'g-sales', 'Sales', ['u-pat', 'u-quinn'])]);
  await store.transact((tx) => {
    tx.put('appMembers', HUB, 'm-s', { hubId: HUB, id: 'm-s', email: 'p@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('memberMatches', HUB, 'm-s', { hubId: HUB, memberId: 'm-s', outcome: 'onboarded', directoryUserId: 'u-quinn', manual: match.manual, at });
    const key = 'ad_account:act_777:m-s';
    tx.put('appAssignments', HUB, key, { hubId: HUB, key, userId: 'm-s', userType: 'member', asset: { type: 'ad_account', id: 'act_777' }, tasks: ['MANAGE'] });
    // An invite to Pat's email that the owner matched to Quinn too.
    tx.put('appInvites', HUB, 'inv-s', { hubId: HUB, id: 'inv-s', email: 'p@example.com', role: 'ADMIN', status: 'pending', createdAt: at, expiresAt: '2099-01-01T00:00:00.000Z', sentByHubwarden: false, resendCount: 0, lastSeenAt: at });
    tx.put('memberMatches', HUB, 'invite:inv-s', { hubId: HUB, memberId: 'invite:inv-s', outcome: 'onboarded', directoryUserId: 'u-quinn', manual: match.manual, at });
  });
  const sessions = new SessionStore(store);
  const server = await serveDashboard({ config, agent: new FakeAgent(), store, sessions });
  servers.push(server);
  const page = async (email: string, idpUserId: string) => {
    const as = await signedIn(sessions, email, { idpUserIds: [idpUserId] });
    const res = await fetch(`${server.url}/ui/my-access`, { headers: { cookie: as.cookie } });
    assert.equal(res.status, 200);
    return res.text();
  };
  return { store, page };
}

for (const manual of [true, false]) describe(`My access of a seat ${manual ? 'an owner matched by hand' : 'matching matched'} to another person`, () => {
  test('the seat carrying Pat\'s email, matched to Quinn, shows on Quinn\'s page, not on Pat\'s; standing agrees', async () => {
    const w = await world({ manual });
    const pat = await w.page('p@example.com', '00u-pat');
    assert.doesNotMatch(pat, /data-seat="m-s"/, 'Quinn\'s seat is not Pat\'s');
    assert.doesNotMatch(pat, /act_777/, 'nor its assets');
    assert.doesNotMatch(pat, /data-invite="inv-s"/, 'nor the invite matched to Quinn');
    const quinn = await w.page('q@example.com', '00u-quinn');
    assert.match(quinn, /data-seat="m-s"/, 'the seat is Quinn\'s');
    assert.match(quinn, /act_777/);
    assert.match(quinn, /data-invite="inv-s"/);
    // The SCIM user extension and write-back read standing: the same rows, the same answer.
    assert.equal(toScimStatus((await standingOfUser(w.store, HUB, 'u-pat', NOW)).standing), 'not_in_hub');
    assert.deepEqual((await standingOfUser(w.store, HUB, 'u-quinn', NOW)).rows, ['m-s', 'invite:inv-s']);
    const hub = await standingsOfHub(w.store, HUB, NOW);
    assert.equal(hub.get('u-pat')?.standing, 'none');
    assert.equal(hub.get('u-quinn')?.standing, 'onboarded');
  });
});

/**
 * Pat and Pam, both active, share p@example.com (Okta and Entra do not keep emails unique); Pat also
 * alone holds pat@example.com. Rows carrying the shared email and matched to no one: seat m-u and
 * invite inv-u not matched yet, and seat m-d that matching left disputed between them. Rows carrying
 * Pat's own address: seat m-own and invite inv-own, not matched yet. `leaver`: Pat shares
 * pat@example.com with a deactivated account too, which claims nothing (the claimant rule).
 */
async function sharedWorld(o: { leaver?: boolean } = {}) {
  const store = await accessStore();
  const pat = directoryUser(HUB, 'u-pat', ['p@example.com', 'pat@example.com'], { externalId: '00u-pat' });
  const pam = directoryUser(HUB, 'u-pam', ['p@example.com'], { externalId: '00u-pam' });
  const leaver = directoryUser(HUB, 'u-old', ['pat@example.com'], { active: false, externalId: '00u-old' });
  await seedDirectory(store, [pat, pam, ...(o.leaver ? [leaver] : [])], [directoryGroup(HUB, 'g-sales', 'Sales', ['u-pat', 'u-pam'])]);
  await store.transact((tx) => {
    const member = (id: string, email: string, asset: string) => {
      tx.put('appMembers', HUB, id, { hubId: HUB, id, email, role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
      const key = `ad_account:${asset}:${id}`;
      tx.put('appAssignments', HUB, key, { hubId: HUB, key, userId: id, userType: 'member', asset: { type: 'ad_account', id: asset }, tasks: ['MANAGE'] });
    };
    const invite = (id: string, email: string) => tx.put('appInvites', HUB, id, { hubId: HUB, id, email, role: 'ADMIN', status: 'pending', createdAt: at, expiresAt: '2099-01-01T00:00:00.000Z', sentByHubwarden: false, resendCount: 0, lastSeenAt: at });
    member('m-u', 'p@example.com', 'act_801');
    member('m-d', 'P@Example.com', 'act_802');
    tx.put('memberMatches', HUB, 'm-d', { hubId: HUB, memberId: 'm-d', outcome: 'unmatched', candidates: ['u-pat', 'u-pam'], manual: false, at });
    invite('inv-u', 'p@example.com');
    member('m-own', 'pat@example.com', 'act_803');
    invite('inv-own', 'pat@example.com');
  });
  const sessions = new SessionStore(store);
  const server = await serveDashboard({ config, agent: new FakeAgent(), store, sessions });
  servers.push(server);
  const page = async (email: string, idpUserId: string) => {
    const as = await signedIn(sessions, email, { idpUserIds: [idpUserId] });
    const res = await fetch(`${server.url}/ui/my-access`, { headers: { cookie: as.cookie } });
    assert.equal(res.status, 200);
    return res.text();
  };
  return { store, page };
}

const SHARED_ROWS = /data-seat="m-u"|data-seat="m-d"|data-invite="inv-u"|act_801|act_802/;

describe('My access of a row matched to no one, carrying an email several directory users hold', () => {
  test('not listed on either namesake\'s page, with no role or assets; standing counts it for neither', async () => {
    const w = await sharedWorld();
    for (const [email, id] of [['p@example.com', '00u-pat'], ['p@example.com', '00u-pam'], ['pat@example.com', '00u-pat']] as const) {
      const page = await w.page(email, id);
      assert.doesNotMatch(page, SHARED_ROWS, `${id} signed in as ${email}: no undecided row of the shared email`);
      assert.doesNotMatch(page, /data-field="withheld"/, 'the sign-in names the person');
    }
    // The disputed seat's candidates read that a seat may be theirs (standing `unmatched`), an owner decides.
    assert.match(await w.page('p@example.com', '00u-pam'), /data-field="standing"><span class="badge unmatched">/);
    const pam = await standingOfUser(w.store, HUB, 'u-pam', NOW);
    assert.deepEqual([pam.standing, pam.rows], ['unmatched', []]);
    assert.deepEqual((await standingOfUser(w.store, HUB, 'u-pat', NOW)).rows, ['m-own', 'invite:inv-own']);
    assert.deepEqual((await standingsOfHub(w.store, HUB, NOW)).get('u-pat')?.rows, ['m-own', 'invite:inv-own']);
  });

  for (const leaver of [false, true]) test(`the rows of the address Pat alone holds${leaver ? ' (beside a deactivated account with it)' : ''} are listed with role and assets; the shared ones are not`, async () => {
    const w = await sharedWorld({ leaver });
    const page = await w.page('p@example.com', '00u-pat');
    assert.match(page, /data-seat="m-own"/, 'her own seat');
    assert.match(page, /act_803/, 'and its assets');
    assert.match(page, /data-invite="inv-own"/, 'her own invite');
    assert.doesNotMatch(page, SHARED_ROWS);
    assert.equal((await standingOfUser(w.store, HUB, 'u-pat', NOW)).standing, 'onboarded');
  });
});
