import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HubConnector } from '../../../connectors/sdk/connector.ts';
import { defineDirectoryIndexes } from '../../desired-state/directory-records.ts';
import { testHub, testUser } from '../../grants/grant-fixtures.ts';
import { planHub } from '../../plan/plan-hub.ts';
import { definePersonIndexes } from '../../plan/person-input.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { collect } from '../../store/store.ts';
import type { TaskAuditInput, TaskContext } from '../handler.ts';
import { TaskRunner } from '../task-runner.ts';
import { applyOutcome } from '../task-transitions.ts';
import { enqueueOperation } from './enqueue-operation.ts';
import { operationHandler } from './operation-handler.ts';

const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A grant queued at once (Bob's tasks on the team's ad account) whose key the plan, re-run just
 * before the call, now fills with a downgrade: someone gave Bob more tasks on the account by hand
 * meanwhile. A downgrade waits the settle window (and, for a removal, the threshold): run at once
 * from the grant's task, it skipped them.
 */
test('a queued grant that has become a downgrade is handed to the settle lane, not run at once', async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  new TaskRunner({ store, handlers: [], hubs: () => new Map(), connectorFor: () => undefined, log: silent }); // the task indexes
  const hub = testHub({ safety: { drift: 'correct', settleSeconds: 120 } });
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-bob', testUser('u-bob', 'bob@example.com', true));
    tx.put('directoryGroups', hub.id, 'g1', { hubId: hub.id, id: 'g1', displayName: 'Meta Advertisers', members: [{ value: 'u-bob' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appMembers', hub.id, 'm-admin', { hubId: hub.id, id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-bob', { hubId: hub.id, id: 'm-bob', email: 'bob@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const grant = (await planHub(store, hub, { now: NOW })).operations.find((o) => o.kind === 'assign-asset' && o.memberId === 'm-bob');
  assert.equal(grant?.effect, 'grant');
  const task = await store.transact((tx) => enqueueOperation(tx, { hub, op: grant!, trigger: { type: 'scim' }, now: NOW }));
  // By hand, before the grant ran: Bob manages the account.
  await store.transact((tx) => tx.put('appAssignments', hub.id, 'ad_account:act_111:m-bob', { hubId: hub.id, key: 'ad_account:act_111:m-bob', userId: 'm-bob', userType: 'member', asset: { type: 'ad_account', id: 'act_111' }, tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] }));
  const now = (await planHub(store, hub, { now: NOW })).operations.find((o) => o.key === grant!.key);
  assert.equal(now?.effect, 'downgrade', 'the same key now takes tasks away');

  const calls: string[] = [];
  const connector = { id: 'fake', assignAsset: async (a: { userId: string }) => { calls.push(a.userId); return 'done' as const; } } as unknown as HubConnector;
  const audits: TaskAuditInput[] = [];
  const ctx = { store, hub, connector, log: silent, now: () => NOW, audit: (e: TaskAuditInput) => audits.push(e), interrupted: false } as unknown as TaskContext;
  const running = { ...task, status: 'running' as const, attempts: 1 };
  const outcome = await operationHandler('assign-asset').run(running, ctx);
  await store.transact((tx) => applyOutcome(tx, running, outcome, NOW));
  assert.deepEqual(calls, [], 'the downgrade does not run from the grant\'s task');
  const pass = (await collect(store.list('tasks', hub.id))).find((t) => t.kind === 'apply-removals');
  assert.equal((pass?.payload as { phase?: string } | undefined)?.phase, 'settle', 'the settle pass will plan it after the window');
  assert.ok(pass?.nextRunAt && Date.parse(pass.nextRunAt) >= NOW.getTime() + 120_000);
  assert.ok(audits.some((a) => a.outcome === 'pending' && /waits its safety lane/.test(a.why)), JSON.stringify(audits));
});
