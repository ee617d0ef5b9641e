/**
 * Two offboardings of one person (a hub-scoped admin token's and an every-hub token's) halting at
 * the same moment on two PostgreSQL connections (two replicas): each read "no pending approval for
 * this person" before either committed. The later commit's read of the hub's approvals no longer
 * holds (postgres/read-set.ts), so it runs again, sees the first's approval and joins it
 * (offboard-brake.ts `pendingOffboardOf`): one approval, as on one store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests } from '../../test/postgres.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import { collect, type Store } from '../store/store.ts';
import { defineDirectoryIndexes } from '../desired-state/directory-records.ts';
import { definePersonIndexes } from '../plan/person-input.ts';
import { defineHeldIndexes } from '../safety/held-indexes.ts';
import { parentsOf } from '../tasks/parent-tasks.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { testGroup, testHub, testUser } from '../grants/grant-fixtures.ts';
import type { TaskContext } from '../tasks/handler.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import { applyOutcome } from '../tasks/task-transitions.ts';
import { offboardHandler } from './offboard.ts';

const db = await postgresForTests();
const freshSchema = db.skip ? () => '' : freshSchemas(db);
const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();

test('two offboardings of one person halting at once on two PostgreSQL connections end with one approval', { skip: db.skip }, async (t) => {
  const schema = freshSchema('offboard-join');
  const replica = async () => {
    const s = new PostgresStore({ url: db.url, schema, poolSize: 2 });
    defineDirectoryIndexes(s);
    definePersonIndexes(s);
    defineHeldIndexes(s);
    s.defineIndex('tasks', 'tasks.parent', parentsOf);
    await s.open();
    return s;
  };
  const a = await replica();
  const b = await replica();
  t.after(() => Promise.all([a.close(), b.close()]));
  const hub = testHub({ safety: { removalThresholdPercent: 20, removalWindowMinutes: 60, confirmDeprovisioning: true, settleSeconds: 0, offboards: 'threshold' } });
  await a.transact((tx) => {
    tx.put('appMembers', hub.id, 'm-admin', { hubId: hub.id, id: 'm-admin', email: 'owner@example.com', role: 'ADMIN', firstSeenAt: at, lastSeenAt: at });
    for (let i = 0; i < 9; i++) {
      tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`));
      tx.put('appMembers', hub.id, `m-${i}`, { hubId: hub.id, id: `m-${i}`, email: `p${i}@example.com`, role: 'EMPLOYEE', firstSeenAt: at, lastSeenAt: at });
    }
    tx.put('directoryGroups', hub.id, 'g1', testGroup('g1', 'Meta Advertisers', Array.from({ length: 9 }, (_, i) => `u-${i}`), at));
    tx.put('appImports', hub.id, hub.id, { hubId: hub.id, id: hub.id, complete: true, completedAt: at });
  });
  const handler = offboardHandler(() => new Map([[hub.id, hub]]));
  /** Queues and runs an offboarding's first run on `store`; `beforeCommit` runs once, after its first run's reads and writes, before COMMIT. */
  const offboard = async (store: Store, email: string, trigger: Trigger, beforeCommit?: () => Promise<void>) => {
    const task = await store.transact((tx) => enqueueTask(tx, { kind: 'offboard', payload: { email }, idempotencyKey: `offboard:${email}:${trigger.actor}`, summary: `offboard ${email}`, trigger, now: NOW }));
    const ctx = { store, now: () => NOW, audit: () => {}, interrupted: false } as unknown as TaskContext;
    const running = { ...task, status: 'running' as const, attempts: task.attempts + 1 };
    let gate = beforeCommit;
    return store.transact(async (tx) => {
      const ended = await applyOutcome(tx, running, await handler.run(running, ctx), NOW);
      const g = gate;
      gate = undefined;
      await g?.();
      return ended;
    });
  };
  const owner: Trigger = { type: 'admin', actor: 'owner@example.com' };
  // 2 of 10 go at once (20 %, at the threshold); a third person would be 3 of 10.
  assert.equal((await offboard(a, 'p0@example.com', owner)).status, 'waiting');
  assert.equal((await offboard(a, 'p1@example.com', owner)).status, 'waiting');
  // Both read the approvals (none) and stage an approval of their own before either commits.
  let arrived = 0;
  let release!: () => void;
  const both = new Promise<void>((r) => (release = r));
  const barrier = async () => { if (++arrived === 2) release(); await both; };
  const [first, second] = await Promise.all([
    offboard(a, 'p2@example.com', { type: 'admin', actor: 'admin-token:portal', hubs: [hub.id] }, barrier),
    offboard(b, 'p2@example.com', { type: 'admin', actor: 'admin-token:okta-workflows' }, barrier),
  ]);
  assert.deepEqual([first.status, second.status], ['needs-approval', 'needs-approval']);
  const approvals = await collect(a.list('approvals', hub.id));
  assert.equal(approvals.length, 1, JSON.stringify(approvals.map((x) => [x.id, x.taskId, x.joined])));
  const halted = (r: { result?: unknown }) => (r.result as { halted: Array<{ approvalId: string }> }).halted.map((h) => h.approvalId);
  assert.deepEqual(halted(first), [approvals[0]!.id]);
  assert.deepEqual(halted(second), [approvals[0]!.id]);
  assert.equal(approvals[0]!.joined?.length, 1, 'the later one joined');
  assert.equal((a.stats().reRuns + b.stats().reRuns) > 0, true, 'the later commit ran again');
});
