/**
 * Nobody decides about their own seat in the dashboard: a manager or owner may not match their own
 * member row to someone else (hubwarden would give their account that person's app role), un-match
 * it or exempt it (hubwarden would then never remove it), nor match a row to themselves. Another
 * owner, and a global administrator, may. Hub roles from a seeded directory; the agent a fake that
 * records every call (scoped-agent.ts is what refuses).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberView } from '../../agent/api.ts';
import { accessStore, directoryGroup, directoryUser, SEEDED_AT as at, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import type { TestServer } from '../../test/admin/test-server.ts';
import { scopedAgent, type Refusal } from './scoped-agent.ts';
import { SessionStore } from './session-store.ts';
import { dashboardCaller, rankedHubConfig, serveDashboard, signedIn, type SignedIn } from './web-fixtures.ts';

const config = rankedHubConfig('own-seat');

const row = (id: string, email: string, extra: Partial<MemberView> = {}): MemberView =>
  ({ hubId: 'acme-ads', id, status: 'unmatched', email, appRole: 'EMPLOYEE', assets: [], grantedBy: [], kind: 'member', ...extra });

/** Max, a manager of acme-ads, as the dashboard's viewer (for scopedAgent called directly). */
const maxAsManager = () => ({
  admin: false, actor: 'max@acme.example', email: 'max@acme.example', roles: new Map([['acme-ads', 'manager' as const]]),
  self: new Map([['acme-ads', { directoryUserIds: new Set(['a-max']), emails: new Set(['max@acme.example']) }]]),
});

describe('nobody decides about their own seat', () => {
  let server: TestServer;
  let agent: FakeAgent;
  const sessions = new SessionStore(new MemoryStore());
  let store: MemoryStore;
  const who = (email: string, admin = false) => signedIn(sessions, email, { admin });
  const call = dashboardCaller(() => server);
  const post = (as: SignedIn, path: string, body: unknown) => call(as, 'POST', path, body);
  const decisions = () => agent.calls.filter((c) => ['matchMember', 'unmatchMember', 'exemptMember', 'decideApproval'].includes(c.method));

  before(async () => {
    agent = new FakeAgent();
    agent.membersByHub.get('acme-ads')!.push(
      // Max's own account, not matched yet (his email), and one matched to him under a private email.
      row('1009', 'Max@Acme.example'),
      row('1010', 'max.private@gmail.com', { status: 'onboarded', directoryUserId: 'a-max' }),
      // An invitation to Max's email, not yet accepted (its row id: `invite:<id>`).
      row('invite:inv-max', 'max@acme.example', { kind: 'invite' }),
      // A seat matched to Max before the IdP changed his email, its old address since given to
      // Cora: disputed between them, and no email of Max's left on it.
      row('1011', 'old.max@acme.example', { candidates: ['a-cora', 'a-max'] }),
      // Olivia's seat (an owner), and Cora's (no hub role).
      row('1012', 'olivia@acme.example', { status: 'onboarded', directoryUserId: 'a-olivia', appRole: 'ADMIN' }),
      row('1013', 'cora@acme.example', { status: 'onboarded', directoryUserId: 'a-cora' }),
      // Disputed between Olivia (an owner) and Cora: matched to nobody until an owner decides.
      row('1018', 'shared.desk@acme.example', { candidates: ['a-cora', 'a-olivia'] }),
    );
    store = await accessStore();
    const user = (id: string, email: string, extra = {}) => directoryUser('acme-ads', id, [email], extra);
    await seedDirectory(store, [
      user('a-olivia', 'olivia@acme.example'),
      user('a-max', 'max@acme.example'),
      user('a-cora', 'cora@acme.example'),
      // Owners too, for now holding nothing: Sam suspended in the IdP, Dana deactivated. Their
      // groups make them owners again the moment the IdP lifts the suspension or re-activates them.
      user('a-sam', 'sam@acme.example', { suspended: { at, by: 'okta-event-hook' } }),
      user('a-dana', 'dana@acme.example', { active: false }),
      // Oz, offboarded by a leaver workflow: held until the IdP deactivates and reactivates him.
      user('a-oz', 'oz@acme.example', { offboarded: { at, by: 'entra-lifecycle' } }),
    ], [
      directoryGroup('acme-ads', 'g-owners', 'Acme Owners', ['a-olivia', 'a-sam', 'a-dana', 'a-oz']),
      directoryGroup('acme-ads', 'g-managers', 'Acme Managers', ['a-max']),
    ]);
    await store.transact((tx) => {
      // Halted plans (the removal threshold): two would remove Max's own seat (his email), one someone else's.
      for (const [id, memberId] of [['ap-max-1', '1009'], ['ap-max-2', '1009'], ['ap-other', '1002']] as const) {
        const approval = { id, hubId: 'acme-ads', createdAt: at, status: 'pending' as const, explanation: 'would remove 3 of 5 members (60% > 20%)', operations: [{ kind: 'remove-member', summary: `remove ${memberId}` }], taskId: `t-${id}` };
        agent.approvalsById.set(id, approval);
        tx.put('approvals', 'acme-ads', id, { ...approval, planned: [{ kind: 'remove-member', key: `remove:${memberId}`, memberId, role: 'EMPLOYEE', summary: `remove ${memberId}` }] as never });
      }
      // A halted plan that cancels Max's own invitation (kept, he could still accept it).
      const invite = { id: 'ap-max-invite', hubId: 'acme-ads', createdAt: at, status: 'pending' as const, explanation: 'would remove 3 of 5 members (60% > 20%)', operations: [{ kind: 'cancel-invite', summary: 'cancel inv-max' }], taskId: 't-ap-max-invite' };
      agent.approvalsById.set(invite.id, invite);
      tx.put('approvals', 'acme-ads', invite.id, { ...invite, planned: [{ kind: 'cancel-invite', key: 'cancel:inv-max', inviteId: 'inv-max', summary: 'cancel inv-max' }] as never });
    });
    server = await serveDashboard({ config, agent, store, sessions });
  });
  after(() => server.close());

  test('a manager may not match his own row to an owner, un-match it, exempt it, or match a row to himself', async () => {
    const max = await who('max@acme.example');
    const refused: Array<[string, unknown]> = [
      // Matched to the owner, whose group grants ADMIN: hubwarden would raise Max's account to ADMIN.
      ['/ui/api/v1/hubs/acme-ads/members/1009/match', { directoryUserId: 'a-olivia' }],
      ['/ui/api/v1/hubs/acme-ads/members/1010/match', { directoryUserId: 'a-olivia' }],
      ['/ui/api/v1/hubs/acme-ads/members/1010/unmatch', {}],
      ['/ui/api/v1/hubs/acme-ads/members/1009/exempt', { reason: 'keep my seat' }],
      ['/ui/api/v1/hubs/acme-ads/members/1010/exempt', { reason: 'keep my seat' }],
      // Someone else's seat matched to Max: governed by his grant from then on.
      ['/ui/api/v1/hubs/acme-ads/members/1002/match', { directoryUserId: 'a-max' }],
    ];
    for (const [path, body] of refused) {
      const res = await post(max, path, body);
      assert.equal(res.status, 403, path);
      assert.match(((await res.json()) as { detail: string }).detail, /nobody decides about their own seat/, path);
    }
    assert.deepEqual(decisions(), [], 'nothing reached the agent');
    // Someone else's row, matched to someone else: his to decide.
    assert.equal((await post(max, '/ui/api/v1/hubs/acme-ads/members/1002/exempt', { reason: 'agency, until the audit' })).status, 200);
  });

  test('nor a disputed row he is a candidate of by an earlier match (no email of his on it): it may be his own seat', async () => {
    agent.calls.length = 0;
    const audited = async () => (await collect(store.list('audit', 'acme-ads'))).filter((e) => e.outcome === 'failed' && e.subject?.memberId === '1011');
    const max = await who('max@acme.example');
    for (const [path, body] of [
      ['/ui/api/v1/hubs/acme-ads/members/1011/exempt', { reason: 'keep my old seat' }],
      ['/ui/api/v1/hubs/acme-ads/members/1011/unmatch', {}],
      ['/ui/api/v1/hubs/acme-ads/members/1011/match', { directoryUserId: 'a-cora' }],
    ] as const) {
      const res = await post(max, path, body);
      assert.equal(res.status, 403, path);
      assert.match(((await res.json()) as { detail: string }).detail, /nobody decides about their own seat/, path);
    }
    assert.deepEqual(decisions(), [], 'nothing reached the agent');
    assert.deepEqual((await audited()).map((e) => e.action), ['member-exempted', 'member-unmatched', 'member-matched'], 'each refusal audited');
    assert.equal((await post(await who('olivia@acme.example'), '/ui/api/v1/hubs/acme-ads/members/1011/match', { directoryUserId: 'a-max' })).status, 200, 'an owner who is no candidate decides');
  });

  test('nor register as a guest the email of a seat matched to him under another address (second line: the agent as the dashboard sees it)', async () => {
    agent.calls.length = 0;
    const refusals: Refusal[] = [];
    const max = maxAsManager();
    const scoped = scopedAgent(agent, () => max, { hubRoleOf: async () => undefined, approvalMembers: async () => [], refused: async (_hubId, r) => { refusals.push(r); } });
    const trigger = { type: 'dashboard' as const, actor: 'max@acme.example' };
    // Row 1010 is his seat kept under his private address: as a guest email it would never be removed.
    for (const email of ['max@acme.example', ' Max.Private@gmail.com ']) {
      await assert.rejects(scoped.registerGuest('acme-ads', { email }, trigger), (e: Error & { status?: number }) => e.status === 403 && /nobody decides about their own seat/.test(e.message), email);
    }
    assert.deepEqual(refusals.map((r) => r.action), ['guest-registered', 'guest-registered'], 'each refusal audited');
    assert.deepEqual(agent.calls.filter((c) => c.method === 'registerGuest'), [], 'nothing reached the agent');
    await scoped.registerGuest('acme-ads', { email: 'agency.person@partner.example' }, trigger);
    assert.equal(agent.calls.filter((c) => c.method === 'registerGuest').length, 1, 'someone else\'s email: his to decide');
  });

  test("nor register as a guest the email of an owner's seat: a guest email wins over a match kept across an email change, and the seat, naming nobody then, passed the removal's rank rule", async () => {
    agent.calls.length = 0;
    const refusals: Refusal[] = [];
    const max = maxAsManager();
    const roles: Record<string, 'owner' | 'manager'> = { 'a-olivia': 'owner', 'a-max': 'manager' };
    const scoped = scopedAgent(agent, () => max, { hubRoleOf: async (_hubId, id) => roles[id], approvalMembers: async () => [], refused: async (_hubId, r) => { refusals.push(r); } });
    const trigger = { type: 'dashboard' as const, actor: 'max@acme.example' };
    // Olivia's seat kept under her old address after the IdP changed her email (matched to her by that earlier match).
    agent.membersByHub.get('acme-ads')!.push(row('1016', 'olivia.old@acme.example', { status: 'onboarded', directoryUserId: 'a-olivia', appRole: 'ADMIN' }));
    await assert.rejects(scoped.registerGuest('acme-ads', { email: 'Olivia.Old@acme.example' }, trigger), (e: Error & { status?: number }) => e.status === 403 && /a manager cannot register as a guest the seat of an owner/.test(e.message));
    assert.deepEqual(refusals.map((r) => [r.action, r.subject.directoryUserId]), [['guest-registered', 'a-olivia']], 'audited, naming whose seat it is');
    assert.deepEqual(agent.calls.filter((c) => c.method === 'registerGuest'), [], 'nothing reached the agent');
    await scoped.registerGuest('acme-ads', { email: 'cora@acme.example' }, trigger);
    assert.equal(agent.calls.filter((c) => c.method === 'registerGuest').length, 1, 'a seat of no higher rank: his to decide');
    const sam = { admin: false, actor: 'sam@acme.example', email: 'sam@acme.example', roles: new Map([['acme-ads', 'owner' as const]]), self: new Map() };
    const asSam = scopedAgent(agent, () => sam, { hubRoleOf: async (_hubId, id) => roles[id], approvalMembers: async () => [] });
    await asSam.registerGuest('acme-ads', { email: 'olivia.old@acme.example' }, trigger);
    assert.equal(agent.calls.filter((c) => c.method === 'registerGuest').length, 2, 'another owner may');
  });

  test('another owner, or an administrator, decides about Max\'s seat', async () => {
    agent.calls.length = 0;
    assert.equal((await post(await who('olivia@acme.example'), '/ui/api/v1/hubs/acme-ads/members/1009/exempt', { reason: 'on leave' })).status, 200);
    assert.equal((await post(await who('boss@acme.example', true), '/ui/api/v1/hubs/acme-ads/members/1010/unmatch', {})).status, 200);
    assert.deepEqual(decisions().map((c) => [c.method, c.args[1]]), [['exemptMember', '1009'], ['unmatchMember', '1010']]);
  });

  test('a manager may not match anyone\'s row to an owner: the account would get the owner\'s access', async () => {
    agent.calls.length = 0;
    const max = await who('max@acme.example');
    const res = await post(max, '/ui/api/v1/hubs/acme-ads/members/1002/match', { directoryUserId: 'a-olivia' });
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { detail: string }).detail, /a manager cannot match a seat to an owner/);
    assert.deepEqual(decisions(), [], 'nothing reached the agent');
    assert.equal((await post(max, '/ui/api/v1/hubs/acme-ads/members/1002/match', { directoryUserId: 'a-cora' })).status, 200, 'to someone with no higher role: his to decide');
    assert.equal((await post(await who('olivia@acme.example'), '/ui/api/v1/hubs/acme-ads/members/1002/match', { directoryUserId: 'a-olivia' })).status, 403, 'the owner herself: her own seat');
  });

  test("a manager may not remove an owner's seat (audited, nothing reaches the agent); an owner or an administrator may, and so may he remove a seat of no higher rank", async () => {
    agent.calls.length = 0;
    const removals = () => agent.calls.filter((c) => c.method === 'removeMember').map((c) => c.args[1]);
    const refusedAudits = async () => (await collect(store.list('audit', 'acme-ads'))).filter((e) => e.outcome === 'failed' && e.action === 'remove-member');
    const max = await who('max@acme.example');
    const res = await post(max, '/ui/api/v1/hubs/acme-ads/members/1012/remove', {});
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { detail: string }).detail, /a manager cannot remove the seat of an owner/);
    assert.deepEqual(removals(), [], 'nothing reached the agent');
    const audits = await refusedAudits();
    assert.equal(audits.length, 1);
    assert.match(audits[0]!.why, /max@acme\.example asked to remove olivia@acme\.example: refused, a manager cannot remove the seat of an owner/);
    assert.equal(audits[0]!.subject?.directoryUserId, 'a-olivia');
    const disputed = await post(max, '/ui/api/v1/hubs/acme-ads/members/1018/remove', {});
    assert.equal(disputed.status, 403, 'a disputed seat one of whose candidates is an owner');
    assert.match(((await disputed.json()) as { detail: string }).detail, /a manager cannot remove the seat of an owner/);
    assert.deepEqual(removals(), [], 'nothing reached the agent');
    assert.equal((await post(max, '/ui/api/v1/hubs/acme-ads/members/1013/remove', {})).status, 202, 'no higher role: his to decide');
    assert.equal((await post(await who('boss@acme.example', true), '/ui/api/v1/hubs/acme-ads/members/1012/remove', {})).status, 202, 'an administrator');
    assert.equal((await post(await who('olivia@acme.example'), '/ui/api/v1/hubs/acme-ads/members/1012/remove', {})).status, 202, 'the owner: taking her own seat away stays hers');
    assert.deepEqual(removals(), ['1013', '1012', '1012']);
  });

  test("a manager may not match an owner's seat to someone else either: the owner's account would get that person's access, or be removed (audited, nothing reaches the agent)", async () => {
    agent.calls.length = 0;
    const refusedAudits = async () => (await collect(store.list('audit', 'acme-ads'))).filter((e) => e.outcome === 'failed' && e.action === 'member-matched' && e.subject?.memberId === '1012');
    const max = await who('max@acme.example');
    // 1012 is Olivia's seat (an owner, ADMIN); Cora has no hub role.
    const res = await post(max, '/ui/api/v1/hubs/acme-ads/members/1012/match', { directoryUserId: 'a-cora' });
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { detail: string }).detail, /a manager cannot take the seat of an owner/);
    assert.deepEqual(decisions(), [], 'nothing reached the agent');
    const audits = await refusedAudits();
    assert.equal(audits.length, 1);
    assert.match(audits[0]!.why, /max@acme\.example asked to match olivia@acme\.example to a-cora: refused, a manager cannot take the seat of an owner/);
    assert.equal(audits[0]!.subject?.directoryUserId, 'a-olivia', 'the audit names whose seat it is');
    // Re-matching a seat of no higher rank stays his; an owner or an administrator may re-match Olivia's.
    assert.equal((await post(max, '/ui/api/v1/hubs/acme-ads/members/1013/match', { directoryUserId: 'a-cora' })).status, 200, 'Cora\'s seat, to Cora again');
    assert.equal((await post(await who('boss@acme.example', true), '/ui/api/v1/hubs/acme-ads/members/1012/match', { directoryUserId: 'a-cora' })).status, 200, 'an administrator');
    assert.deepEqual(decisions().map((c) => [c.method, c.args[1]]), [['matchMember', '1013'], ['matchMember', '1012']]);
  });

  test("nor un-match an owner's seat: unmatched, a seat has no one above him, so un-match then remove took it away in two steps (audited, nothing reaches the agent)", async () => {
    agent.calls.length = 0;
    // Another seat of Olivia's (the tests above re-matched 1012).
    agent.membersByHub.get('acme-ads')!.push(row('1014', 'olivia.ads@acme.example', { status: 'onboarded', directoryUserId: 'a-olivia', appRole: 'ADMIN' }));
    const refusedAudits = async () => (await collect(store.list('audit', 'acme-ads'))).filter((e) => e.outcome === 'failed' && e.action === 'member-unmatched' && e.subject?.memberId === '1014');
    const max = await who('max@acme.example');
    const res = await post(max, '/ui/api/v1/hubs/acme-ads/members/1014/unmatch', {});
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { detail: string }).detail, /a manager cannot un-match the seat of an owner/);
    assert.deepEqual(decisions(), [], 'nothing reached the agent');
    const audits = await refusedAudits();
    assert.equal(audits.length, 1);
    assert.match(audits[0]!.why, /max@acme\.example asked to un-match olivia\.ads@acme\.example: refused, a manager cannot un-match the seat of an owner/);
    assert.equal(audits[0]!.subject?.directoryUserId, 'a-olivia', 'the audit names whose seat it is');
    assert.equal((await post(max, '/ui/api/v1/hubs/acme-ads/members/1013/unmatch', {})).status, 200, "Cora's seat (no hub role): his to decide");
    assert.equal((await post(await who('olivia@acme.example'), '/ui/api/v1/hubs/acme-ads/members/1013/unmatch', {})).status, 200, 'an owner');
    assert.equal((await post(await who('boss@acme.example', true), '/ui/api/v1/hubs/acme-ads/members/1014/unmatch', {})).status, 200, 'an administrator');
    assert.deepEqual(decisions().map((c) => [c.method, c.args[1]]), [['unmatchMember', '1013'], ['unmatchMember', '1013'], ['unmatchMember', '1014']]);
  });

  test('nor to an owner the IdP suspended or deactivated, or a leaver action offboarded: the match outlives it, and the seat gets the owner\'s access back with them', async () => {
    agent.calls.length = 0;
    const max = await who('max@acme.example');
    for (const directoryUserId of ['a-sam', 'a-dana', 'a-oz']) {
      const res = await post(max, '/ui/api/v1/hubs/acme-ads/members/1002/match', { directoryUserId });
      assert.equal(res.status, 403, directoryUserId);
      assert.match(((await res.json()) as { detail: string }).detail, /a manager cannot match a seat to an owner/, directoryUserId);
    }
    assert.deepEqual(decisions(), [], 'nothing reached the agent');
    assert.equal((await post(await who('olivia@acme.example'), '/ui/api/v1/hubs/acme-ads/members/1002/match', { directoryUserId: 'a-sam' })).status, 200, 'another owner may');
  });

  test('a manager may not reject an approval whose halted plan removes his own seat; approving it, and other approvals, stay his', async () => {
    agent.calls.length = 0;
    const max = await who('max@acme.example');
    const refused = await post(max, '/ui/api/v1/approvals/ap-max-1/reject', {});
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { detail: string }).detail, /nobody decides about their own seat/);
    assert.deepEqual(decisions(), [], 'nothing reached the agent');
    assert.equal(agent.approvalsById.get('ap-max-1')!.status, 'pending');
    assert.equal((await post(max, '/ui/api/v1/approvals/ap-max-2/approve', { reason: 'own seat' })).status, 200, 'taking his own seat away stays his');
    assert.equal((await post(max, '/ui/api/v1/approvals/ap-other/reject', {})).status, 200, 'someone else\'s seat: his to decide');
    assert.equal((await post(await who('olivia@acme.example'), '/ui/api/v1/approvals/ap-max-1/reject', {})).status, 200, 'another owner decides about Max\'s seat');
    assert.deepEqual(decisions().map((c) => [c.args[0], c.args[1]]), [['ap-max-2', 'approve'], ['ap-other', 'reject'], ['ap-max-1', 'reject']]);
  });

  test('nor one whose halted plan cancels his own invitation (a row `invite:<id>`, as exempting it is refused)', async () => {
    agent.calls.length = 0;
    const max = await who('max@acme.example');
    const refused = await post(max, '/ui/api/v1/approvals/ap-max-invite/reject', {});
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { detail: string }).detail, /nobody decides about their own seat/);
    assert.equal((await post(max, '/ui/api/v1/hubs/acme-ads/members/invite%3Ainv-max/exempt', { reason: 'mine' })).status, 403, 'the same row, exempted: refused already');
    assert.deepEqual(decisions(), [], 'nothing reached the agent');
  });

  test('each refusal is audited as the decision, failed, naming who asked, the row and the rule; nothing else changes', async () => {
    const audited = async () => (await collect(store.list('audit', 'acme-ads'))).filter((e) => e.outcome === 'failed');
    const before = (await audited()).length;
    const max = await who('max@acme.example');
    const cases: Array<[string, unknown, string, RegExp]> = [
      ['/ui/api/v1/hubs/acme-ads/members/1009/exempt', { reason: 'keep my seat' }, 'member-exempted', /max@acme\.example asked to exempt Max@Acme\.example: refused, nobody decides about their own seat/],
      ['/ui/api/v1/hubs/acme-ads/members/1009/unmatch', {}, 'member-unmatched', /asked to un-match Max@Acme\.example: refused, nobody decides/],
      ['/ui/api/v1/hubs/acme-ads/members/1002/match', { directoryUserId: 'a-max' }, 'member-matched', /asked to match old\.contractor@gmail\.com to a-max: refused, nobody decides/],
      ['/ui/api/v1/hubs/acme-ads/members/1002/match', { directoryUserId: 'a-olivia' }, 'member-matched', /asked to match old\.contractor@gmail\.com to a-olivia: refused, a manager cannot match a seat to an owner/],
      ['/ui/api/v1/approvals/ap-max-invite/reject', {}, 'approval-rejected', /asked to reject approval ap-max-invite: refused, nobody decides about their own seat/],
    ];
    agent.calls.length = 0;
    for (const [path, body] of cases) assert.equal((await post(max, path, body)).status, 403, path);
    const entries = (await audited()).slice(before);
    assert.equal(entries.length, cases.length, JSON.stringify(entries));
    for (const [i, [path, , action, why]] of cases.entries()) {
      const e = entries[i]!;
      assert.equal(e.action, action, path);
      assert.deepEqual(e.trigger, { type: 'dashboard', actor: 'max@acme.example', detail: 'oidc' }, path);
      assert.match(e.why, why, path);
    }
    assert.deepEqual(entries[0]!.subject, { memberId: '1009', email: 'Max@Acme.example' });
    // A member id that names no row (here with a bidi control): not found, and nothing of it written to the trail.
    assert.equal((await post(max, '/ui/api/v1/hubs/acme-ads/members/no%E2%80%AEsuch/match', { directoryUserId: 'a-olivia' })).status, 404);
    assert.equal((await audited()).length, before + cases.length);
    assert.deepEqual(decisions(), [], 'nothing reached the agent');
  });

  test('a directory user id is at most 200 characters: a refused label never writes a body-sized one into the trail', async () => {
    const audited = async () => (await collect(store.list('audit', 'acme-ads'))).filter((e) => e.outcome === 'failed');
    const before = (await audited()).length;
    agent.calls.length = 0;
    const max = await who('max@acme.example');
    // The label rule refuses before the directory user is looked up; the id is the caller's body (up to 1 MB).
    const res = await post(max, '/ui/api/v1/hubs/acme-ads/members/1002/match', { directoryUserId: 'a'.repeat(500_000), hubRole: 'owner' });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { detail: string }).detail, /directoryUserId: expected at most 200 characters/);
    assert.equal((await audited()).length, before, 'nothing written to the trail');
    assert.deepEqual(decisions(), [], 'nothing reached the agent');
  });
});
