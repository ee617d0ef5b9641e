/**
 * The rank rule (a manager does not take away an owner's seat, docs/security.md items 35 and 37)
 * and an email two directory users share. The own-seat rule counts every directory user of the
 * email as the person (the strict side there), and removing one's own seat stays one's own: so a
 * manager whose email a namesake owner also has (Okta and Entra do not keep emails unique) could
 * remove the owner's seat "as his own", though the sign-in named him, or named neither of them.
 * Only the directory users the sign-in says are the person are theirs to take away.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberView } from '../../agent/api.ts';
import { accessStore, directoryGroup, directoryUser, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, rankedHubConfig, serveDashboard, signedIn } from './web-fixtures.ts';

const HUB = 'acme-ads';
const config = rankedHubConfig('shared-email-rank');

const row = (id: string, email: string, directoryUserId: string, appRole: string): MemberView =>
  ({ hubId: HUB, id, status: 'onboarded', email, appRole, assets: [], grantedBy: [], kind: 'member', directoryUserId });

describe('the rank rule and an email a manager and an owner share', () => {
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
    // Mia (a manager) and Owen (an owner), both sent by the IdP with desk@acme.example; each has a
    // seat under a private address, matched to them.
    agent.membersByHub.get(HUB)!.push(row('m-mia', 'mia@gmail.example', 'u-mia', 'EMPLOYEE'), row('m-owen', 'owen@gmail.example', 'u-owen', 'ADMIN'));
    store = await accessStore();
    await seedDirectory(store, [
      directoryUser(HUB, 'u-mia', ['desk@acme.example'], { externalId: '00u-mia', userName: 'mia@idp.example' }),
      directoryUser(HUB, 'u-owen', ['desk@acme.example'], { externalId: '00u-owen', userName: 'owen@idp.example' }),
    ], [directoryGroup(HUB, 'g-owners', 'Acme Owners', ['u-owen']), directoryGroup(HUB, 'g-managers', 'Acme Managers', ['u-mia'])]);
    server = await serveDashboard({ config, agent, store, sessions });
  });
  after(() => server.close());

  test('the sign-in names the manager: she may not remove her namesake owner\'s seat (refused, audited), and still removes her own', async () => {
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

  test('the sign-in names neither (the lowest role of both, a manager): the owner\'s seat is not taken as hers', async () => {
    agent.calls.length = 0;
    assert.equal((await remove(['oid-of-nobody'], 'm-owen')).status, 403);
    assert.deepEqual(removals(), []);
  });

  test('the owner signing in removes his own seat', async () => {
    agent.calls.length = 0;
    assert.equal((await remove(['00u-owen'], 'm-owen')).status, 202);
    assert.deepEqual(removals().map((c) => c.args[1]), ['m-owen']);
  });
});
