/**
 * Hub roles and My access of an email two directory users share (Okta does not keep primary emails
 * unique, Entra's `mail` is not unique either). A person signing in with it got the highest hub
 * role of both, so a namesake in the owners' group made them an owner, and My access listed both
 * people's seats and invites. Now the role and holdings are only those of the directory user whose
 * `externalId` is the sign-in's `sub`/`oid` (agent/access/hub-access.ts `signInOnHub`, the rule
 * claims follow); when it names neither, the lowest role of the two and no holdings. The own-seat
 * rule still counts both as the person (the strict side there). Sessions as OIDC sign-in starts
 * them (email and IdP ids), the directory and app state in the store, the agent a fake.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberView } from '../../agent/api.ts';
import { defineAccessIndexes, directoryGroup, directoryUser, SEEDED_AT as at, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import type { DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { personOnHubs } from '../../agent/access/hub-access.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { withCollections } from '../../config/schema.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { suiteStores, type SuiteStore } from '../../test/suite-stores.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, dashboardConfig, serveDashboard, signedIn, type SignedIn } from './web-fixtures.ts';

const HUB = 'acme-ads';
const config = dashboardConfig('shared-email-hub-role', `
  - id: ${HUB}
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams:
      - { group: Acme Owners, hubRole: owner, appRole: ADMIN }
      - { group: Sales, appRole: EMPLOYEE }
`);
const hubs = withCollections(config.file);

/** Jane (Sales: a collaborator) and Jay (Acme Owners), both sent by the IdP with jane@example.com. */
const user = (id: string, externalId: string, emails: string[], active = true): DirectoryUserRecord =>
  directoryUser(HUB, id, emails, { externalId, userName: `${id}@idp.example`, active });
const JANE = user('u-jane', '00u-jane', ['jane@example.com', 'jane.doe@example.com']);
const JAY = user('u-jay', '00u-jay', ['jane@example.com']);

async function world(kind: SuiteStore, users: DirectoryUserRecord[]) {
  const { store, dispose } = await kind.open();
  opened.push(dispose);
  defineAccessIndexes(store);
  await seedDirectory(store, users, [directoryGroup(HUB, 'g-owners', 'Acme Owners', ['u-jay']), directoryGroup(HUB, 'g-sales', 'Sales', ['u-jane'])]);
  await store.transact((tx) => {
    // Jane's seat (under her other address) and Jay's, which the app knows by the shared email,
    // with an invite to it; an owner matched Jay's to him.
    tx.put('appMembers', HUB, 'm-jane', { hubId: HUB, id: 'm-jane', email: 'jane.doe@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('memberMatches', HUB, 'm-jane', { hubId: HUB, memberId: 'm-jane', outcome: 'onboarded', directoryUserId: 'u-jane', manual: false, at });
    tx.put('appMembers', HUB, 'm-jay', { hubId: HUB, id: 'm-jay', email: 'jane@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('memberMatches', HUB, 'm-jay', { hubId: HUB, memberId: 'm-jay', outcome: 'onboarded', directoryUserId: 'u-jay', manual: true, at });
    tx.put('appInvites', HUB, 'inv-jay', { hubId: HUB, id: 'inv-jay', email: 'jane@example.com', role: 'ADMIN', status: 'pending', createdAt: at, expiresAt: '2099-01-01T00:00:00.000Z', sentByHubwarden: true, resendCount: 0, lastSeenAt: at });
    tx.put('memberMatches', HUB, 'invite:inv-jay', { hubId: HUB, memberId: 'invite:inv-jay', outcome: 'onboarded', directoryUserId: 'u-jay', manual: true, at });
  });
  const agent = new FakeAgent();
  const row = (id: string, email: string, directoryUserId: string): MemberView => ({ hubId: HUB, id, status: 'onboarded', email, appRole: 'EMPLOYEE', assets: [], grantedBy: [], kind: 'member', directoryUserId });
  agent.membersByHub.get(HUB)!.push(row('m-jane', 'jane.doe@example.com', 'u-jane'));
  const sessions = new SessionStore(new MemoryStore());
  const server = await serveDashboard({ config, agent, store, sessions });
  /** A session of someone the IdP signed in as jane@example.com, with these IdP ids (`sub`, `oid`). */
  const signIn = (idpUserIds: string[]) => signedIn(sessions, 'jane@example.com', { idpUserIds });
  const call = dashboardCaller(() => server);
  const myAccess = async (as: SignedIn) => (await call(as, 'GET', '/ui/my-access')).text();
  return { store, agent, server, signIn, call, myAccess };
}

const role = (page: string) => /data-field="hub-role">([^<]*)</.exec(page)?.[1];
const SETTINGS = `/ui/hubs/${HUB}?tab=settings`;

const opened: Array<() => Promise<void>> = [];
after(async () => { for (const dispose of opened) await dispose(); });

// Roles are read by index lookups, which each store answers its own way: memory and PostgreSQL.
for (const kind of await suiteStores('memory', 'postgres')) describe(`hub role of an email two directory users share (${kind.kind})`, { skip: kind.skip }, () => {
  test('the sign-in names neither: not the namesake\'s owner role but the lowest of both; no settings, no managing; My access withholds both people\'s seats and invites', async () => {
    const w = await world(kind, [JANE, JAY]);
    try {
      assert.deepEqual(await personOnHubs(w.store, hubs, 'jane@example.com', ['00u-someone-else']), [
        { hubId: HUB, hubRole: 'collaborator', directoryUserIds: ['u-jane', 'u-jay'], emails: ['jane@example.com', 'jane.doe@example.com'], ownDirectoryUserIds: [] },
      ], 'the own-seat lists keep both directory users and every email of theirs; the sign-in names neither as the person');
      assert.equal((await personOnHubs(w.store, hubs, 'jane@example.com'))[0]!.hubRole, 'collaborator', 'no IdP ids at all: the same');
      const jane = await w.signIn(['00u-someone-else']);
      assert.equal((await w.call(jane, 'GET', SETTINGS)).status, 403, 'the owner-only settings tab');
      assert.equal((await w.call(jane, 'GET', `/ui/api/v1/hubs/${HUB}/members`)).status, 403, 'nor a manager\'s read');
      assert.equal((await w.call(jane, 'POST', `/ui/api/v1/hubs/${HUB}/check-for-updates`)).status, 403, 'nor a manager\'s action');
      assert.deepEqual(w.agent.writes(), []);
      const page = await w.myAccess(jane);
      assert.equal(role(page), 'collaborator');
      assert.match(page, /data-field="withheld">More than one person in this hub.{1,6}s directory has your email/);
      assert.doesNotMatch(page, /data-seat=|data-invite=|data-field="standing"/, 'neither person\'s seat or invite, no standing');
    } finally {
      await w.server.close();
    }
  });

  test('the sign-in\'s IdP id is the collaborator\'s externalId: a collaborator, with only her own seat', async () => {
    const w = await world(kind, [JANE, JAY]);
    try {
      const jane = await w.signIn(['pairwise-sub', '00u-jane']);
      assert.equal((await w.call(jane, 'GET', SETTINGS)).status, 403);
      assert.equal((await w.call(jane, 'POST', `/ui/api/v1/hubs/${HUB}/check-for-updates`)).status, 403);
      const page = await w.myAccess(jane);
      assert.equal(role(page), 'collaborator');
      assert.match(page, /data-seat="m-jane"/);
      assert.doesNotMatch(page, /data-seat="m-jay"|data-invite="inv-jay"|data-field="withheld"/, 'not Jay\'s seat or invite, though they carry her email');
    } finally {
      await w.server.close();
    }
  });

  test('the sign-in\'s IdP id is the owner\'s externalId: an owner, with his seat and invite; his namesake\'s seat is still his own-seat concern', async () => {
    const w = await world(kind, [JANE, JAY]);
    try {
      const jay = await w.signIn(['00u-jay']);
      assert.equal((await w.call(jay, 'GET', SETTINGS)).status, 200);
      const page = await w.myAccess(jay);
      assert.equal(role(page), 'owner');
      assert.match(page, /data-seat="m-jay"/);
      assert.match(page, /data-invite="inv-jay"/);
      assert.doesNotMatch(page, /data-seat="m-jane"/);
      // The own-seat rule counts every directory user of the email as the person (docs/security.md items 13, 28).
      const res = await w.call(jay, 'POST', `/ui/api/v1/hubs/${HUB}/members/m-jane/exempt`, { reason: 'keep it' });
      assert.equal(res.status, 403);
      assert.deepEqual(w.agent.writes(), []);
    } finally {
      await w.server.close();
    }
  });

  test('the sign-in names a deactivated or suspended namesake of the owner: not an owner, and not the owner\'s seat or invite', async () => {
    for (const jane of [{ ...JANE, active: false }, { ...JANE, suspended: { at, by: 'admin-token:boss' } }]) {
      const w = await world(kind, [jane, JAY]);
      try {
        const as = await w.signIn(['00u-jane']);
        assert.equal((await w.call(as, 'GET', SETTINGS)).status, 403, 'the owner-only settings tab');
        const page = await w.myAccess(as);
        assert.equal(role(page), 'none');
        assert.doesNotMatch(page, /data-seat="m-jay"|data-invite="inv-jay"/);
      } finally {
        await w.server.close();
      }
    }
    // Two active owners share it too (a stale duplicate): not the lowest of theirs either.
    const jim = user('u-jim', '00u-jim', ['jane@example.com']);
    const w = await world(kind, [{ ...JANE, active: false }, JAY, jim]);
    try {
      await seedDirectory(w.store, [], [directoryGroup(HUB, 'g-owners', 'Acme Owners', ['u-jay', 'u-jim'])]);
      assert.equal((await personOnHubs(w.store, hubs, 'jane@example.com', ['00u-nobody']))[0]!.hubRole, 'owner', 'naming nobody: what both owners give');
      assert.equal((await personOnHubs(w.store, hubs, 'jane@example.com', ['00u-jane']))[0]!.hubRole, undefined);
    } finally {
      await w.server.close();
    }
  });

  test('a leaver action holds a namesake of the owner, and the sign-in names neither (Entra\'s default externalId): the IdP may be signing the leaver in, so not an owner, and nothing shown as theirs', async () => {
    const w = await world(kind, [{ ...JANE, offboarded: { at, by: 'entra-lifecycle' } }, JAY]);
    try {
      assert.equal((await personOnHubs(w.store, hubs, 'jane@example.com', ['oid-of-someone']))[0]!.hubRole, undefined, 'the leaver holds no role');
      const as = await w.signIn(['oid-of-someone']);
      assert.equal((await w.call(as, 'GET', SETTINGS)).status, 403, 'the owner-only settings tab');
      assert.equal((await w.call(as, 'GET', `/ui/api/v1/hubs/${HUB}/members`)).status, 403, 'nor a manager\'s read');
      const page = await w.myAccess(as);
      assert.equal(role(page), 'none');
      assert.match(page, /data-field="withheld"/);
      assert.doesNotMatch(page, /data-seat="m-jay"|data-invite="inv-jay"/, 'not the owner\'s seat or invite');
      // The owner's own sign-in, naming him, is his.
      assert.equal((await w.call(await w.signIn(['00u-jay']), 'GET', SETTINGS)).status, 200);
    } finally {
      await w.server.close();
    }
  });

  test('one directory user with the email (a deactivated namesake aside): the owner is an owner, whatever the sign-in\'s ids', async () => {
    for (const users of [[JAY], [JAY, { ...JANE, active: false }]]) {
      const w = await world(kind, users);
      try {
        const jay = await w.signIn([]);
        assert.equal((await w.call(jay, 'GET', SETTINGS)).status, 200, `${users.length} users`);
        const page = await w.myAccess(jay);
        assert.equal(role(page), 'owner');
        assert.match(page, /data-seat="m-jay"/);
        assert.doesNotMatch(page, /data-field="withheld"/);
      } finally {
        await w.server.close();
      }
    }
  });
});
