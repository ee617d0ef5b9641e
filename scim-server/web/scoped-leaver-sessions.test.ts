/**
 * An offboarding by an admin token scoped to some hubs ends the dashboard sessions only of a
 * person it finds on those hubs (leaver-sessions.ts): before, a token of hub-a signed out (and
 * barred the pending sign-ins of) anyone it named, another hub's owner or an administrator with
 * no seat on hub-a included, and its audit log told it how many sessions they had.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { parseConfig } from '../../config/load.ts';
import { createApp } from '../app.ts';
import { composeHubwarden, type Hubwarden } from '../compose.ts';
import { SessionStore } from './session-store.ts';
import { testKeyring } from '../../test/test-keyring.ts';

const ENV = { ADMIN_TOKEN: 'admin-token-scoped-leavers-0123456789', HUB_A_TOKEN: 'hub-a-token-scoped-leavers-0123456789' };
const at = '2026-11-01T00:00:00.000Z';

describe('a scoped admin token\'s offboarding and dashboard sessions', () => {
  const store = new MemoryStore();
  const config = parseConfig(`
server:
  publicUrl: http://127.0.0.1
  adminTokens: [env:ADMIN_TOKEN, { token: env:HUB_A_TOKEN, hubs: [hub-a] }]
hubs:
  - id: hub-a
    connector: meta-business
    meta: { businessId: "1111111111", graphBaseUrl: sandbox }
  - id: hub-b
    connector: meta-business
    meta: { businessId: "2222222222", graphBaseUrl: sandbox }
`, '/tmp/hubwarden-scoped-leavers/hubwarden.yaml', ENV);
  let hubwarden: Hubwarden;
  let server: Server;
  let url: string;
  const sessions = new SessionStore(store);
  const user = (hubId: string, id: string, email: string): DirectoryUserRecord => ({
    hubId, id, externalId: `00u-${id}`, userName: email, active: true, email, emails: [email], scim: {}, created: at, lastModified: at, version: 1,
  });

  before(async () => {
    await store.open();
    hubwarden = composeHubwarden({ config, store, auditFile: false, keyring: testKeyring() });
    await store.transact((tx) => {
      tx.put('directoryUsers', 'hub-a', 'jane', user('hub-a', 'jane', 'jane@example.com'));
      tx.put('directoryUsers', 'hub-b', 'bob', user('hub-b', 'bob', 'bob@example.com'));
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
  const endingsOf = async (email: string) => (await collect(store.newestFirst('audit'))).filter((e) => e.action === 'end-dashboard-sessions' && e.subject?.email === email);
  const auditOf = async (email: string, token: string) =>
    ((await (await fetch(`${url}/api/v1/audit?email=${email}&limit=500`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: Array<{ action: string; hubId?: string }> }).items;
  const offboard = (email: string, token: string) =>
    fetch(`${url}/api/v1/people/${email}/offboard`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });

  test('someone with no directory user on its hubs (hub-b\'s member, an administrator) keeps their sessions; nothing is audited or marked', async () => {
    const bob = await sessions.create('bob@example.com', 'oidc', { admin: false, email: 'bob@example.com', idpUserIds: ['00u-bob'] });
    const ceo = await sessions.create('ceo@example.com', 'oidc', { admin: true, email: 'ceo@example.com' });
    const earlier = Date.now() - 1000;
    assert.equal((await offboard('bob@example.com', ENV.HUB_A_TOKEN)).status, 202);
    assert.equal((await offboard('ceo@example.com', ENV.HUB_A_TOKEN)).status, 202);
    assert.equal(await alive(bob.id), true, 'hub-b\'s member keeps the session a token of hub-a has no say over');
    assert.equal(await alive(ceo.id), true, 'an administrator keeps theirs');
    assert.deepEqual(await endingsOf('bob@example.com'), []);
    assert.deepEqual(await endingsOf('ceo@example.com'), []);
    // No revocation mark: a sign-in issued before the request is not refused.
    await sessions.create('bob@example.com', 'oidc', { admin: false, email: 'bob@example.com', idpUserIds: ['00u-bob'] }, { issuedAt: earlier });
  });

  test('a person on its hubs: their sessions end, audited with the token\'s scope', async () => {
    const jane = await sessions.create('jane@example.com', 'oidc', { admin: false, email: 'jane@example.com', idpUserIds: ['00u-jane'] });
    assert.equal((await offboard('jane@example.com', ENV.HUB_A_TOKEN)).status, 202);
    assert.equal(await alive(jane.id), false);
    const [entry] = await endingsOf('jane@example.com');
    assert.deepEqual(entry?.trigger.hubs, ['hub-a']);
    // A person-wide entry (no hub) asked for within its scope is the token's to read.
    const trail = await auditOf('jane@example.com', ENV.HUB_A_TOKEN);
    assert.ok(trail.some((e) => e.action === 'end-dashboard-sessions' && e.hubId === undefined));
  });

  test('a token of every hub still ends the sessions of anyone it names', async () => {
    const bob = await sessions.create('bob@example.com', 'oidc', { admin: false, email: 'bob@example.com', idpUserIds: ['00u-bob'] });
    assert.equal((await offboard('bob@example.com', ENV.ADMIN_TOKEN)).status, 202);
    assert.equal(await alive(bob.id), false);
    // Its person-wide entry (the sessions ended) tells of another hub's member: not hub-a's token's to read.
    assert.ok((await auditOf('bob@example.com', ENV.ADMIN_TOKEN)).some((e) => e.action === 'end-dashboard-sessions'));
    assert.deepEqual(await auditOf('bob@example.com', ENV.HUB_A_TOKEN), []);
  });
});
