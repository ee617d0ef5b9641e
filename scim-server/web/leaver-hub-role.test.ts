/**
 * A dashboard session lives up to 12 hours, but its hub role is not kept in it: it is resolved
 * from the directory on every request (hub-guard.ts). So a person whose directory user is
 * deactivated, or deleted, loses their hub role on their next request even where nothing ended
 * their session (a SCIM deactivation ends it too: scim-leavers.test.ts). This pins that.
 *
 * Found by email, it used to follow the address too: given within the session's lifetime to
 * another directory user (the person renamed, a new hire given it), the session acted with that
 * user's hub role. The session is now bound to the directory user it signed in as
 * (session-identity.ts; through SCIM and OIDC sign-in: session-identity.test.ts): it ends.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessStore, directoryGroup, directoryUser, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, dashboardConfig, serveDashboard, signedIn } from './web-fixtures.ts';

const config = dashboardConfig('leaver-hub-role', `
  - id: acme-ads
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams:
      - { group: Acme Owners, hubRole: owner, appRole: ADMIN }
`);

describe('a deactivated or deleted directory user\'s session loses its hub role on the next request', () => {
  let server: TestServer;
  let store: MemoryStore;
  const sessions = new SessionStore(new MemoryStore());
  const call = dashboardCaller(() => server);

  before(async () => {
    store = await accessStore();
    await seedDirectory(store, [
      directoryUser('acme-ads', 'a-olivia', ['olivia@acme.example']),
      directoryUser('acme-ads', 'a-omar', ['omar@acme.example']),
      directoryUser('acme-ads', 'a-ivy', ['ivy@acme.example']),
    ], [directoryGroup('acme-ads', 'g-owners', 'Acme Owners', ['a-olivia', 'a-omar', 'a-ivy2'])]);
    server = await serveDashboard({ config, agent: new FakeAgent(), store, sessions });
  });
  after(() => server.close());

  test('deactivated (active false) and deleted: 403 on the hub with the same session', async () => {
    const olivia = await signedIn(sessions, 'olivia@acme.example');
    const omar = await signedIn(sessions, 'omar@acme.example');
    for (const p of [olivia, omar]) assert.equal((await call(p, 'GET', '/ui/api/v1/hubs/acme-ads/members')).status, 200, 'an owner before');
    // Straight in the store: no SCIM push, so nothing ends the sessions.
    await store.transact(async (tx) => {
      const u = (await tx.get('directoryUsers', 'acme-ads', 'a-olivia'))!;
      tx.put('directoryUsers', 'acme-ads', 'a-olivia', { ...u, active: false });
      tx.delete('directoryUsers', 'acme-ads', 'a-omar');
    });
    for (const [name, p] of [['deactivated', olivia], ['deleted', omar]] as const) {
      assert.equal((await call(p, 'GET', '/ui/api/v1/hubs/acme-ads/members')).status, 403, name);
      assert.equal((await call(p, 'POST', '/ui/api/v1/hubs/acme-ads/check-for-updates', {})).status, 403, `${name}: no access change either`);
    }
  });

  test('the address given to another directory user (an owner): the session ends, it does not act as them', async () => {
    const ivy = await signedIn(sessions, 'ivy@acme.example');
    assert.equal((await call(ivy, 'GET', '/ui/api/v1/hubs/acme-ads/members')).status, 403, 'no hub role');
    await store.transact(async (tx) => {
      const u = (await tx.get('directoryUsers', 'acme-ads', 'a-ivy'))!;
      tx.put('directoryUsers', 'acme-ads', 'a-ivy', { ...u, email: 'ivy.old@acme.example', emails: ['ivy.old@acme.example'] });
      tx.put('directoryUsers', 'acme-ads', 'a-ivy2', directoryUser('acme-ads', 'a-ivy2', ['ivy@acme.example']));
    });
    assert.equal((await call(ivy, 'GET', '/ui/api/v1/hubs/acme-ads/members')).status, 401, 'not the owner the address names now');
    assert.equal((await call(ivy, 'POST', '/ui/api/v1/hubs/acme-ads/check-for-updates', {})).status, 401);
  });
});
