/**
 * An offboarding through the admin API (Okta Workflows, `hubwarden offboard`) or the dashboard's
 * adapter to it ends the person's dashboard sessions, as a Lifecycle Workflows offboard does, on
 * the server as `npm start` composes it (composeHubwarden).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { defineDirectoryIndexes, type DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { randomBytes } from 'node:crypto';
import { Keyring } from '../../agent/secrets/keyring.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { parseConfig } from '../../config/load.ts';
import { adminTokensFrom } from '../admin/admin-tokens.ts';
import { createApp } from '../app.ts';
import { composeHubwarden, type Hubwarden } from '../compose.ts';
import { SessionStore, SignInRevoked } from './session-store.ts';
import { endingLeaverSessions } from './leaver-sessions.ts';
import type { AgentApi } from '../../agent/api.ts';

/** The server's key: a token's label (a session's actor) is made with it, as the server makes it. */
const keyring = Keyring.fromKey(randomBytes(32));

const ENV = { ADMIN_TOKEN: 'admin-token-leaver-sessions-0123456789' };
const at = '2026-11-01T00:00:00.000Z';

describe('an offboarding ends the dashboard sessions of the person', () => {
  const store = new MemoryStore();
  const config = parseConfig(`
server:
  publicUrl: http://127.0.0.1
  adminTokens: [env:ADMIN_TOKEN]
hubs:
  - id: hub-a
    connector: meta-business
    meta: { businessId: "1111111111", graphBaseUrl: sandbox }
`, '/tmp/hubwarden-leaver-sessions/hubwarden.yaml', ENV);
  let hubwarden: Hubwarden;
  let server: Server;
  let url: string;
  const sessions = new SessionStore(store);

  before(async () => {
    await store.open();
    hubwarden = composeHubwarden({ config, store, auditFile: false, keyring });
    const jane: DirectoryUserRecord = {
      hubId: 'hub-a', id: 'dir-jane', externalId: '00u-jane', userName: 'jane@example.com', active: true, email: 'jane@example.com', emails: ['jane@example.com'],
      scim: {}, created: at, lastModified: at, version: 1,
    };
    // Ann: a leaver and her rehire, both active with one email (an offboarding by email alone is refused 409).
    const ann = (id: string, externalId: string): DirectoryUserRecord => ({ ...jane, id, externalId, userName: `${id}@example.com`, email: 'ann@example.com', emails: ['ann@example.com'] });
    await store.transact((tx) => {
      tx.put('directoryUsers', 'hub-a', jane.id, jane);
      for (const u of [ann('dir-ann', '00u-ann'), ann('dir-ann-2', '00u-ann-2')]) tx.put('directoryUsers', 'hub-a', u.id, u);
    });
    server = createApp({ store, routers: hubwarden.routers }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await hubwarden.stop(0);
  });

  const alive = async (id: string) => (await sessions.get(id)) !== undefined;
  const endings = async () => (await collect(store.newestFirst('audit'))).filter((e) => e.action === 'end-dashboard-sessions');

  test('POST /api/v1/people/{email}/offboard: found by email, and by the IdP id of the directory user with it; others stay; audited as the caller', async () => {
    const janeByEmail = await sessions.create('jane@example.com', 'oidc', { admin: true, email: 'jane@example.com', idpUserIds: ['00u-jane'] });
    // A session whose email the IdP marked unverified records none: found by the directory user's Okta id.
    const janeById = await sessions.create('oidc:00u-jane', 'oidc', { admin: false, idpUserIds: ['00u-jane'] });
    const raj = await sessions.create('raj@example.com', 'oidc', { admin: true, email: 'raj@example.com', idpUserIds: ['00u-raj'] });
    const before = Date.now() - 1000;

    const res = await fetch(`${url}/api/v1/people/jane@example.com/offboard`, { method: 'POST', headers: { authorization: `Bearer ${ENV.ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 202);
    assert.equal(await alive(janeByEmail.id), false, 'her session by email ended');
    assert.equal(await alive(janeById.id), false, 'her session by Okta user id ended');
    assert.equal(await alive(raj.id), true, 'someone else keeps theirs');
    const [entry] = await endings();
    assert.equal(entry?.trigger.type, 'admin');
    assert.equal(entry?.trigger.actor, adminTokensFrom(config, keyring).actorFor(ENV.ADMIN_TOKEN));
    assert.deepEqual(entry?.subject, { email: 'jane@example.com' });
    // A sign-in whose ID token predates the offboarding is refused (the revocation mark).
    await assert.rejects(sessions.create('jane@example.com', 'oidc', { admin: true, email: 'jane@example.com', idpUserIds: ['00u-jane'] }, { issuedAt: before }), SignInRevoked);
  });

  test('an administrator offboarding someone from the dashboard ends their sessions, audited as the administrator', async () => {
    const actor = adminTokensFrom(config, keyring).actorFor(ENV.ADMIN_TOKEN)!;
    const admin = await sessions.create(actor, 'admin-token');
    const raj = await sessions.create('raj@example.com', 'oidc', { admin: false, email: 'raj@example.com' });
    const res = await fetch(`${url}/ui/api/v1/people/raj@example.com/offboard`, {
      method: 'POST', headers: { cookie: `hubwarden-session=${admin.id}`, 'x-csrf-token': admin.csrf, origin: url, 'content-type': 'application/json' }, body: '{}',
    });
    assert.equal(res.status, 202);
    assert.equal(await alive(raj.id), false);
    assert.equal(await alive(admin.id), true);
    const entry = (await endings()).find((e) => e.subject?.email === 'raj@example.com');
    assert.equal(entry?.trigger.type, 'dashboard');
    assert.equal(entry?.trigger.actor, actor);
  });

  // The sessions were ended (and the ending audited, the sign-in mark written) before the agent
  // refused: a typo in a workflow's directoryUserId, or the 409 that protects a rehire, signed the
  // person out although the answer said nothing was done.
  test('an offboarding the agent refuses (404 unknown directoryUserId, 409 leaver and rehire) ends no session and audits no ending', async () => {
    const annSession = await sessions.create('ann@example.com', 'oidc', { admin: false, email: 'ann@example.com', idpUserIds: ['00u-ann-2'] });
    const before = Date.now() - 1000;
    const offboard = (body: unknown) => fetch(`${url}/api/v1/people/ann@example.com/offboard`, { method: 'POST', headers: { authorization: `Bearer ${ENV.ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const [body, status] of [[{}, 409], [{ directoryUserId: 'dir-anne' }, 404]] as const) {
      const res = await offboard(body);
      assert.equal(res.status, status, JSON.stringify(await res.json()));
      assert.equal(await alive(annSession.id), true, `${JSON.stringify(body)}: her session stays`);
    }
    assert.deepEqual((await endings()).filter((e) => e.subject?.email === 'ann@example.com'), [], 'no ending audited');
    // No revocation mark either: a sign-in from before the requests is still taken.
    await sessions.create('ann@example.com', 'oidc', { admin: false, email: 'ann@example.com', idpUserIds: ['00u-ann-2'] }, { issuedAt: before });
    // Naming the leaver's id is accepted, and then her sessions end.
    assert.equal((await offboard({ directoryUserId: 'dir-ann' })).status, 202);
    assert.equal(await alive(annSession.id), false);
  });
});

// Found as the agent's offboarding finds them (agent-api.ts passes the trigger to findPerson): an
// Okta event names the account by its Okta user id, so a colleague whose userName is the
// leaver's login (an app username format of "Email") is another account, not the leaver.
describe('the sessions an offboarding ends are those of the person the agent finds', () => {
  test('an Okta event\'s offboarding: the colleague whose userName is the leaver\'s login keeps their session', async () => {
    const store = new MemoryStore();
    defineDirectoryIndexes(store);
    await store.open();
    const sessions = new SessionStore(store);
    const config = parseConfig(`
hubs:
  - id: hub-a
    connector: meta-business
    meta: { businessId: "1111111111", graphBaseUrl: sandbox }
`, '/tmp/hubwarden-leaver-sessions/hubwarden.yaml', {});
    const carl: DirectoryUserRecord = {
      hubId: 'hub-a', id: 'dir-carl', externalId: '00u-carl', userName: 'bob@example.com', active: true, email: 'carl@example.com', emails: ['carl@example.com'],
      scim: {}, created: at, lastModified: at, version: 1,
    };
    await store.transact((tx) => tx.put('directoryUsers', 'hub-a', carl.id, carl));
    const carlSession = await sessions.create('carl@example.com', 'oidc', { admin: false, email: 'carl@example.com', idpUserIds: ['00u-carl'] });
    const bobSession = await sessions.create('bob@example.com', 'oidc', { admin: false, email: 'bob@example.com', idpUserIds: ['00u-bob'] });
    const agent = { offboard: async () => ({ id: 't-1' }) } as unknown as AgentApi;
    await endingLeaverSessions(agent, store, () => config.file.hubs).offboard({ userName: 'bob@example.com', externalId: '00u-bob' }, { type: 'okta-event-hook', idp: 'okta' });
    assert.equal(await sessions.get(bobSession.id), undefined, 'the leaver\'s session ends');
    assert.notEqual(await sessions.get(carlSession.id), undefined, 'the colleague keeps theirs');
  });
});
