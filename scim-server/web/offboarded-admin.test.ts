/**
 * An explicit leaver action (offboard) holds the person's directory users: they hold nothing
 * until the IdP deactivates and reactivates them (agent/dispatch/offboard-hold.ts). The leaver
 * workflow often runs before the IdP disables the account, so the IdP still signs them in: a
 * global administrator by allowedEmails or allowedGroups must not get every hub back with a new
 * session (the revocation marks refuse only sign-ins that began before the offboarding).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../../agent/desired-state/directory-records.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { parseConfig } from '../../config/load.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters, type TestServer } from '../../test/admin/test-server.ts';
import { createWebRouter } from './router.ts';
import { SessionStore } from './session-store.ts';
import { testKeyring } from '../../test/test-keyring.ts';

const silent = { info() {}, warn() {}, error() {} };
const at = '2026-11-01T00:00:00.000Z';
const config = parseConfig(`
server:
  publicUrl: http://hubwarden.test
  adminTokens: [env:ADMIN_TOKEN]
  oidc: { issuer: "https://idp.acme.example", clientId: hubwarden, clientSecret: env:OIDC_SECRET, allowedEmails: [boss@acme.example], allowedGroups: [hubwarden-admins] }
hubs:
  - id: acme-ads
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams: [{ group: Acme Owners, hubRole: owner, appRole: ADMIN }]
`, '/tmp/hubwarden-test/offboarded-admin.yaml', { ADMIN_TOKEN: 'admin-token-0123456789', META_TOKEN: 'meta-token', OIDC_SECRET: 'oidc-secret' });

describe('an offboarded administrator signed in again while the IdP still has them active', () => {
  const store = new MemoryStore();
  const sessions = new SessionStore(new MemoryStore());
  const user = (id: string, email: string, offboarded: boolean) => ({
    hubId: 'acme-ads', id, userName: email, active: true, email, emails: [email], scim: {}, created: at, lastModified: at, version: 1,
    ...(offboarded ? { offboarded: { at, by: 'okta-workflows' } } : {}),
  });
  const hold = (id: string, email: string, offboarded: boolean) => store.transact((tx) => tx.put('directoryUsers', 'acme-ads', id, user(id, email, offboarded)));
  let server: TestServer;
  let url = '';

  before(async () => {
    defineDirectoryIndexes(store);
    await store.open();
    await hold('u-boss', 'boss@acme.example', true);
    await hold('u-gina', 'gina@acme.example', true);
    server = await serveRouters([['/ui', createWebRouter({ config, agent: new FakeAgent(), store, log: silent, sessions, keyring: testKeyring() })]]);
    url = server.url;
  });
  after(() => server.close());

  const hubsSeen = async (s: { id: string }) => {
    const res = await fetch(`${url}/ui/api/v1/hubs`, { headers: { cookie: `hubwarden-session=${s.id}` } });
    return res.status === 200 ? ((await res.json()) as { items: Array<{ id: string }> }).items.map((h) => h.id) : res.status;
  };

  test('by allowedEmails or allowedGroups: no hub while held; every hub again once the IdP re-activates them', async () => {
    const boss = await sessions.create('boss@acme.example', 'oidc', { admin: true, email: 'boss@acme.example' });
    const gina = await sessions.create('gina@acme.example', 'oidc', { admin: true, email: 'gina@acme.example', adminGroups: ['hubwarden-admins'] });
    assert.equal(await hubsSeen(boss), 403, 'an offboarded person holds nothing: no administrator rights either');
    assert.equal(await hubsSeen(gina), 403);
    // The IdP deactivates and reactivates them (a rehire): the hold ends, and so does the refusal.
    await hold('u-boss', 'boss@acme.example', false);
    assert.ok(Array.isArray(await hubsSeen(boss)) && ((await hubsSeen(boss)) as string[]).includes('acme-ads'), 'an administrator again');
  });
});
