import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { configSchema } from '../../config/schema.ts';
import { runCheckForUpdates } from '../check-for-updates/run-check.ts';
import { emptyApp, fakeConnector, type FakeApp } from '../check-for-updates/fake-app.test-double.ts';
import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { createMemberService } from './member-service.ts';
import { AgentError } from '../agent-error.ts';
import '../tasks/task-record.ts';

const file = configSchema.parse({
  hubs: [{
    id: 'acme', connector: 'meta-business', meta: { businessId: '1000' }, partners: [{ businessId: '2000', token: 'env:X' }],
    teams: [{ group: 'Meta Admins', hubRole: 'owner', appRole: 'ADMIN' }, { group: 'Meta Advertisers', appRole: 'EMPLOYEE' }],
  }],
});
const hub = file.hubs[0];
const admin = { type: 'admin' as const, actor: 'owner@acme.com' };

const user = (id: string, email: string): DirectoryUserRecord => ({ hubId: 'acme', id, userName: email, active: true, email, emails: [email], scim: {}, created: 'x', lastModified: 'x', version: 1 });

function app(): FakeApp {
  const a = emptyApp();
  a.members = [
    { id: '11', email: 'jane@acme.com', name: 'Jane', role: 'ADMIN' },
    { id: '12', email: 'contractor@agency.com', name: 'Carl', role: 'EMPLOYEE' },
    { id: '13', email: 'zed@acme.com', name: 'Zed', role: 'EMPLOYEE' },
  ];
  a.invites = [{ id: '901', email: 'newbie@acme.com', role: 'EMPLOYEE', status: 'pending', expiresAt: '2026-11-24T12:00:00.000Z' }];
  a.assets = [{ type: 'ad_account', id: 'act_1', ownership: 'owned' }];
  a.assignments = [{ asset: { type: 'ad_account', id: 'act_1' }, userId: '11', userType: 'member', tasks: ['ADVERTISE', 'ANALYZE'] }];
  a.partners = [{ businessId: '2000', relation: 'agency', assets: [] }];
  a.partnerUsers = [{ partnerBusinessId: '2000', userId: '7001', email: 'ann@agency.com', userType: 'member', assignments: [] }];
  return a;
}

async function setup() {
  let t = Date.parse('2026-11-23T12:00:00.000Z');
  const clock = () => new Date(t);
  const advance = (ms: number) => { t += ms; };
  const store = new MemoryStore();
  await store.transact((tx) => {
    for (const u of [user('u1', 'jane@acme.com'), user('u2', 'newbie@acme.com'), user('u3', 'carl@acme.com')]) tx.put('directoryUsers', 'acme', u.id, u);
    tx.put('directoryGroups', 'acme', 'g1', { hubId: 'acme', id: 'g1', displayName: 'Meta Admins', members: [{ value: 'u1' }], scim: {}, created: 'x', lastModified: 'x', version: 1 });
  });
  const connector = fakeConnector(app());
  let n = 0;
  const check = () => runCheckForUpdates({ store, hub, connector, trigger: admin, taskId: `t${++n}`, now: clock, log: { info() {}, warn() {} } });
  await check();
  const service = createMemberService({ config: { file }, store, log: { info() {}, warn() {}, error() {} }, clock });
  return { store, service, check, advance, connector };
}

describe('member service', () => {
  test('members: statuses, counts, paging, search, sort, bad queries', async () => {
    const { service } = await setup();
    const all = await service.members('acme', { limit: 10 });
    assert.equal(all.total, 5);
    assert.deepEqual(all.items.map((v) => [v.id, v.status]), [['partner:2000:7001', 'guest'], ['12', 'unmatched'], ['11', 'onboarded'], ['invite:901', 'invited'], ['13', 'unmatched']]);
    const jane = (await service.member('acme', '11'))!;
    assert.deepEqual(jane.grantedBy, ['Meta Admins']);
    assert.equal(jane.hubRole, 'owner');
    assert.deepEqual(jane.assets, [{ type: 'ad_account', id: 'act_1', tasks: ['ADVERTISE', 'ANALYZE'] }]);
    assert.deepEqual(await service.memberCounts('acme'), { onboarded: 1, invited: 1, lapsed: 0, unmatched: 2, guest: 1, exempted: 0 });
    const page2 = await service.members('acme', { offset: 2, limit: 2, sort: '-email' });
    assert.deepEqual(page2.items.map((v) => v.email), ['jane@acme.com', 'contractor@agency.com']);
    assert.deepEqual((await service.members('acme', { status: 'unmatched' })).items.map((v) => v.id), ['12', '13']);
    assert.deepEqual((await service.members('acme', { search: 'ZED' })).items.map((v) => v.id), ['13']);
    await assert.rejects(service.members('acme', { sort: 'salary' }), (e: unknown) => e instanceof AgentError && e.kind === 'invalid-argument' && /sort must be one of/.test(e.message));
    await assert.rejects(service.members('acme', { limit: 100000 }), /limit must be/);
    await assert.rejects(service.members('nope', {}), (e: unknown) => e instanceof AgentError && e.kind === 'not-found');
  });

  test('manual match with a hub role survives a re-import, and un-match re-assigns', async () => {
    const { service, store, check } = await setup();
    const view = await service.matchMember('acme', '12', { directoryUserId: 'u3', hubRole: 'manager' }, admin);
    assert.equal(view.status, 'onboarded');
    assert.equal(view.directoryUserId, 'u3');
    assert.equal(view.hubRole, 'manager');
    assert.ok((await collect(store.list('tasks', 'acme'))).some((t) => t.kind === 'reconcile-hub' && t.status === 'queued'));
    await check();
    assert.equal((await service.member('acme', '12'))?.directoryUserId, 'u3');
    assert.equal((await store.get('memberMatches', 'acme', '12'))?.manual, true);
    const unmatched = await service.unmatchMember('acme', '11', admin);
    assert.equal(unmatched.status, 'unmatched');
    await check();
    assert.equal((await service.member('acme', '11'))?.status, 'unmatched'); // the email would match; the owner's decision wins
    await service.matchMember('acme', '11', { directoryUserId: 'u3' }, admin);
    assert.equal((await service.member('acme', '11'))?.directoryUserId, 'u3');
    const actions = (await collect(store.list('audit', 'acme'))).map((e) => e.action).filter((a) => a.startsWith('member-'));
    assert.deepEqual(actions, ['member-matched', 'member-unmatched', 'member-matched']);
  });

  test("a member whose email the IdP changed stays matched to them, and the view says why", async () => {
    const { service, store, check } = await setup();
    await store.transact((tx) => tx.put('directoryUsers', 'acme', 'u1', user('u1', 'jane.new@acme.com')));
    await check();
    const jane = (await service.member('acme', '11'))!;
    assert.deepEqual([jane.status, jane.directoryUserId, jane.matchReason], ['onboarded', 'u1', 'matched by directory user; email changed in the IdP']);
    assert.deepEqual(jane.grantedBy, ['Meta Admins']);
  });

  test('bad decisions are refused and change nothing', async () => {
    const { service, store } = await setup();
    const before = JSON.stringify(await collect(store.list('audit', 'acme')));
    await assert.rejects(service.matchMember('acme', '12', { directoryUserId: 'u-missing' }, admin), (e: unknown) => e instanceof AgentError && e.kind === 'not-found');
    await assert.rejects(service.matchMember('acme', '12', { directoryUserId: 'u3', hubRole: 'god' }, admin), /hubRole must be one of/);
    await assert.rejects(service.matchMember('acme', 'partner:2000:7001', { directoryUserId: 'u3' }, admin), /partner's person/);
    await assert.rejects(service.exemptMember('acme', '12', { reason: '  ' }, admin), /a reason is required/);
    // Stored, then shown in the dashboard, the CLI and an IdP attribute: no control or bidi character.
    for (const reason of ['board\u0000member', 'board\u001b[2Jmember', 'board\nmember', 'ok \u202etxt.exe', 'x\u2066y', 'c1\u009bz']) {
      await assert.rejects(service.exemptMember('acme', '12', { reason }, admin), (e: unknown) => e instanceof AgentError && e.kind === 'invalid-argument' && /the reason holds a (NUL|control character|Unicode bidirectional control)/.test(e.message), JSON.stringify(reason));
    }
    await assert.rejects(service.exemptMember('acme', '12', { reason: 'x', until: '2020-01-01T00:00:00Z' }, admin), /not in the future/);
    await assert.rejects(service.exemptMember('acme', '99', { reason: 'x' }, admin), (e: unknown) => e instanceof AgentError && e.kind === 'not-found');
    await assert.rejects(service.registerGuest('acme', { email: 'not-an-email' }, admin), /not an email address/);
    assert.equal(JSON.stringify(await collect(store.list('audit', 'acme'))), before);
    assert.equal(await store.count('matchDecisions', 'acme'), 0);
    assert.equal(await store.count('exemptions', 'acme'), 0);
  });

  test('exemption with expiry: exempted, then back to matching and reported when it lapses', async () => {
    const { service, store, check, advance } = await setup();
    const view = await service.exemptMember('acme', '12', { reason: 'agency owner', until: '2026-11-30T00:00:00Z' }, admin);
    assert.equal(view.status, 'exempted');
    assert.deepEqual(view.exemption, { reason: 'agency owner', until: '2026-11-30T00:00:00.000Z', by: 'owner@acme.com', at: '2026-11-23T12:00:00.000Z' });
    await check();
    assert.equal((await service.member('acme', '12'))?.status, 'exempted');
    advance(8 * 24 * 3600 * 1000);
    assert.equal((await service.member('acme', '12'))?.status, 'unmatched'); // lapsed: the view notices without a write
    await check();
    assert.equal(await store.get('exemptions', 'acme', '12'), undefined);
    assert.ok((await collect(store.list('audit', 'acme'))).some((e) => e.action === 'exemption-lapsed' && e.subject?.memberId === '12'));
  });

  test('exemption until a date: in force through the end of that day (UTC), as the dashboard shows it; refused only when that day is over', async () => {
    const { service, advance } = await setup();
    // now: 2026-11-23T12:00Z. "Until today" still has half a day to run.
    const today = await service.exemptMember('acme', '13', { reason: 'leaving today', until: '2026-11-23' }, admin);
    assert.equal(today.status, 'exempted');
    assert.equal(today.exemption?.until?.slice(0, 10), '2026-11-23', 'the date the owner picked is the date shown');
    const view = await service.exemptMember('acme', '12', { reason: 'agency owner', until: '2026-11-30' }, admin);
    assert.equal(view.exemption?.until, '2026-11-30T23:59:59.999Z');
    await assert.rejects(service.exemptMember('acme', '12', { reason: 'x', until: '2026-02-30' }, admin), /not a calendar date/);
    advance(7 * 24 * 3600 * 1000); // 2026-11-30T12:00Z: the last day of the exemption
    assert.equal((await service.member('acme', '12'))?.status, 'exempted');
    advance(12 * 3600 * 1000); // 2026-12-01T00:00Z
    assert.equal((await service.member('acme', '12'))?.status, 'unmatched');
    await assert.rejects(service.exemptMember('acme', '12', { reason: 'x', until: '2026-11-30' }, admin), /not in the future/);
  });

  test('an exemption ended by an owner: the member is managed again, the end is audited with the exemption it ended, and a reconcile is asked for', async () => {
    const { service, store } = await setup();
    await assert.rejects(service.unexemptMember('acme', '12', admin), (e: unknown) => e instanceof AgentError && e.kind === 'conflict' && /not exempted/.test(e.message));
    assert.equal((await collect(store.list('audit', 'acme'))).filter((e) => e.action === 'member-unexempted').length, 0, 'a refused end writes nothing');
    await service.exemptMember('acme', '12', { reason: 'agency owner' }, admin);
    const view = await service.unexemptMember('acme', '12', admin);
    assert.equal(view.status, 'unmatched');
    assert.equal(view.exemption, undefined);
    assert.equal(await store.get('exemptions', 'acme', '12'), undefined);
    const ended = (await collect(store.list('audit', 'acme'))).filter((e) => e.action === 'member-unexempted');
    assert.equal(ended.length, 1);
    assert.match(ended[0]!.why, /ended the exemption of .*"agency owner"/);
    assert.ok((await collect(store.list('tasks', 'acme'))).some((t) => t.kind === 'reconcile-hub'), 'the hub is re-planned');
  });

  test('registered guest', async () => {
    const { service } = await setup();
    await service.registerGuest('acme', { email: 'Contractor@Agency.com', note: 'agency' }, admin);
    assert.equal((await service.member('acme', '12'))?.status, 'guest');
  });

  test('remove: queues one seat-change task; refuses exempted members and partner people', async () => {
    const { service, store } = await setup();
    const task = await service.removeMember('acme', '13', admin);
    assert.equal(task.kind, 'remove-member');
    assert.equal(task.status, 'queued');
    const again = await service.removeMember('acme', '13', admin);
    assert.equal(again.id, task.id);
    const record = (await store.get('tasks', 'acme', task.id))!;
    assert.deepEqual([(record.payload as any).op.memberId, (record.payload as any).force], ['13', true]);
    const cancel = await service.removeMember('acme', 'invite:901', admin);
    assert.equal(cancel.kind, 'cancel-invite');
    await service.exemptMember('acme', '12', { reason: 'keep' }, admin);
    await assert.rejects(service.removeMember('acme', '12', admin), (e: unknown) => e instanceof AgentError && e.kind === 'conflict' && /exempted/.test(e.message));
    await assert.rejects(service.removeMember('acme', 'partner:2000:7001', admin), /partner's person/);
  });

  test('check for updates on demand is deduped while one is queued', async () => {
    const { service } = await setup();
    const a = await service.checkForUpdates('acme', admin);
    const b = await service.checkForUpdates('acme', { type: 'cli' });
    assert.equal(a.kind, 'check-for-updates');
    assert.equal(a.id, b.id);
  });

  test('run summaries, newest first', async () => {
    const { service, check } = await setup();
    await check();
    const runs = await service.checkRuns('acme');
    assert.deepEqual(runs.map((r) => r.id), ['t2', 't1']);
    assert.equal(runs[0].counts?.members, 3);
    assert.equal((await service.checkRuns('acme', 1)).length, 1);
  });

  test('the same decision again (a retried request): alreadyDone, nothing written, re-matched, reconciled or audited; a different one is a change', async () => {
    const { store, service } = await setup();
    const audit = async () => (await collect(store.list('audit', 'acme'))).length;
    const reconciles = async () => (await collect(store.list('tasks', 'acme'))).filter((t) => t.kind === 'reconcile-hub').length;
    const first = await service.exemptMember('acme', '12', { reason: 'agency owner', until: '2026-11-30' }, admin);
    assert.equal(first.alreadyDone, undefined);
    const [entries, record, tasks] = [await audit(), await store.get('exemptions', 'acme', '12'), await reconciles()];
    const retry = await service.exemptMember('acme', '12', { reason: ' agency owner ', until: '2026-11-30' }, { type: 'admin', actor: 'admin-token:abc123' });
    assert.equal(retry.alreadyDone, true);
    assert.match(retry.detail!, /was already exempted \("agency owner" until 2026-11-30T23:59:59.999Z, by owner@acme.com\); nothing changed/);
    assert.equal(retry.status, 'exempted');
    assert.deepEqual(await store.get('exemptions', 'acme', '12'), record, 'who exempted it and when stay the first call\'s');
    assert.equal(await audit(), entries, 'a repeat is not audited');
    assert.equal(await reconciles(), tasks);
    // Another reason or expiry is a new decision.
    const changed = await service.exemptMember('acme', '12', { reason: 'agency owner', until: '2026-12-31' }, admin);
    assert.equal(changed.alreadyDone, undefined);
    assert.equal(changed.exemption?.until, '2026-12-31T23:59:59.999Z');
    assert.equal(await audit(), entries + 1);

    await service.matchMember('acme', '13', { directoryUserId: 'u3', hubRole: 'manager' }, admin);
    const matched = await audit();
    const again = await service.matchMember('acme', '13', { directoryUserId: 'u3', hubRole: 'manager' }, admin);
    assert.deepEqual([again.alreadyDone, again.directoryUserId], [true, 'u3']);
    assert.equal(await audit(), matched);
    assert.equal((await service.matchMember('acme', '13', { directoryUserId: 'u3' }, admin)).alreadyDone, undefined, 'without the hub role: a change');
    await service.unmatchMember('acme', '13', admin);
    const unmatched = await audit();
    assert.equal((await service.unmatchMember('acme', '13', admin)).alreadyDone, true);
    assert.equal(await audit(), unmatched);
  });

  test('a guest registered again with the same note (a retried request): nothing written, reconciled or audited; another note is a change', async () => {
    const { store, service } = await setup();
    const audit = async () => (await collect(store.list('audit', 'acme'))).filter((e) => e.action === 'guest-registered').length;
    const reconciles = async () => (await collect(store.list('tasks', 'acme'))).filter((t) => t.kind === 'reconcile-hub').length;
    await service.registerGuest('acme', { email: 'Contractor@Agency.com', note: 'agency' }, admin);
    const [record, tasks] = [await store.get('guests', 'acme', 'contractor@agency.com'), await reconciles()];
    assert.equal(await audit(), 1);
    await service.registerGuest('acme', { email: 'contractor@agency.com', note: 'agency' }, { type: 'admin', actor: 'admin-token:abc123' });
    assert.equal(await audit(), 1, 'a repeat is not audited');
    assert.deepEqual(await store.get('guests', 'acme', 'contractor@agency.com'), record, "who registered it and when stay the first call's");
    assert.equal(await reconciles(), tasks);
    await service.registerGuest('acme', { email: 'contractor@agency.com', note: 'agency, until March' }, admin);
    assert.equal(await audit(), 2, 'another note is a new decision');
  });
});
