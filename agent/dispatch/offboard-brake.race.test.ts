/**
 * Two offboardings of one person (a hub-scoped admin token's and an every-hub token's) halting at
 * the same moment on two PostgreSQL connections (two replicas): each read "no pending approval for
 * this person" before either committed. The later commit's read of the hub's approvals no longer
 * holds (postgres/read-set.ts), so it runs again, sees the first's approval and joins it
 * (offboard-brake.ts `pendingOffboardOf`): one approval, as on one store.
 */
import { seedNineSeats, twoReplicas } from '../safety/held-race-fixtures.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests } from '../../test/postgres.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { collect, type Store } from '../store/store.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { testHub } from '../grants/grant-fixtures.ts';
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
  const [a, b] = await twoReplicas(t, db.url, schema);
  const hub = testHub({ safety: { removalThresholdPercent: 20, removalWindowMinutes: 60, confirmDeprovisioning: true, settleSeconds: 0, offboards: 'threshold' } });
  await seedNineSeats(a, hub, at);
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
