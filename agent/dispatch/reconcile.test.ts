import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { testHub, testUser } from '../grants/grant-fixtures.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import { TaskRunner } from '../tasks/task-runner.ts';
import { reconcileHubHandler } from './reconcile.ts';

test('a hub reconcile queues grants, leaves removals to the settle pass, and audits a held operation once a day, not every run', async () => {
  const store = new MemoryStore();
  defineDirectoryIndexes(store);
  definePersonIndexes(store);
  const hub = testHub();
  const at = new Date().toISOString();
  await store.transact((tx) => {
    tx.put('directoryUsers', hub.id, 'u1', testUser('u1', 'jane@example.com', false));
    tx.put('directoryUsers', hub.id, 'u2', testUser('u2', 'bob@example.com'));
    tx.put('directoryGroups', hub.id, 'g1', { hubId: hub.id, id: 'g1', displayName: 'Meta Advertisers', members: [{ value: 'u1' }, { value: 'u2' }], scim: {}, created: at, lastModified: at, version: 1 });
    tx.put('appMembers', hub.id, 'm-jane', { hubId: hub.id, id: 'm-jane', email: 'jane@example.com', role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    // No complete import: the removal of Jane is held.
  });
  // Invites park (as if waiting out a rate limit), so the second run finds the first one unfinished.
  const parkedInvite = { kind: 'invite', async run() { return { status: 'waiting' as const, reason: 'parked', until: '2999-01-01T00:00:00.000Z' }; } };
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const runner = new TaskRunner({ store, handlers: [reconcileHubHandler, parkedInvite], hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, log: silent });
  await runner.start();
  const trigger = { type: 'schedule' as const, detail: '0 * * * *' };
  for (const n of [1, 2]) {
    await store.transact((tx) => enqueueTask(tx, { hubId: hub.id, kind: 'reconcile-hub', payload: {}, idempotencyKey: `reconcile-hub:${n}`, trigger, summary: 'r' }));
    await runner.idle();
  }
  await runner.stop();
  const tasks = await collect(store.list('tasks', hub.id));
  assert.deepEqual(tasks.filter((t) => t.kind === 'invite').map((t) => t.status), ['waiting'], 'Bob\'s invite queued once (same key both runs)');
  assert.equal(tasks.filter((t) => t.kind === 'apply-removals').length, 0, 'a held removal schedules nothing');
  const held = (await collect(store.list('audit', hub.id))).filter((e) => e.action === 'remove-member' && e.outcome === 'skipped');
  assert.equal(held.length, 1);
  assert.match(held[0]!.why, /incomplete/);
});
