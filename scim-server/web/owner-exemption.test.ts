/**
 * The rank rule (docs/security.md items 35 and 37) for exemptions. An owner or administrator may
 * exempt a seat (hubwarden keeps it as it is: an owner who needs the app's admin role while their
 * team grants less). Ending that exemption, or replacing it by one that lapses tomorrow, hands the
 * seat back to the plan, which then lowers or removes it: a manager took an owner's access away
 * in two steps, as un-match then remove did. Refused now and audited; an owner still decides, and
 * a manager still decides about the exemptions of seats of no higher rank.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberView } from '../../agent/api.ts';
import { accessStore, directoryGroup, directoryUser, SEEDED_AT as at, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, rankedHubConfig, serveDashboard, signedIn } from './web-fixtures.ts';

const HUB = 'acme-ads';
// The owners' team grants less than the app's admin role: the exemption keeps the owner on it.
const config = rankedHubConfig('owner-exemption', 'EMPLOYEE');

const exempted = (id: string, email: string, directoryUserId: string): MemberView => ({
  hubId: HUB, id, status: 'exempted', email, appRole: 'ADMIN', assets: [], grantedBy: [], kind: 'member', directoryUserId,
  exemption: { reason: 'runs the app for the hub', by: 'boss@acme.example', at },
});

describe('a manager and an owner\'s exempted seat', () => {
  let server: TestServer;
  let agent: FakeAgent;
  let store: MemoryStore;
  const sessions = new SessionStore(new MemoryStore());
  const call = dashboardCaller(() => server);
  const decisions = () => agent.calls.filter((c) => c.method === 'exemptMember' || c.method === 'unexemptMember').map((c) => [c.method, c.args[1]]);
  const post = async (email: string, path: string, body: unknown = {}) => call(await signedIn(sessions, email), 'POST', `/ui/api/v1/hubs/${HUB}/members/${path}`, body);

  before(async () => {
    agent = new FakeAgent();
    agent.membersByHub.get(HUB)!.push(
      exempted('m-olivia', 'olivia@acme.example', 'a-olivia'),
      exempted('m-cora', 'cora@acme.example', 'a-cora'),
      // A disputed seat (Sam's or Cora's: an owner has not decided) under an exemption: matched to nobody, its candidates kept.
      { ...exempted('m-shared', 'shared@acme.example', 'a-sam'), directoryUserId: undefined, candidates: ['a-cora', 'a-sam'] },
      { hubId: HUB, id: 'm-sam', status: 'onboarded', email: 'sam@acme.example', appRole: 'EMPLOYEE', assets: [], grantedBy: ['Acme Owners'], kind: 'member', directoryUserId: 'a-sam' },
    );
    store = await accessStore();
    await seedDirectory(store, ['olivia', 'sam', 'max', 'cora'].map((n) => directoryUser(HUB, `a-${n}`, [`${n}@acme.example`])), [
      directoryGroup(HUB, 'g-owners', 'Acme Owners', ['a-olivia', 'a-sam']),
      directoryGroup(HUB, 'g-managers', 'Acme Managers', ['a-max']),
    ]);
    server = await serveDashboard({ config, agent, store, sessions });
  });
  after(() => server.close());

  test('a manager may neither end an owner\'s exemption nor replace it by one that lapses sooner (403, audited, nothing reaches the agent)', async () => {
    agent.calls.length = 0;
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    for (const [path, body] of [['m-olivia/unexempt', {}], ['m-olivia/exempt', { reason: 'until tomorrow', until: tomorrow }]] as const) {
      const res = await post('max@acme.example', path, body);
      assert.equal(res.status, 403, path);
      assert.match(((await res.json()) as { detail: string }).detail, /a manager cannot change the exemption of an owner/, path);
    }
    assert.deepEqual(decisions(), []);
    const audited = (await collect(store.list('audit', HUB))).filter((e) => e.outcome === 'failed' && e.subject?.memberId === 'm-olivia');
    assert.deepEqual(audited.map((e) => [e.action, e.subject?.directoryUserId, e.trigger.actor]), [
      ['member-unexempted', 'a-olivia', 'max@acme.example'],
      ['member-exempted', 'a-olivia', 'max@acme.example'],
    ]);
  });

  test('nor end the exemption of a disputed seat one of whose candidates is an owner (403, audited as that candidate\'s)', async () => {
    agent.calls.length = 0;
    const res = await post('max@acme.example', 'm-shared/unexempt');
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { detail: string }).detail, /a manager cannot change the exemption of an owner/);
    assert.deepEqual(decisions(), []);
    const audited = (await collect(store.list('audit', HUB))).filter((e) => e.outcome === 'failed' && e.subject?.memberId === 'm-shared');
    assert.deepEqual(audited.map((e) => [e.action, e.subject?.directoryUserId]), [['member-unexempted', 'a-sam']]);
  });

  test('he still exempts an owner\'s seat that has no exemption (it takes nothing away), and decides about a collaborator\'s exemption', async () => {
    agent.calls.length = 0;
    assert.equal((await post('max@acme.example', 'm-sam/exempt', { reason: 'during the group move' })).status, 200);
    assert.equal((await post('max@acme.example', 'm-cora/unexempt')).status, 200);
    assert.deepEqual(decisions(), [['exemptMember', 'm-sam'], ['unexemptMember', 'm-cora']]);
  });

  test('another owner ends the owner\'s exemption', async () => {
    agent.calls.length = 0;
    assert.equal((await post('sam@acme.example', 'm-olivia/unexempt')).status, 200);
    assert.deepEqual(decisions(), [['unexemptMember', 'm-olivia']]);
  });
});
