import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { definePersonIndexes } from '../plan/person-input.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { configSchema, type HubConfigFile } from '../../config/schema.ts';
import { runCheckForUpdates, type CheckInput } from './run-check.ts';
import { emptyApp, fakeConnector, type FakeApp } from './fake-app.test-double.ts';
import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import type { CheckRunRecord } from './check-run.ts';
import '../app-state/records.ts';
import { buildHubMembers } from '../members/member-view.ts';
import { cancelInviteOperation, removeMemberOperation } from '../plan/removal.ts';
import { recordInSnapshot } from '../tasks/operations/snapshot-update.ts';

const hub: HubConfigFile = configSchema.parse({
  hubs: [{ id: 'acme', connector: 'meta-business', meta: { businessId: '1000' }, partners: [{ businessId: '2000', token: 'env:PARTNER_TOKEN' }] }],
}).hubs[0];
const silent = { info() {}, warn() {} };
const trigger = { type: 'admin' as const, actor: 'test' };

function directoryUser(id: string, email: string): DirectoryUserRecord {
  return { hubId: 'acme', id, userName: email, active: true, email, emails: [email], scim: {}, created: 'x', lastModified: 'x', version: 1 };
}

function business(): FakeApp {
  const app = emptyApp();
  app.members = [
    { id: '11', email: 'jane@acme.com', role: 'ADMIN' },
    { id: '12', email: 'John@Acme.com', role: 'EMPLOYEE' },
    { id: '13', email: 'contractor@agency.com', role: 'EMPLOYEE' },
    { id: '14', email: 'sam@acme.com', role: 'EMPLOYEE' },
    { id: '15', email: 'leaver@acme.com', role: 'EMPLOYEE' },
  ];
  app.invites = [{ id: '901', email: 'newbie@acme.com', role: 'EMPLOYEE', status: 'pending', expiresAt: '2026-12-01T00:00:00.000Z' }];
  app.systemUsers = [{ id: '51', name: 'hubwarden', role: 'ADMIN' }];
  app.assets = [
    { type: 'ad_account', id: 'act_1', ownership: 'owned' },
    { type: 'ad_account', id: 'act_2', ownership: 'owned' },
    { type: 'ad_account', id: 'act_3', ownership: 'owned' },
    { type: 'page', id: '301', ownership: 'owned' },
  ];
  app.assignments = [
    { asset: { type: 'ad_account', id: 'act_1' }, userId: '12', userType: 'member', tasks: ['ADVERTISE', 'ANALYZE'] },
    { asset: { type: 'page', id: '301' }, userId: '11', userType: 'member', tasks: ['MANAGE'] },
  ];
  app.partners = [{ businessId: '2000', relation: 'agency', assets: [{ type: 'ad_account', id: 'act_1', permittedTasks: ['ADVERTISE', 'ANALYZE'] }] }];
  app.partnerUsers = [
    { partnerBusinessId: '2000', userId: '7001', email: 'ann@agency.com', userType: 'member', assignments: [{ asset: { type: 'ad_account', id: 'act_1' }, tasks: ['ANALYZE'] }] },
    { partnerBusinessId: '2000', userId: '7002', email: 'bob@agency.com', userType: 'member', assignments: [{ asset: { type: 'ad_account', id: 'act_1' }, tasks: ['ADVERTISE', 'ANALYZE'] }] },
  ];
  return app;
}

async function seededStore(): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.transact((tx) => {
    for (const u of [directoryUser('u1', 'jane@acme.com'), directoryUser('u2', 'john@acme.com'), directoryUser('u3', 'newbie@acme.com'), directoryUser('u4', 'leaver@acme.com'), directoryUser('u5', 'sam@acme.com'), directoryUser('u6', 'SAM@acme.com')]) {
      tx.put('directoryUsers', 'acme', u.id, u);
    }
  });
  return store;
}

let clock = Date.parse('2026-11-23T10:00:00.000Z');
const now = () => new Date((clock += 1000));

function input(store: MemoryStore, connector: ReturnType<typeof fakeConnector>, taskId: string, extra: Partial<CheckInput> = {}): CheckInput {
  return { store, hub, connector, trigger, taskId, now, log: silent, ...extra };
}

describe('check for updates', () => {
  test('first import: every page read, snapshot complete, members matched, run recorded', async () => {
    const store = await seededStore();
    const connector = fakeConnector(business());
    const progress: string[] = [];
    let reconciles = 0;
    const run = await runCheckForUpdates(input(store, connector, 't1', {
      progress: (done, total, phase) => { assert.ok(done <= total, `${done}/${total} ${phase}`); progress.push(phase); },
      enqueueReconcile: () => ({ id: `r${++reconciles}` }),
    }));
    assert.equal(run.outcome, 'completed');
    assert.deepEqual(run.counts, { members: 5, invites: 1, systemUsers: 1, assets: 4, assignments: 2, partners: 1, partnerUsers: 2 });
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.complete, true);
    // 5 members at page size 2 = 3 pages; 3 ad accounts = 2 pages
    assert.equal(connector.calls.filter((c) => c === 'listMembers').length, 3);
    assert.equal(connector.calls.filter((c) => c === 'listAssignments').length, 2);
    assert.ok(progress.some((p) => p.startsWith('assignments')));
    assert.equal(run.graphCalls, connector.calls.length);
    const outcome = (id: string) => store.get('memberMatches', 'acme', id);
    assert.equal((await outcome('11'))?.outcome, 'onboarded');
    assert.equal((await outcome('12'))?.directoryUserId, 'u2');
    assert.equal((await outcome('13'))?.outcome, 'unmatched');
    assert.deepEqual((await outcome('14'))?.candidates, ['u5', 'u6']);
    assert.equal((await outcome('invite:901'))?.directoryUserId, 'u3');
    assert.equal((await outcome('partner:2000:7001'))?.outcome, 'guest');
    assert.equal(run.reconcileTaskId, 'r1');
    assert.equal(run.changes?.compared, false);
    assert.equal((await store.get('checkRuns', 'acme', 't1'))?.outcome, 'completed');
  });

  test('second import: drift, removals, accepted and expired invites are found and audited', async () => {
    const store = await seededStore();
    const app = business();
    const connector = fakeConnector(app);
    await runCheckForUpdates(input(store, connector, 't1'));
    // hubwarden sent invite 901 and another one, 902, that will expire unaccepted
    await store.transact(async (tx) => {
      tx.put('appInvites', 'acme', '901', { ...(await tx.get('appInvites', 'acme', '901'))!, sentByHubwarden: true });
      tx.put('appInvites', 'acme', '902', { hubId: 'acme', id: '902', email: 'late@acme.com', role: 'EMPLOYEE', status: 'pending', expiresAt: '2026-11-01T00:00:00.000Z', sentByHubwarden: true, resendCount: 0, lastSeenAt: '2026-01-01T00:00:00.000Z' });
    });
    app.members[1].role = 'ADMIN'; // role changed by hand in Meta
    app.members.splice(4, 1); // the leaver was removed in the app
    app.members.push({ id: '16', email: 'NEWBIE@acme.com', role: 'EMPLOYEE' }); // accepted invite 901
    app.members.push({ id: '17', email: 'walkin@else.com', role: 'EMPLOYEE' }); // added by hand
    app.invites = [{ id: '903', email: 'hand@else.com', role: 'EMPLOYEE', status: 'pending' }];
    app.assignments[0].tasks = ['ANALYZE']; // ADVERTISE removed by hand
    const run = await runCheckForUpdates(input(store, connector, 't2'));

    const c = run.changes!;
    assert.equal(c.compared, true);
    assert.deepEqual(c.removedMembers.map((m) => m.memberId), ['15']);
    assert.deepEqual(c.roleChanges, [{ memberId: '12', email: 'John@Acme.com', from: 'EMPLOYEE', to: 'ADMIN' }]);
    assert.deepEqual(c.acceptedInvites, [{ memberId: '16', inviteId: '901', email: 'NEWBIE@acme.com' }]);
    assert.deepEqual(c.expiredInvites.map((i) => i.inviteId), ['902']);
    assert.deepEqual(c.drift.map((d) => d.kind).sort(), ['invited-by-hand', 'member-added-by-hand', 'role-changed', 'tasks-removed']);
    assert.equal((await store.get('appMembers', 'acme', '16'))?.inviteId, '901');
    assert.equal(await store.get('appInvites', 'acme', '901'), undefined);
    assert.equal((await store.get('appInvites', 'acme', '902'))?.status, 'expired');
    assert.equal(await store.get('appMembers', 'acme', '15'), undefined);
    assert.equal(await store.get('memberMatches', 'acme', '15'), undefined);
    assert.equal((await store.get('memberMatches', 'acme', '16'))?.directoryUserId, 'u3');
    const actions = (await collect(store.list('audit', 'acme'))).filter((e) => e.taskId === 't2').map((e) => e.action).sort();
    assert.deepEqual(actions, ['check-for-updates', 'drift-invited-by-hand', 'drift-member-added-by-hand', 'drift-role-changed', 'drift-tasks-removed', 'invite-accepted', 'invite-expired', 'member-left-app']);
  });

  test('a check that finds a member or invite unchanged rewrites nothing; the members view shows it seen at the last import', async () => {
    const store = await seededStore();
    const app = business();
    const connector = fakeConnector(app);
    await runCheckForUpdates(input(store, connector, 't1'));
    const before = await store.get('appMembers', 'acme', '11');
    const written: string[] = [];
    const stop = store.subscribe((changes) => {
      for (const c of changes) if (c.collection === 'appMembers' || c.collection === 'appInvites') written.push(`${c.collection}/${c.id}`);
    });
    app.members[1].role = 'ADMIN';
    await runCheckForUpdates(input(store, connector, 't2'));
    stop();
    assert.deepEqual(written, ['appMembers/12'], 'only the member whose role changed is written');
    assert.deepEqual(await store.get('appMembers', 'acme', '11'), before, 'an unchanged record keeps its lastSeenAt');
    const changed = await store.get('appMembers', 'acme', '12');
    assert.ok(changed!.lastSeenAt > before!.lastSeenAt);
    const completedAt = (await store.get('appImports', 'acme', 'acme'))!.completedAt!;
    assert.ok(completedAt > before!.lastSeenAt);
    const { views } = await buildHubMembers(store, hub, new Date(clock));
    assert.equal(views.find((v) => v.id === '11')?.lastSeenAt, completedAt, 'seen by the last complete import');
    assert.equal(views.find((v) => v.kind === 'invite')?.lastSeenAt, completedAt);
  });

  test('a read that fails midway keeps the previous complete snapshot and records the failure', async () => {
    const store = await seededStore();
    const app = business();
    const connector = fakeConnector(app);
    await runCheckForUpdates(input(store, connector, 't1'));
    const before = JSON.stringify([await collect(store.list('appMembers', 'acme')), await collect(store.list('appAssignments', 'acme')), await store.get('appImports', 'acme', 'acme')]);
    app.members.splice(0, 3);
    connector.failOn = { listing: 'listInvites', kind: 'unavailable' }; // a required listing
    let reconciled = false;
    await assert.rejects(runCheckForUpdates(input(store, connector, 't2', { enqueueReconcile: () => { reconciled = true; return undefined; } })), /fake: listInvites: unavailable/);
    assert.equal(JSON.stringify([await collect(store.list('appMembers', 'acme')), await collect(store.list('appAssignments', 'acme')), await store.get('appImports', 'acme', 'acme')]), before);
    assert.equal(reconciled, false);
    const failed = await store.get('checkRuns', 'acme', 't2') as CheckRunRecord;
    assert.equal(failed.outcome, 'failed');
    assert.equal(failed.error?.kind, 'unavailable');
    assert.ok((await collect(store.list('audit', 'acme'))).some((e) => e.taskId === 't2' && e.outcome === 'failed'));
  });

  test("hubwarden's own invite recorded before Meta's id was known keeps its bookkeeping (no hand-invite drift)", async () => {
    const store = await seededStore();
    const app = business();
    const connector = fakeConnector(app);
    await runCheckForUpdates(input(store, connector, 't1'));
    // The agent invited someone and recorded it as the operation handler does when no id came back.
    await store.transact((tx) => tx.put('appInvites', 'acme', 'pending:fresh@acme.com', { hubId: 'acme', id: 'pending:fresh@acme.com', email: 'fresh@acme.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 1, lastSeenAt: '2026-01-01T00:00:00.000Z' }));
    app.invites.push({ id: '950', email: 'Fresh@acme.com', role: 'EMPLOYEE', status: 'pending' });
    const run = await runCheckForUpdates(input(store, connector, 't2'));
    assert.equal(await store.get('appInvites', 'acme', 'pending:fresh@acme.com'), undefined);
    assert.deepEqual([(await store.get('appInvites', 'acme', '950'))?.sentByHubwarden, (await store.get('appInvites', 'acme', '950'))?.resendCount], [true, 1]);
    assert.deepEqual(run.changes?.drift, []);
  });

  test('an expired invite the agent re-sent is history: not re-reported, not re-sent, no drift', async () => {
    const store = await seededStore();
    const app = business();
    app.invites.push({ id: '902', email: 'late@acme.com', role: 'EMPLOYEE', status: 'expired' });
    const connector = fakeConnector(app);
    const first = await runCheckForUpdates(input(store, connector, 't1'));
    assert.deepEqual(first.changes?.expiredInvites.map((i) => i.inviteId), ['902']);
    // The agent's reinvite: the old record goes, the new one is recorded (as recordInSnapshot does).
    await store.transact((tx) => {
      tx.delete('appInvites', 'acme', '902');
      tx.put('appInvites', 'acme', '960', { hubId: 'acme', id: '960', email: 'late@acme.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 1, lastSeenAt: '2026-01-01T00:00:00.000Z' });
    });
    app.invites.push({ id: '960', email: 'late@acme.com', role: 'EMPLOYEE', status: 'pending' }); // Meta lists both
    const run = await runCheckForUpdates(input(store, connector, 't2'));
    assert.equal(await store.get('appInvites', 'acme', '902'), undefined);
    assert.equal((await store.get('appInvites', 'acme', '960'))?.resendCount, 1);
    assert.deepEqual(run.changes?.expiredInvites, []);
    assert.deepEqual(run.changes?.drift, []);
    assert.equal(await store.get('memberMatches', 'acme', 'invite:902'), undefined);
  });

  test('an asset type the token may not list: noted and kept; when a team manages it the run also warns (assets unavailable) but completes', async () => {
    const store = await seededStore();
    const app = business();
    app.assets.push({ type: 'catalog', id: '333', ownership: 'owned' });
    app.assignments.push({ asset: { type: 'catalog', id: '333' }, userId: '11', userType: 'member', tasks: ['MANAGE'] });
    const connector = fakeConnector(app);
    await runCheckForUpdates(input(store, connector, 't1'));
    connector.failOnAssetType = { type: 'catalog', kind: 'permission-denied' };
    const run = await runCheckForUpdates(input(store, connector, 't2'));
    assert.equal(run.outcome, 'completed');
    assert.deepEqual(run.unreadableAssetTypes, [{ type: 'catalog', message: 'fake: list catalog: permission-denied' }]);
    assert.ok(await store.get('appAssets', 'acme', 'catalog:333'));
    assert.ok(await store.get('appAssignments', 'acme', 'catalog:333:11'));
    const managing: HubConfigFile = { ...hub, teams: [{ group: 'Catalogs', hubRole: 'collaborator', appRole: 'EMPLOYEE', assets: [{ type: 'catalog', id: '333', tasks: ['MANAGE'] }] }] };
    assert.equal(run.unavailable, undefined, 'an unmanaged type the token may not list is expected: no warning');
    const managed = await runCheckForUpdates(input(store, connector, 't3', { hub: managing }));
    assert.equal(managed.outcome, 'completed');
    assert.deepEqual(managed.unavailable, [{ section: 'assets', message: 'fake: list catalog: permission-denied' }]);
    assert.deepEqual(managed.sectionsRead, ['members', 'invites', 'system users', 'assignments', 'partners']);
    assert.ok(await store.get('appAssignments', 'acme', 'catalog:333:11'), 'kept');
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.complete, true);
  });

  test('a cursor that loops stops the read instead of spinning', async () => {
    const store = await seededStore();
    const connector = fakeConnector(business());
    connector.loopOn = 'listMembers';
    await assert.rejects(runCheckForUpdates(input(store, connector, 't1')), /paging loops/);
    assert.equal(await store.get('appImports', 'acme', 'acme'), undefined);
  });

  test("an invite the agent sent while the read ran is kept, and a partner token failure is not fatal", async () => {
    const store = await seededStore();
    const app = business();
    const connector = fakeConnector(app);
    const original = connector.listPartners!.bind(connector);
    connector.listPartners = async (cursor) => {
      // the agent invites someone while the check is reading
      await store.transact((tx) => tx.put('appInvites', 'acme', '999', { hubId: 'acme', id: '999', email: 'fresh@acme.com', role: 'EMPLOYEE', status: 'pending', sentByHubwarden: true, resendCount: 0, lastSeenAt: new Date(clock + 10).toISOString() }));
      return original(cursor);
    };
    connector.listPartnerUsers = async () => { throw new Error('partner token revoked'); };
    const run = await runCheckForUpdates(input(store, connector, 't1'));
    assert.equal((await store.get('appInvites', 'acme', '999'))?.sentByHubwarden, true);
    assert.deepEqual(run.partnerFailures, [{ partnerBusinessId: '2000', message: 'partner token revoked' }]);
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.complete, true);
  });

  test('a business that is both our agency and our client keeps both relations: what we share with it is not lost to what it shares with us', async () => {
    const store = await seededStore();
    const app = business();
    // Business 2000 holds act_1 of ours (agency) and shares its own act_9 with us (client).
    app.partners.push({ businessId: '2000', relation: 'client', assets: [{ type: 'ad_account', id: 'act_9', permittedTasks: ['ANALYZE'] }] });
    const connector = fakeConnector(app);
    const run = await runCheckForUpdates(input(store, connector, 't1'));
    const stored = (await collect(store.list('appPartners', 'acme'))).map((p) => `${p.businessId} ${p.relation} ${p.assets.map((a) => a.id).join(',')}`).sort();
    assert.deepEqual(stored, ['2000 agency act_1', '2000 client act_9']);
    assert.equal(run.counts?.partners, 1, 'one partner business');
    assert.equal(connector.calls.filter((c) => c === 'listPartnerUsers').length, 1, "the partner's people are read once");
    // The same again: nothing duplicated, nothing dropped.
    await runCheckForUpdates(input(store, connector, 't2'));
    assert.equal((await collect(store.list('appPartners', 'acme'))).length, 2);
  });

  test('a share with a partner made, widened or ended in the app is found and audited (reported only); an unread partners section reports nothing', async () => {
    const store = await seededStore();
    const app = business();
    app.partners.push({ businessId: '3000', name: 'Fabrikam', relation: 'agency', assets: [{ type: 'page', id: '301', permittedTasks: ['ANALYZE'] }] });
    const connector = fakeConnector(app);
    await runCheckForUpdates(input(store, connector, 't1'));
    // By hand in the app: 2000 gets act_2 too and MANAGE on act_1; 3000 loses the page; 4000 shares its account with us.
    app.partners[0].assets = [{ type: 'ad_account', id: 'act_1', permittedTasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] }, { type: 'ad_account', id: 'act_2', permittedTasks: ['ANALYZE'] }];
    app.partners[1].assets = [];
    app.partners.push({ businessId: '4000', relation: 'client', assets: [{ type: 'ad_account', id: 'act_40', permittedTasks: ['ADVERTISE', 'ANALYZE'] }] });
    const run = await runCheckForUpdates(input(store, connector, 't2'));
    assert.deepEqual(run.changes!.partnerShareChanges!.map((c) => `${c.change} ${c.partnerBusinessId} ${c.relation} ${c.asset.id} [${c.tasks.join(',')}]${c.from ? ` from [${c.from.join(',')}]` : ''}`).sort(), [
      'shared 2000 agency act_2 [ANALYZE]',
      'shared 4000 client act_40 [ADVERTISE,ANALYZE]',
      'tasks-changed 2000 agency act_1 [MANAGE,ADVERTISE,ANALYZE] from [ADVERTISE,ANALYZE]',
      'unshared 3000 agency 301 [ANALYZE]',
    ]);
    assert.equal(run.changeCounts?.partnerShareChanges, 4);
    const entries = (await collect(store.list('audit', 'acme'))).filter((e) => e.taskId === 't2' && e.action.startsWith('partner-share-'));
    assert.deepEqual(entries.map((e) => e.action).sort(), ['partner-share-shared', 'partner-share-shared', 'partner-share-tasks-changed', 'partner-share-unshared']);
    const unshared = entries.find((e) => e.action === 'partner-share-unshared')!;
    assert.match(unshared.why, /page 301 .*no longer shared with partner Fabrikam \(3000\).*not by hubwarden/);
    // The partners section cannot be read: what was known is kept, and nothing is reported as changed.
    connector.failOn = { listing: 'listPartners', kind: 'unavailable' };
    app.partners = [];
    const unread = await runCheckForUpdates(input(store, connector, 't3'));
    assert.deepEqual(unread.changes!.partnerShareChanges, []);
  });

  test('a partner recorded by an earlier release (keyed by business id alone) is replaced, not kept beside the new record', async () => {
    const store = await seededStore();
    await store.transact((tx) => tx.put('appPartners', 'acme', '2000', { hubId: 'acme', businessId: '2000', relation: 'agency', assets: [] }));
    await runCheckForUpdates(input(store, fakeConnector(business()), 't1'));
    const stored = await collect(store.list('appPartners', 'acme'));
    assert.deepEqual(stored.map((p) => `${p.businessId} ${p.relation} ${p.assets.map((a) => a.id).join(',')}`), ['2000 agency act_1']);
  });

  test("a partner asset type the partner's token cannot read keeps its known assignments; the other types are read", async () => {
    const store = await seededStore();
    const app = business();
    app.partners[0].assets.push({ type: 'page', id: '301', permittedTasks: ['ANALYZE'] });
    app.partnerUsers = [
      { partnerBusinessId: '2000', userId: '7001', email: 'ann@agency.com', userType: 'member', assignments: [{ asset: { type: 'ad_account', id: 'act_1' }, tasks: ['ANALYZE'] }, { asset: { type: 'page', id: '301' }, tasks: ['ANALYZE'] }] },
      { partnerBusinessId: '2000', userId: '7002', email: 'bob@agency.com', userType: 'member', assignments: [{ asset: { type: 'page', id: '301' }, tasks: ['ANALYZE'] }] },
    ];
    const connector = fakeConnector(app);
    await runCheckForUpdates(input(store, connector, 't1'));
    // The partner's token loses pages_manage_metadata: its Page assignments cannot be read, its ad account ones can (and changed).
    connector.listPartnerUsers = async (_partner, options) => {
      options?.onUnreadableAssetType?.('page', 'read assigned_users of page 301: (#200) requires pages_manage_metadata');
      return [{ partnerBusinessId: '2000', userId: '7001', email: 'ann@agency.com', userType: 'member', assignments: [{ asset: { type: 'ad_account', id: 'act_1' }, tasks: ['ADVERTISE', 'ANALYZE'] }] }];
    };
    const run = await runCheckForUpdates(input(store, connector, 't2'));
    assert.deepEqual(run.partnerFailures, [{ partnerBusinessId: '2000', assetType: 'page', message: 'read assigned_users of page 301: (#200) requires pages_manage_metadata' }]);
    assert.deepEqual((await store.get('partnerUsers', 'acme', '2000:7001'))?.assignments, [
      { asset: { type: 'ad_account', id: 'act_1' }, tasks: ['ADVERTISE', 'ANALYZE'] },
      { asset: { type: 'page', id: '301' }, tasks: ['ANALYZE'] },
    ]);
    assert.deepEqual((await store.get('partnerUsers', 'acme', '2000:7002'))?.assignments, [{ asset: { type: 'page', id: '301' }, tasks: ['ANALYZE'] }], 'not read as "nobody holds the Page"');
    assert.equal(run.counts?.partnerUsers, 2);
  });

  test('a role hubwarden changes while the check reads the app is kept, and is not drift', async () => {
    const store = new MemoryStore();
    const app = emptyApp();
    app.members = [{ id: '11', email: 'jane@acme.com', role: 'EMPLOYEE' }];
    const connector = fakeConnector(app);
    await runCheckForUpdates(input(store, connector, 'first'));
    // The members page is read with the old role; then the agent's role change lands in the app
    // and is recorded in the snapshot; then the check saves what it read.
    const list = connector.listMembers!.bind(connector);
    connector.listMembers = async (cursor) => {
      const page = structuredClone(await list(cursor));
      app.members = [{ id: '11', email: 'jane@acme.com', role: 'ADMIN' }];
      const jane = (await store.get('appMembers', 'acme', '11'))!;
      await store.transact((tx) => tx.put('appMembers', 'acme', '11', { ...jane, role: 'ADMIN', lastSeenAt: now().toISOString() }));
      return page;
    };
    const run = await runCheckForUpdates(input(store, connector, 'second'));
    assert.deepEqual(run.changes?.drift ?? [], [], "hubwarden's own change is not drift");
    assert.equal((await store.get('appMembers', 'acme', '11'))?.role, 'ADMIN', 'the snapshot keeps the newer role');
  });

  test('a seat and an invite hubwarden removes while the check reads the app stay gone, and are not drift', async () => {
    const store = new MemoryStore();
    definePersonIndexes(store); // recordInSnapshot reads them, as on the agent's store (agent.ts)
    const app = emptyApp();
    app.members = [{ id: '11', email: 'jane@acme.com', role: 'EMPLOYEE' }, { id: '12', email: 'leaver@acme.com', role: 'EMPLOYEE' }];
    app.invites = [{ id: '901', email: 'late@acme.com', role: 'EMPLOYEE', status: 'pending' }];
    const connector = fakeConnector(app);
    await runCheckForUpdates(input(store, connector, 'first'));
    // The members and invites are read; then the agent's removals land in the app and in the
    // snapshot (as a completed remove-member and cancel-invite record them); then the check saves.
    const list = connector.listMembers!.bind(connector);
    connector.listMembers = async (cursor) => {
      const page = structuredClone(await list(cursor));
      app.members = app.members.filter((m) => m.id !== '12');
      app.invites = [];
      const why = { reason: 'deactivated' as const, because: 'deactivated in the directory' };
      await store.transact(async (tx) => {
        await recordInSnapshot(tx, 'acme', removeMemberOperation({ id: '12', role: 'EMPLOYEE', email: 'leaver@acme.com' }, why), { result: 'done' }, now());
        await recordInSnapshot(tx, 'acme', cancelInviteOperation({ id: '901', email: 'late@acme.com' }, why), { result: 'done' }, now());
      });
      return page;
    };
    const invites = connector.listInvites!.bind(connector);
    const staleInvites = structuredClone(await invites(undefined));
    connector.listInvites = async () => staleInvites;
    const run = await runCheckForUpdates(input(store, connector, 'second'));
    assert.equal(await store.get('appMembers', 'acme', '12'), undefined, 'the removed seat does not come back from the stale listing');
    assert.equal(await store.get('appInvites', 'acme', '901'), undefined, 'nor the cancelled invite');
    assert.deepEqual(run.changes?.drift ?? [], [], "hubwarden's own removals are not drift");
    // The next check reads after the removals: it finds them gone and forgets them.
    connector.listMembers = list;
    connector.listInvites = invites;
    const third = await runCheckForUpdates(input(store, connector, 'third'));
    assert.deepEqual(third.changes?.removedMembers ?? [], []);
    assert.deepEqual(await collect(store.list('appRemovals', 'acme')), [], 'removals older than a reading are forgotten');
  });
});
