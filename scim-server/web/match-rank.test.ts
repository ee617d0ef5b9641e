/**
 * The rank rule (docs/security.md items 35, 36, 37 and 46) for matches. Hub roles come from the
 * directory's groups only (agent/access/hub-access.ts): a match puts a seat under a directory user,
 * whose groups then govern it, and never raises anyone's hub role, whatever the seat's app role.
 * What a manager must not do through a match is take a seat away from someone ranked above them:
 * re-match or un-match it. A disputed seat (matched to nobody until an owner decides) may be any of
 * its candidates', so an owner among them holds it back as their own match would; matched to a
 * collaborator (or un-matched) it was the manager's to lower or remove next.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberView } from '../../agent/api.ts';
import { hubRoleOfUser } from '../../agent/access/hub-access.ts';
import { accessStore, directoryGroup, directoryUser, SEEDED_AT as at, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { withCollections, type HubRole } from '../../config/schema.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { scopedAgent, type Refusal } from './scoped-agent.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, dashboardConfig, serveDashboard, signedIn } from './web-fixtures.ts';

const HUB = 'acme-ads';
const config = dashboardConfig('match-rank', `
  - id: acme-ads
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams:
      - { group: Acme Owners, hubRole: owner, appRole: ADMIN }
      - { group: Acme Managers, hubRole: manager, appRole: EMPLOYEE }
      - { group: Acme Staff, hubRole: collaborator, appRole: EMPLOYEE }
`);

const row = (id: string, email: string, extra: Partial<MemberView> = {}): MemberView =>
  ({ hubId: HUB, id, status: 'onboarded', email, appRole: 'EMPLOYEE', assets: [], grantedBy: [], kind: 'member', ...extra });

describe('a manager, a match and the ranks above him', () => {
  let server: TestServer;
  let agent: FakeAgent;
  let store: MemoryStore;
  const sessions = new SessionStore(new MemoryStore());
  const call = dashboardCaller(() => server);
  const decisions = () => agent.calls.filter((c) => ['matchMember', 'unmatchMember', 'removeMember', 'registerGuest'].includes(c.method)).map((c) => [c.method, c.args[1]]);
  const post = async (email: string, path: string, body: unknown = {}) => call(await signedIn(sessions, email, { admin: email === 'boss@acme.example' }), 'POST', `/ui/api/v1/hubs/${HUB}/${path}`, body);
  const detail = async (res: Response) => ((await res.json()) as { detail: string }).detail;
  const failed = async (action: string, memberId: string) => (await collect(store.list('audit', HUB))).filter((e) => e.outcome === 'failed' && e.action === action && e.subject?.memberId === memberId);

  before(async () => {
    agent = new FakeAgent();
    agent.membersByHub.get(HUB)!.push(
      // An admin seat nobody is matched to (an agency's old account), and Olivia's (an owner).
      row('m-admin', 'old.agency@partner.example', { status: 'unmatched', appRole: 'ADMIN' }),
      row('m-olivia', 'olivia@acme.example', { directoryUserId: 'a-olivia', appRole: 'ADMIN' }),
      // Disputed: the front desk's address, which Olivia (an owner) and Cora (a collaborator) both have.
      row('m-desk', 'desk@acme.example', { status: 'unmatched', appRole: 'ADMIN', candidates: ['a-cora', 'a-olivia'] }),
      // Disputed between Cora and Carl, both collaborators: the manager's to decide.
      row('m-help', 'help@acme.example', { status: 'unmatched', candidates: ['a-carl', 'a-cora'] }),
    );
    store = await accessStore();
    await seedDirectory(store, [
      directoryUser(HUB, 'a-olivia', ['olivia@acme.example', 'desk@acme.example']),
      directoryUser(HUB, 'a-max', ['max@acme.example']),
      directoryUser(HUB, 'a-cora', ['cora@acme.example', 'desk@acme.example', 'help@acme.example']),
      directoryUser(HUB, 'a-carl', ['carl@acme.example', 'help@acme.example']),
    ], [
      directoryGroup(HUB, 'g-owners', 'Acme Owners', ['a-olivia']),
      directoryGroup(HUB, 'g-managers', 'Acme Managers', ['a-max']),
      directoryGroup(HUB, 'g-staff', 'Acme Staff', ['a-cora', 'a-carl']),
    ]);
    server = await serveDashboard({ config, agent, store, sessions });
  });
  after(() => server.close());

  test('an admin seat matched to a collaborator raises nobody: her hub role stays what her groups give', async () => {
    agent.calls.length = 0;
    assert.equal((await post('max@acme.example', 'members/m-admin/match', { directoryUserId: 'a-cora' })).status, 200, 'a seat of no higher rank to someone of no higher rank: his to decide');
    // The records the agent writes for that match (agent/members/member-decisions.ts), and the seat at ADMIN.
    await store.transact((tx) => {
      tx.put('appMembers', HUB, 'm-admin', { hubId: HUB, id: 'm-admin', email: 'old.agency@partner.example', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
      tx.put('matchDecisions', HUB, 'm-admin', { hubId: HUB, memberId: 'm-admin', outcome: 'onboarded', manual: true, directoryUserId: 'a-cora', at });
      tx.put('memberMatches', HUB, 'm-admin', { hubId: HUB, memberId: 'm-admin', outcome: 'onboarded', manual: true, directoryUserId: 'a-cora', at });
    });
    const hub = withCollections(config.file).find((h) => h.id === HUB)!;
    assert.equal(await hubRoleOfUser(store, hub, 'a-cora', { evenIfInactive: true }), 'collaborator');
    assert.equal((await call(await signedIn(sessions, 'cora@acme.example'), 'GET', `/ui/api/v1/hubs/${HUB}/members`)).status, 403, 'she manages nothing');
    // Labelled above himself, or matched to himself: refused as before.
    assert.equal((await post('max@acme.example', 'members/m-admin/match', { directoryUserId: 'a-cora', hubRole: 'owner' })).status, 403);
    assert.match(await detail(await post('max@acme.example', 'members/m-admin/match', { directoryUserId: 'a-max' })), /nobody decides about their own seat/);
    assert.deepEqual(decisions(), [['matchMember', 'm-admin']]);
  });

  test("an owner's seat is not his to re-match or un-match (refused as before)", async () => {
    agent.calls.length = 0;
    assert.match(await detail(await post('max@acme.example', 'members/m-olivia/match', { directoryUserId: 'a-cora' })), /a manager cannot take the seat of an owner/);
    assert.match(await detail(await post('max@acme.example', 'members/m-olivia/unmatch')), /a manager cannot un-match the seat of an owner/);
    assert.deepEqual(decisions(), []);
  });

  test('a disputed seat an owner is a candidate of: not matched to the other candidate or un-matched by him (403, audited, nothing reaches the agent)', async () => {
    agent.calls.length = 0;
    const matched = await post('max@acme.example', 'members/m-desk/match', { directoryUserId: 'a-cora' });
    assert.equal(matched.status, 403);
    assert.match(await detail(matched), /a manager cannot take the seat of an owner/);
    const unmatched = await post('max@acme.example', 'members/m-desk/unmatch');
    assert.equal(unmatched.status, 403);
    assert.match(await detail(unmatched), /a manager cannot un-match the seat of an owner/);
    assert.deepEqual(decisions(), [], 'nothing reached the agent');
    const [m] = await failed('member-matched', 'm-desk');
    assert.match(m!.why, /max@acme\.example asked to match desk@acme\.example to a-cora: refused, a manager cannot take the seat of an owner/);
    assert.equal(m!.subject?.directoryUserId, 'a-olivia', 'the audit names whose seat it may be');
    assert.equal((await failed('member-unmatched', 'm-desk')).length, 1);
  });

  test("a refusal's audit entry carries the reason he gave, as an accepted change's does", async () => {
    const reason = 'ticket OPS-7: Olivia moved teams';
    const res = await post('max@acme.example', 'members/m-olivia/match', { directoryUserId: 'a-cora', reason });
    assert.equal(res.status, 403);
    assert.match(await detail(res), /a manager cannot take the seat of an owner/);
    const [m] = (await failed('member-matched', 'm-olivia')).filter((e) => e.trigger.reason !== undefined || e.why.includes('OPS-7'));
    assert.ok(m, 'the refusal is audited with its reason');
    assert.equal(m.trigger.actor, 'max@acme.example', 'as the person signed in');
    assert.equal(m.trigger.reason, reason);
    assert.match(m.why, /refused, a manager cannot take the seat of an owner.* \(reason: "ticket OPS-7: Olivia moved teams"\)$/);
  });

  test('nor registers its email as a guest (no dashboard route yet: the agent as the dashboard sees it)', async () => {
    agent.calls.length = 0;
    const refusals: Refusal[] = [];
    const max = { admin: false, actor: 'max@acme.example', email: 'max@acme.example', roles: new Map([[HUB, 'manager' as const]]), self: new Map([[HUB, { directoryUserIds: new Set(['a-max']), emails: new Set(['max@acme.example']) }]]) };
    const roles: Record<string, HubRole> = { 'a-olivia': 'owner', 'a-max': 'manager', 'a-cora': 'collaborator', 'a-carl': 'collaborator' };
    const scoped = scopedAgent(agent, () => max, { hubRoleOf: async (_hubId, id) => roles[id], approvalMembers: async () => [], refused: async (_hubId, r) => { refusals.push(r); } });
    const trigger = { type: 'dashboard' as const, actor: 'max@acme.example' };
    await assert.rejects(scoped.registerGuest(HUB, { email: 'desk@acme.example' }, trigger), (e: Error & { status?: number }) => e.status === 403 && /a manager cannot register as a guest the seat of an owner/.test(e.message));
    assert.deepEqual(refusals.map((r) => [r.action, r.subject.directoryUserId]), [['guest-registered', 'a-olivia']]);
    await scoped.registerGuest(HUB, { email: 'help@acme.example' }, trigger);
    assert.deepEqual(decisions(), [['registerGuest', { email: 'help@acme.example' }]], 'candidates of no higher rank: his to decide');
  });

  test('a disputed seat of no higher rank stays his to decide; an owner or an administrator decides the owner\'s', async () => {
    agent.calls.length = 0;
    assert.equal((await post('max@acme.example', 'members/m-help/match', { directoryUserId: 'a-cora' })).status, 200);
    assert.equal((await post('max@acme.example', 'members/m-help/unmatch')).status, 200);
    assert.equal((await post('olivia@acme.example', 'members/m-desk/match', { directoryUserId: 'a-cora' })).status, 403, 'the owner a candidate: her own seat, another owner\'s to decide');
    assert.equal((await post('boss@acme.example', 'members/m-desk/match', { directoryUserId: 'a-cora' })).status, 200, 'an administrator');
    assert.deepEqual(decisions(), [['matchMember', 'm-help'], ['unmatchMember', 'm-help'], ['matchMember', 'm-desk']]);
  });
});
