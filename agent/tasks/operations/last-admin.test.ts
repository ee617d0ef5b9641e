import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HubConnector } from '../../../connectors/sdk/connector.ts';
import { defineDirectoryIndexes } from '../../desired-state/directory-records.ts';
import { testHub, testUser } from '../../grants/grant-fixtures.ts';
import { definePersonIndexes } from '../../plan/person-input.ts';
import { removeMemberOperation } from '../../plan/removal.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import type { TaskAuditInput, TaskContext } from '../handler.ts';
import { TaskRunner } from '../task-runner.ts';
import type { TaskRecord } from '../task-record.ts';
import { enqueueOperation } from './enqueue-operation.ts';
import { operationHandler } from './operation-handler.ts';

const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();
const owner = { type: 'admin' as const, actor: 'owner@example.com' };
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const hub = testHub({ safety: { confirmDeprovisioning: false } });

/**
 * Two admins, Ann and Bob. Each admin's removal was checked against the snapshot when it was
 * queued, while the other admin was still listed; run one after the other, nothing stopped the
 * second from taking the hub's last admin.
 */
async function setup(o: { bobDeactivated?: boolean } = {}) {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  new TaskRunner({ store, handlers: [], hubs: () => new Map(), connectorFor: () => undefined, log: silent }); // the task indexes
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u-ann', testUser('u-ann', 'ann@example.com', true));
    tx.put('directoryUsers', hub.id, 'u-bob', testUser('u-bob', 'bob@example.com', !o.bobDeactivated));
    tx.put('directoryGroups', hub.id, 'g-admins', { hubId: hub.id, id: 'g-admins', displayName: 'Meta Admins', members: [{ value: 'u-ann' }, { value: 'u-bob' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appMembers', hub.id, 'm-ann', { hubId: hub.id, id: 'm-ann', email: 'ann@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-bob', { hubId: hub.id, id: 'm-bob', email: 'bob@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    tx.put('appMembers', hub.id, 'm-eve', { hubId: hub.id, id: 'm-eve', email: 'eve@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const removed: string[] = [];
  const connector = { id: 'fake', removeMember: async (id: string) => { removed.push(id); return 'done' as const; } } as unknown as HubConnector;
  const audits: TaskAuditInput[] = [];
  const ctx = { store, hub, connector, log: silent, now: () => NOW, audit: (e: TaskAuditInput) => audits.push(e), interrupted: false } as unknown as TaskContext;
  const ownersRemoval = (memberId: string, email: string) => store.transact((tx) => enqueueOperation(tx, {
    hub, op: removeMemberOperation({ id: memberId, role: 'ADMIN', email }, { reason: 'unassigned', because: 'asked by owner@example.com' }), trigger: owner, force: true, now: NOW,
  }));
  const run = (t: TaskRecord) => operationHandler('remove-member').run({ ...t, status: 'running', attempts: 1 }, ctx);
  return { store, removed, audits, ownersRemoval, run };
}

test("an owner's removal of an admin is held when the other admin's removal is queued", async () => {
  const { removed, audits, ownersRemoval, run } = await setup();
  await ownersRemoval('m-bob', 'bob@example.com'); // waiting (a rate limit, Meta down)
  const ann = await ownersRemoval('m-ann', 'ann@example.com');
  const outcome = await run(ann);
  assert.equal(outcome.status, 'completed');
  assert.deepEqual(removed, [], 'Ann is not removed while Bob\'s removal is queued');
  assert.ok(audits.some((a) => a.outcome === 'skipped' && /last admin/.test(a.why)), JSON.stringify(audits));
});

test("the plan's removal of an admin is held while an owner's removal of the other admin is queued", async () => {
  const { removed, audits, ownersRemoval, run, store } = await setup({ bobDeactivated: true });
  await ownersRemoval('m-ann', 'ann@example.com');
  // Bob deactivated: the deprovisioning pass queued his removal (checked while Ann was listed).
  const bob = await store.transact((tx) => enqueueOperation(tx, {
    hub, op: removeMemberOperation({ id: 'm-bob', role: 'ADMIN', email: 'bob@example.com' }, { reason: 'deactivated', because: 'deactivated in the directory', directoryUserId: 'u-bob' }), trigger: { type: 'scim' }, now: NOW,
  }));
  await run(bob);
  assert.deepEqual(removed, []);
  assert.ok(audits.some((a) => a.outcome === 'skipped' && /last admin/.test(a.why)), JSON.stringify(audits));
});

test('with no other admin leaving, an admin is removed', async () => {
  const { removed, ownersRemoval, run } = await setup();
  await run(await ownersRemoval('m-ann', 'ann@example.com'));
  assert.deepEqual(removed, ['m-ann']);
});
