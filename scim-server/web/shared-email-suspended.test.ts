/**
 * The rank rule and an email a manager shares with an owner the IdP has suspended (Okta's
 * `user.lifecycle.suspend`: the account cannot sign in, its groups are kept, and lifting the
 * suspension gives everything back). The owner's rank counts while suspended (docs/dashboard.md,
 * "Hub roles and My access"), and removing one's own seat stays one's own only for the directory
 * users the sign-in names as the person (docs/security.md item 41). A suspended namesake cannot be
 * the one signing in, yet with one user of the email able to sign in the person was taken for every
 * user of the email (agent/offers/claimant.ts `ownUsersAmong`), the suspended owner included: the
 * manager removed the owner's seat "as her own", even with a sign-in that named her.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberView } from '../../agent/api.ts';
import { accessStore, directoryGroup, directoryUser, SEEDED_AT, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { personOnHubs } from '../../agent/access/hub-access.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, rankedHubConfig, serveDashboard, signedIn } from './web-fixtures.ts';

const HUB = 'acme-ads';
const config = rankedHubConfig('shared-email-suspended');

const row = (id: string, email: string, directoryUserId: string, appRole: string): MemberView =>
  ({ hubId: HUB, id, status: 'onboarded', email, appRole, assets: [], grantedBy: [], kind: 'member', directoryUserId });

describe('the rank rule and an email a manager shares with a suspended owner', () => {
  let server: TestServer;
  let agent: FakeAgent;
  let store: MemoryStore;
  const sessions = new SessionStore(new MemoryStore());
  const call = dashboardCaller(() => server);
  const removals = () => agent.calls.filter((c) => c.method === 'removeMember');
  const remove = async (idpUserIds: string[], memberId: string) =>
    call(await signedIn(sessions, 'desk@acme.example', { idpUserIds }), 'POST', `/ui/api/v1/hubs/${HUB}/members/${memberId}/remove`);

  before(async () => {
    agent = new FakeAgent();
    // Mia (a manager) and Owen (an owner, suspended in the IdP), both sent with desk@acme.example;
    // each has a seat under a private address, matched to them.
    agent.membersByHub.get(HUB)!.push(row('m-mia', 'mia@gmail.example', 'u-mia', 'EMPLOYEE'), row('m-owen', 'owen@gmail.example', 'u-owen', 'ADMIN'));
    store = await accessStore();
    await seedDirectory(store, [
      directoryUser(HUB, 'u-mia', ['desk@acme.example'], { externalId: '00u-mia', userName: 'mia@idp.example' }),
      directoryUser(HUB, 'u-owen', ['desk@acme.example'], { externalId: '00u-owen', userName: 'owen@idp.example', suspended: { at: SEEDED_AT, by: 'okta-event-hook' } }),
    ], [directoryGroup(HUB, 'g-owners', 'Acme Owners', ['u-owen']), directoryGroup(HUB, 'g-managers', 'Acme Managers', ['u-mia'])]);
    server = await serveDashboard({ config, agent, store, sessions });
  });
  after(() => server.close());

  test('the sign-in names the manager: the suspended owner is not her (not among the users it names)', async () => {
    const [mia] = await personOnHubs(store, config.file.hubs, 'desk@acme.example', ['00u-mia']);
    assert.equal(mia?.hubRole, 'manager');
    assert.deepEqual(mia?.ownDirectoryUserIds, ['u-mia']);
    // The own-seat rules' strict side still counts both: neither seat is hers to exempt or re-match.
    assert.deepEqual([...(mia?.directoryUserIds ?? [])].sort(), ['u-mia', 'u-owen']);
  });

  test('she may not remove the suspended owner\'s seat as her own (refused, audited), and still removes her own', async () => {
    agent.calls.length = 0;
    const res = await remove(['00u-mia'], 'm-owen');
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { detail: string }).detail, /a manager cannot remove the seat of an owner/);
    assert.deepEqual(removals(), [], 'nothing reached the agent');
    const audited = (await collect(store.list('audit', HUB))).filter((e) => e.action === 'remove-member' && e.outcome === 'failed');
    assert.deepEqual(audited.map((e) => [e.subject?.memberId, e.subject?.directoryUserId]), [['m-owen', 'u-owen']]);
    assert.equal((await remove(['00u-mia'], 'm-mia')).status, 202, 'her own seat stays hers to give up');
    assert.deepEqual(removals().map((c) => c.args[1]), ['m-mia']);
  });

  test('a sign-in naming neither is still the one who may sign in (the manager), not the suspended owner', async () => {
    agent.calls.length = 0;
    assert.equal((await remove(['oid-of-nobody'], 'm-owen')).status, 403);
    assert.deepEqual(removals(), []);
  });
});
