import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { definePersonIndexes } from '../plan/person-input.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { configSchema, type HubConfigFile } from '../../config/schema.ts';
import { runCheckForUpdates, type CheckInput } from './run-check.ts';
import { emptyApp, fakeConnector, type FakeApp } from './fake-app.test-double.ts';
import { hubHealth } from '../health/hub-health.ts';
import { actualOf } from '../plan/plan-input.ts';
import { removeMemberOperation } from '../plan/removal.ts';
import { recordInSnapshot } from '../tasks/operations/snapshot-update.ts';
import '../app-state/records.ts';

// A member listing filtered by what the credential sees: the asset assignments name members the
// listing lacks. Nobody it does not list may be taken as gone.
const hub: HubConfigFile = configSchema.parse({ hubs: [{ id: 'acme', connector: 'meta-business', meta: { businessId: '1000' } }] }).hubs[0];
const silent = { info() {}, warn() {} };
let clock = Date.parse('2026-11-23T10:00:00.000Z');
const now = () => new Date((clock += 1000));
const input = (store: MemoryStore, app: FakeApp, taskId: string): CheckInput => ({ store, hub, connector: fakeConnector(app), trigger: { type: 'admin', actor: 'test' }, taskId, now, log: silent });

function business(): FakeApp {
  const app = emptyApp();
  app.members = [
    { id: '11', email: 'jane@acme.com', role: 'ADMIN' },
    { id: '12', email: 'john@acme.com', role: 'EMPLOYEE' },
    { id: '13', email: 'sam@acme.com', role: 'EMPLOYEE' },
  ];
  app.systemUsers = [{ id: '51', name: 'hubwarden', role: 'ADMIN' }];
  app.assets = [{ type: 'ad_account', id: 'act_1', ownership: 'owned' }];
  app.assignments = [
    { asset: { type: 'ad_account', id: 'act_1' }, userId: '12', userType: 'member', tasks: ['ADVERTISE'] },
    { asset: { type: 'ad_account', id: 'act_1' }, userId: '13', userType: 'member', tasks: ['ANALYZE'] },
    { asset: { type: 'ad_account', id: 'act_1' }, userId: '51', userType: 'system-user', tasks: ['MANAGE'] },
  ];
  return app;
}

describe('check for updates: a member listing the credential filters', () => {
  test('members it does not list are kept, not reported as removed; the import is incomplete and health says how many', async () => {
    const store = new MemoryStore();
    const app = business();
    const first = await runCheckForUpdates(input(store, app, 't1'));
    assert.equal(first.unavailable, undefined);
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.complete, true);

    // The credential now lists only jane; john and sam still hold their seats and their assets.
    app.members = app.members.slice(0, 1);
    const run = await runCheckForUpdates(input(store, app, 't2'));
    assert.deepEqual(run.changes?.removedMembers ?? [], [], 'nobody is reported as removed by hand');
    assert.deepEqual((await collect(store.list('appMembers', 'acme'))).map((m) => m.id).sort(), ['11', '12', '13']);
    const imported = await store.get('appImports', 'acme', 'acme');
    assert.equal(imported?.complete, false, 'no removal is decided from a filtered listing');
    const note = imported?.unavailable?.find((u) => u.section === 'members');
    assert.match(note?.message ?? '', /does not see every member: 2 people hold asset assignments/);
    assert.ok(!run.sectionsRead?.includes('members'));
    assert.equal((await actualOf(store, 'acme')).membersHidden, true);

    const health = await hubHealth(store, 'acme', now());
    assert.ok(health.problems.some((p) => /members.*does not see every member: 2 people/.test(p)), health.problems.join('\n'));
    assert.ok(!health.problems.some((p) => /no complete check for updates yet/.test(p)), `the filtered listing is the reason, not a missing check: ${health.problems.join('\n')}`);
    const audit = (await collect(store.list('audit', 'acme'))).find((e) => e.taskId === 't2' && e.action === 'check-for-updates');
    assert.match(audit?.why ?? '', /does not see every member/);
    assert.ok(!(await collect(store.list('audit', 'acme'))).some((e) => e.taskId === 't2' && e.action === 'member-left-app'));

    // Once the credential lists everyone again the import is complete and the note goes.
    app.members = business().members;
    await runCheckForUpdates(input(store, app, 't3'));
    const after = await store.get('appImports', 'acme', 'acme');
    assert.equal(after?.complete, true);
    assert.equal(after?.unavailable, undefined);
    assert.equal((await actualOf(store, 'acme')).membersHidden, false);
  });

  test('a system user on an asset is not a hidden member', async () => {
    const store = new MemoryStore();
    const run = await runCheckForUpdates(input(store, business(), 't1'));
    assert.equal(run.unavailable, undefined);
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.complete, true);
  });

  test('a seat the agent removes while the check reads is timing, not a filtered listing', async () => {
    const store = new MemoryStore();
    definePersonIndexes(store); // recordInSnapshot reads them, as on the agent's store (agent.ts)
    const app = business();
    await runCheckForUpdates(input(store, app, 't1'));
    // The agent removes sam after the asset edges named him and before the member page is read.
    const removing = input(store, app, 't2');
    const list = removing.connector.listMembers!.bind(removing.connector);
    removing.connector.listMembers = async (cursor) => {
      app.members = app.members.filter((m) => m.id !== '13');
      await store.transact(async (tx) => {
        await recordInSnapshot(tx, 'acme', removeMemberOperation({ id: '13', role: 'EMPLOYEE', email: 'sam@acme.com' }, { reason: 'deactivated', because: 'deactivated in the directory' }), { result: 'done' }, now());
      });
      return list(cursor);
    };
    const run = await runCheckForUpdates(removing);
    assert.equal(run.unavailable, undefined);
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.complete, true);
    assert.equal(await store.get('appMembers', 'acme', '13'), undefined);
  });

  test('a known system user the (optional) system-user listing failed to list is not a hidden member', async () => {
    const store = new MemoryStore();
    const app = business();
    await runCheckForUpdates(input(store, app, 't1'));
    // The system user's assignment reads as a member's (no user_type), and its listing fails.
    app.assignments[2].userType = 'member';
    const second = input(store, app, 't2');
    (second.connector as ReturnType<typeof fakeConnector>).failOn = { listing: 'listSystemUsers', kind: 'unavailable' };
    const run = await runCheckForUpdates(second);
    assert.deepEqual(run.unavailable?.map((u) => u.section), ['system users']);
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.complete, true);
  });

  test('what changed in the app while the listing was filtered is reported at the next check, against the members kept as last seen', async () => {
    const store = new MemoryStore();
    const app = business();
    await runCheckForUpdates(input(store, app, 't1'));
    app.members = app.members.slice(0, 1); // filtered: john and sam kept as last seen
    await runCheckForUpdates(input(store, app, 't2'));
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.complete, false);
    // Meanwhile, by hand in the app: jane made EMPLOYEE, sam removed, kim added. The listing is whole again.
    app.members = [{ id: '11', email: 'jane@acme.com', role: 'EMPLOYEE' }, { id: '12', email: 'john@acme.com', role: 'EMPLOYEE' }, { id: '14', email: 'kim@acme.com', role: 'ADMIN' }];
    app.assignments = app.assignments.filter((a) => a.userId !== '13');
    const run = await runCheckForUpdates(input(store, app, 't3'));
    assert.equal(run.changes?.compared, true);
    assert.deepEqual(run.changes?.roleChanges.map((c) => [c.memberId, c.from, c.to]), [['11', 'ADMIN', 'EMPLOYEE']]);
    assert.deepEqual(run.changes?.removedMembers.map((m) => m.memberId), ['13']);
    assert.deepEqual(run.changes?.drift.map((d) => [d.kind, d.memberId]), [['role-changed', '11'], ['member-added-by-hand', '14']]);
    const actions = (await collect(store.list('audit', 'acme'))).filter((e) => e.taskId === 't3').map((e) => e.action);
    assert.deepEqual(actions.filter((a) => a !== 'check-for-updates').sort(), ['drift-member-added-by-hand', 'drift-role-changed', 'member-left-app']);
  });

  test('a first import that the credential filters is no baseline: members it never listed are not reported as added by hand once listed', async () => {
    const store = new MemoryStore();
    const app = business();
    app.members = app.members.slice(0, 1);
    await runCheckForUpdates(input(store, app, 't1'));
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.complete, false);
    app.members = business().members;
    const run = await runCheckForUpdates(input(store, app, 't2'));
    assert.equal(run.changes?.compared, false);
    assert.deepEqual(run.changes?.drift ?? [], []);
  });
});
