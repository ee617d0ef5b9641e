import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { configSchema, type HubConfigFile } from '../../config/schema.ts';
import { runCheckForUpdates, type CheckInput } from './run-check.ts';
import { emptyApp, fakeConnector, type FakeApp } from './fake-app.test-double.ts';
import { actualOf } from '../plan/plan-input.ts';
import { holdersByListing } from './read-app.ts';
import '../app-state/records.ts';

// A connector may type an asset's holder from a field whose values the app does not document
// (connectors/meta-business/README.md, AssignedUser `user_type`). The listings decide: an id the
// system-user listing holds is a system user, one only the member listing holds is a member.
const hub: HubConfigFile = configSchema.parse({ hubs: [{ id: 'acme', connector: 'meta-business', meta: { businessId: '1000' } }] }).hubs[0];
const silent = { info() {}, warn() {} };
let clock = Date.parse('2026-12-01T10:00:00.000Z');
const now = () => new Date((clock += 1000));
const input = (store: MemoryStore, app: FakeApp, taskId: string): CheckInput => ({ store, hub, connector: fakeConnector(app), trigger: { type: 'admin', actor: 'test' }, taskId, now, log: silent });

/** john's grant typed a system user's, the system user's typed a member's: both mistyped by the connector. */
function business(): FakeApp {
  const app = emptyApp();
  app.members = [{ id: '11', email: 'jane@acme.com', role: 'ADMIN' }, { id: '12', email: 'john@acme.com', role: 'EMPLOYEE' }];
  app.systemUsers = [{ id: '51', name: 'hubwarden', role: 'ADMIN' }];
  app.assets = [{ type: 'ad_account', id: 'act_1', ownership: 'owned' }];
  app.assignments = [
    { asset: { type: 'ad_account', id: 'act_1' }, userId: '12', userType: 'system-user', tasks: ['ADVERTISE', 'ANALYZE'] },
    { asset: { type: 'ad_account', id: 'act_1' }, userId: '51', userType: 'member', tasks: ['MANAGE'] },
  ];
  return app;
}

describe('check for updates: a holder is typed by the listings that name them', () => {
  test('a listed member\'s grant typed a system user\'s is the member\'s: the plan sees it and a task removed by hand is drift', async () => {
    const store = new MemoryStore();
    const app = business();
    await runCheckForUpdates(input(store, app, 't1'));
    assert.equal((await store.get('appImports', 'acme', 'acme'))?.complete, true);
    const held = (await actualOf(store, 'acme')).assignments.map((a) => [a.userId, a.userType]).sort();
    assert.deepEqual(held, [['12', 'member'], ['51', 'system-user']]);

    // By hand in the app: ANALYZE taken from john on act_1.
    app.assignments[0].tasks = ['ADVERTISE'];
    const run = await runCheckForUpdates(input(store, app, 't2'));
    assert.deepEqual(run.changes?.drift.map((d) => [d.kind, d.memberId]), [['tasks-removed', '12']]);
  });

  test('an id neither listing holds keeps the connector\'s type (a member there: a person the member listing lacks)', () => {
    const typed = holdersByListing({
      members: [{ id: '11', role: 'ADMIN' }],
      systemUsers: [{ id: '51', role: 'ADMIN' }],
      assignments: [
        { asset: { type: 'ad_account', id: 'act_1' }, userId: '77', userType: 'member', tasks: ['ANALYZE'] },
        { asset: { type: 'ad_account', id: 'act_1' }, userId: '78', userType: 'system-user', tasks: ['ANALYZE'] },
        { asset: { type: 'ad_account', id: 'act_1' }, userId: '51', userType: 'member', tasks: ['MANAGE'] },
      ],
    });
    assert.deepEqual(typed.map((a) => [a.userId, a.userType]), [['77', 'member'], ['78', 'system-user'], ['51', 'system-user']]);
  });
});
