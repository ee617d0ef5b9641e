/**
 * docs/dashboard.md, "Hub roles and My access": a hub role comes from the directory, read again on
 * every request, and from nothing else. Pinned here, with a session that lives on (nothing ends it):
 *
 * - "Someone removed from the owners' group loses the hub on their next click."
 * - "A deactivated directory user has no role", and neither has one the IdP suspended or a leaver
 *   action offboarded (the IdP may still sign them in: "holds nothing").
 * - "a hub role chosen in the match dialog labels the member row … and grants nothing here."
 * - a directory user in no mapped group (and no default team) has no hub role: only My access.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessStore, directoryGroup, directoryUser, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, dashboardConfig, serveDashboard, signedIn, type SignedIn } from './web-fixtures.ts';

const config = dashboardConfig('hub-role-from-directory', `
  - id: acme-ads
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams:
      - { group: Acme Owners, hubRole: owner, appRole: ADMIN }
      - { group: Acme Staff, hubRole: collaborator, appRole: EMPLOYEE }
`);

const HUB = '/ui/api/v1/hubs/acme-ads';

describe('a hub role comes from the directory on every request, and from nothing else', () => {
  let server: TestServer;
  let store: MemoryStore;
  const sessions = new SessionStore(new MemoryStore());
  const call = dashboardCaller(() => server);

  /** Everything an owner of acme-ads may read or do, as this person with this session: the statuses. */
  const manages = async (p: SignedIn) => ({
    home: (await call(p, 'GET', '/ui/')).headers.get('location'),
    page: (await call(p, 'GET', '/ui/hubs/acme-ads')).status,
    members: (await call(p, 'GET', `${HUB}/members`)).status,
    settings: (await call(p, 'GET', HUB)).status,
    check: (await call(p, 'POST', `${HUB}/check-for-updates`, {})).status,
    myAccess: (await call(p, 'GET', '/ui/my-access')).status,
  });
  const OWNER = { home: null, page: 200, members: 200, settings: 200, check: 202, myAccess: 200 };
  const NONE = { home: '/ui/my-access', page: 403, members: 403, settings: 403, check: 403, myAccess: 200 };

  const edit = (id: string, change: Record<string, unknown>) => store.transact(async (tx) => {
    const u = (await tx.get('directoryUsers', 'acme-ads', id))!;
    tx.put('directoryUsers', 'acme-ads', id, { ...u, ...change });
  });

  before(async () => {
    store = await accessStore();
    await seedDirectory(store, [
      directoryUser('acme-ads', 'a-olivia', ['olivia@acme.example']),
      directoryUser('acme-ads', 'a-sam', ['sam@acme.example']),
      directoryUser('acme-ads', 'a-omar', ['omar@acme.example']),
      directoryUser('acme-ads', 'a-cora', ['cora@acme.example']),
      directoryUser('acme-ads', 'a-nils', ['nils@acme.example']),
    ], [
      directoryGroup('acme-ads', 'g-owners', 'Acme Owners', ['a-olivia', 'a-sam', 'a-omar']),
      directoryGroup('acme-ads', 'g-staff', 'Acme Staff', ['a-cora']),
      directoryGroup('acme-ads', 'g-unmapped', 'Acme Lunch Club', ['a-nils']),
    ]);
    server = await serveDashboard({ config, agent: new FakeAgent(), store, sessions });
  });
  after(() => server.close());

  test('removed from the owners\' group: the same session loses the hub on its next request, keeping My access', async () => {
    const olivia = await signedIn(sessions, 'olivia@acme.example');
    assert.deepEqual(await manages(olivia), OWNER, 'an owner before');
    // As a SCIM PatchOp removing her from the group writes it (no session is ended by that).
    await store.transact(async (tx) => {
      const g = (await tx.get('directoryGroups', 'acme-ads', 'g-owners'))!;
      tx.put('directoryGroups', 'acme-ads', 'g-owners', { ...g, members: g.members.filter((m) => m.value !== 'a-olivia') });
    });
    assert.deepEqual(await manages(olivia), NONE, 'no hub role after');
  });

  test('suspended in the IdP, or held by a leaver action (the IdP may still sign them in): no hub role', async () => {
    const sam = await signedIn(sessions, 'sam@acme.example');
    const omar = await signedIn(sessions, 'omar@acme.example');
    for (const p of [sam, omar]) assert.deepEqual(await manages(p), OWNER, 'owners before');
    await edit('a-sam', { suspended: { at: '2026-12-01T00:00:00.000Z' } });
    await edit('a-omar', { offboarded: { at: '2026-12-01T00:00:00.000Z', by: 'api:admin' } });
    assert.deepEqual(await manages(sam), NONE, 'suspended');
    assert.deepEqual(await manages(omar), NONE, 'offboarded');
  });

  test('a collaborator whose member row an owner labelled "owner" in the match dialog gains nothing', async () => {
    // What matchMember writes for a match with a hub role label (agent/matching/hub-matching.ts).
    await store.transact((tx) => {
      tx.put('appMembers', 'acme-ads', 'm-cora', { hubId: 'acme-ads', id: 'm-cora', email: 'cora@acme.example', role: 'EMPLOYEE' } as never);
      tx.put('memberMatches', 'acme-ads', 'm-cora', { hubId: 'acme-ads', memberId: 'm-cora', outcome: 'onboarded', directoryUserId: 'a-cora', manual: true, hubRole: 'owner', at: '2026-12-01T00:00:00.000Z' });
    });
    const cora = await signedIn(sessions, 'cora@acme.example');
    assert.deepEqual(await manages(cora), NONE);
    const page = await (await call(cora, 'GET', '/ui/my-access')).text();
    assert.match(page, /collaborator/, 'My access names her role from the directory');
    assert.doesNotMatch(page, /\bowner\b/i, 'not the label');
  });

  test('in no mapped group (and no default team): only My access', async () => {
    const nils = await signedIn(sessions, 'nils@acme.example');
    assert.deepEqual(await manages(nils), NONE);
  });
});
