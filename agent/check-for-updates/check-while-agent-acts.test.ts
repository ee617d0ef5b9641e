/**
 * A check for updates whose reading overlaps the agent's own changes: asset tasks the agent
 * assigned or removed after the assignments were read are the agent's, newer than the reading,
 * never drift (not audited as done "in the app" by hand, not held under `safety.drift: report`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { definePersonIndexes } from '../plan/person-input.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { configSchema, type HubConfigFile } from '../../config/schema.ts';
import { runCheckForUpdates } from './run-check.ts';
import { emptyApp, fakeConnector } from './fake-app.test-double.ts';
import type { Operation } from '../plan/operation.ts';
import { removeMemberOperation } from '../plan/removal.ts';
import { recordInSnapshot } from '../tasks/operations/snapshot-update.ts';
import '../app-state/records.ts';

const hub: HubConfigFile = configSchema.parse({ hubs: [{ id: 'acme', connector: 'meta-business', meta: { businessId: '1000' }, safety: { drift: 'report' } }] }).hubs[0];
const silent = { info() {}, warn() {} };
const trigger = { type: 'admin' as const, actor: 'test' };
let clock = Date.parse('2026-11-23T10:00:00.000Z');
const now = () => new Date((clock += 1000));
const act1 = { type: 'ad_account' as const, id: 'act_1' };
const base = { summary: 'test', effect: 'grant', reason: 'granted' } as unknown as Pick<Operation, 'summary' | 'effect' | 'reason'>;

/** A hub whose check reads the assignments, then (before it saves) lets the agent act. */
async function hubWithAgentActing(agentActs: (tx: Parameters<Parameters<MemoryStore['transact']>[0]>[0]) => Promise<void>, change: (app: ReturnType<typeof emptyApp>) => void) {
  const store = new MemoryStore();
  definePersonIndexes(store); // recordInSnapshot reads them, as on the agent's store (agent.ts)
  const app = emptyApp();
  app.members = [{ id: '11', email: 'jane@acme.com', role: 'EMPLOYEE' }, { id: '12', email: 'john@acme.com', role: 'EMPLOYEE' }];
  app.assets = [{ type: 'ad_account', id: 'act_1', ownership: 'owned' }];
  app.assignments = [{ asset: act1, userId: '12', userType: 'member', tasks: ['ANALYZE'] }];
  const connector = fakeConnector(app);
  const check = (taskId: string) => runCheckForUpdates({ store, hub, connector, trigger, taskId, now, log: silent });
  await check('t1');
  const list = connector.listAssignments!.bind(connector);
  connector.listAssignments = async (assets) => {
    const stale = await list(assets);
    change(app);
    await store.transact((tx) => agentActs(tx));
    return stale;
  };
  const run = await check('t2');
  connector.listAssignments = list;
  return { store, run, check };
}

const audited = async (store: MemoryStore, taskId: string) => (await collect(store.list('audit', 'acme'))).filter((e) => e.taskId === taskId).map((e) => e.action);

test('tasks the agent assigns while the check reads are kept in the snapshot, and are not drift', async () => {
  const op = { ...base, key: 'assign:11:act_1', kind: 'assign-asset', memberId: '11', asset: act1, tasks: ['ADVERTISE', 'ANALYZE'] } as Operation;
  const { store, run, check } = await hubWithAgentActing(
    (tx) => recordInSnapshot(tx, 'acme', op, { result: 'done' }, now()),
    (app) => app.assignments.push({ asset: act1, userId: '11', userType: 'member', tasks: ['ADVERTISE', 'ANALYZE'] }),
  );
  assert.deepEqual(run.changes?.drift ?? [], [], "hubwarden's own assignment is not drift");
  assert.deepEqual(await collect(store.list('driftHolds', 'acme')), [], 'nothing held');
  assert.deepEqual((await store.get('appAssignments', 'acme', 'ad_account:act_1:11'))?.tasks, ['ADVERTISE', 'ANALYZE']);
  assert.equal((await audited(store, 't2')).some((a) => a.startsWith('drift-')), false);
  // The next check reads after the assignment: nothing changed, nothing reported.
  const third = await check('t3');
  assert.deepEqual(third.changes?.drift ?? [], []);
});

test('tasks the agent removes while the check reads stay removed, and are not drift', async () => {
  const op = { ...base, key: 'unassign:12:act_1', kind: 'unassign-asset', memberId: '12', asset: act1, from: ['ANALYZE'] } as Operation;
  const { store, run, check } = await hubWithAgentActing(
    (tx) => recordInSnapshot(tx, 'acme', op, { result: 'done' }, now()),
    (app) => { app.assignments = []; },
  );
  assert.deepEqual(run.changes?.drift ?? [], [], "hubwarden's own removal of tasks is not drift");
  assert.equal(await store.get('appAssignments', 'acme', 'ad_account:act_1:12'), undefined, 'the stale listing does not bring the tasks back');
  const third = await check('t3');
  assert.deepEqual(third.changes?.drift ?? [], []);
});

test("a seat the agent removes while the check reads does not come back with its asset tasks", async () => {
  const why = { reason: 'deactivated' as const, because: 'deactivated in the directory' };
  const { store } = await hubWithAgentActing(
    (tx) => recordInSnapshot(tx, 'acme', removeMemberOperation({ id: '12', role: 'EMPLOYEE', email: 'john@acme.com' }, why), { result: 'done' }, now()),
    (app) => { app.members = app.members.filter((m) => m.id !== '12'); app.assignments = []; },
  );
  assert.equal(await store.get('appMembers', 'acme', '12'), undefined);
  assert.deepEqual((await collect(store.list('appAssignments', 'acme'))).filter((a) => a.userId === '12'), [], 'no tasks of a seat that is gone');
});

test('a seat the agent records while the check reads (its invite answered "already a member") is kept, not reported as leaving', async () => {
  const op = { ...base, key: 'invite:kim', kind: 'invite', email: 'kim@acme.com', role: 'EMPLOYEE' } as Operation;
  const { store, run, check } = await hubWithAgentActing(
    (tx) => recordInSnapshot(tx, 'acme', op, { result: 'done', memberId: '13' }, now()),
    (app) => { app.members.push({ id: '13', email: 'kim@acme.com', role: 'EMPLOYEE' }); },
  );
  assert.equal((await store.get('appMembers', 'acme', '13'))?.email, 'kim@acme.com', 'the seat the app confirmed stays in the snapshot');
  assert.deepEqual(run.changes?.removedMembers ?? [], [], 'not "no longer a member in the app"');
  assert.equal((await audited(store, 't2')).includes('member-left-app'), false);
  const third = await check('t3');
  assert.deepEqual(third.changes?.drift ?? [], [], 'and not "joined without an invite from hubwarden" at the next check');
});

test("an invite's role the agent changes while the check reads is kept (the next plan does not change it again)", async () => {
  const store = new MemoryStore();
  definePersonIndexes(store); // recordInSnapshot reads them, as on the agent's store (agent.ts)
  const app = emptyApp();
  app.invites = [{ id: '901', email: 'kim@acme.com', role: 'EMPLOYEE', status: 'pending' }];
  const connector = fakeConnector(app);
  const check = (taskId: string) => runCheckForUpdates({ store, hub, connector, trigger, taskId, now, log: silent });
  await check('t1');
  const list = connector.listInvites!.bind(connector);
  connector.listInvites = async (cursor) => {
    const stale = await list(cursor);
    app.invites = [{ id: '901', email: 'kim@acme.com', role: 'ADMIN', status: 'pending' }];
    const op = { ...base, key: 'role:invite:901', kind: 'change-invite-role', inviteId: '901', from: 'EMPLOYEE', to: 'ADMIN' } as Operation;
    await store.transact((tx) => recordInSnapshot(tx, 'acme', op, { result: 'done' }, now()));
    return stale;
  };
  const run = await check('t2');
  connector.listInvites = list;
  assert.equal((await store.get('appInvites', 'acme', '901'))?.role, 'ADMIN', 'the snapshot keeps the newer role');
  assert.deepEqual(run.changes?.drift ?? [], []);
  assert.deepEqual((await check('t3')).changes?.drift ?? [], []);
  assert.equal((await store.get('appInvites', 'acme', '901'))?.role, 'ADMIN');
});
