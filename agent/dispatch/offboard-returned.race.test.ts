/**
 * An owner approves an offboarding's approval (`safety.offboards: threshold`, offboard-brake.ts)
 * at the moment the IdP reactivates the person (active false → true over SCIM, RFC 7643 §4.1.1: the
 * hold ends), on two PostgreSQL connections (two replicas): the decision has read the person still
 * held when the reactivation commits. The decision's read no longer holds (postgres/read-set.ts):
 * it runs again, sees the person back and queues nothing for them (the check is made in the
 * transaction that queues, not before it).
 */
import { seedNineSeats, twoReplicas } from '../safety/held-race-fixtures.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests } from '../../test/postgres.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { createAgentApi } from '../agent-api.ts';
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

test('an offboarding\'s approval approved as the person is reactivated on another PostgreSQL connection queues nothing for them', { skip: db.skip }, async (t) => {
  const schema = freshSchema('offboard-returned');
  const [a, b] = await twoReplicas(t, db.url, schema);
  const hub = testHub({ safety: { removalThresholdPercent: 20, removalWindowMinutes: 60, confirmDeprovisioning: true, settleSeconds: 0, offboards: 'threshold' } });
  await seedNineSeats(a, hub, at);
  const handler = offboardHandler(() => new Map([[hub.id, hub]]));
  const owner: Trigger = { type: 'admin', actor: 'owner@example.com' };
  const offboard = async (store: Store, email: string) => {
    const task = await store.transact((tx) => enqueueTask(tx, { kind: 'offboard', payload: { email }, idempotencyKey: `offboard:${email}`, summary: `offboard ${email}`, trigger: owner, now: NOW }));
    const ctx = { store, now: () => NOW, audit: () => {}, interrupted: false } as unknown as TaskContext;
    const running = { ...task, status: 'running' as const, attempts: task.attempts + 1 };
    return store.transact(async (tx) => applyOutcome(tx, running, await handler.run(running, ctx), NOW));
  };
  // 2 of 10 go at once (20 %, at the threshold); the third halts.
  await offboard(a, 'p0@example.com');
  await offboard(a, 'p1@example.com');
  const halted = await offboard(a, 'p2@example.com');
  assert.equal(halted.status, 'needs-approval');
  const [approval] = await collect(a.list('approvals', hub.id));

  const api = createAgentApi({ store: b, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => NOW.getTime() + 1_000 });
  // Okta unassigns and re-assigns the app, committed on the other replica once the decision has read the person.
  let readByDecision!: () => void;
  const decisionRead = new Promise<void>((r) => (readByDecision = r));
  const reactivation = decisionRead.then(() => a.transact(async (w) => {
    const { offboarded: _held, ...u } = (await w.get('directoryUsers', hub.id, 'u-2'))!;
    w.put('directoryUsers', hub.id, 'u-2', { ...u, active: true, version: u.version + 2 });
  }));
  let first = true;
  await api.decideApproval(approval!.id, 'approve', owner, {
    within: async (tx) => {
      const held = await tx.get('directoryUsers', hub.id, 'u-2');
      if (!first) return;
      first = false;
      assert.ok(held?.offboarded, 'the decision read the person held');
      readByDecision();
      await reactivation;
    },
  });
  const removals = (await collect(a.list('tasks', hub.id))).filter((x) => x.kind === 'remove-member').map((x) => x.idempotencyKey).sort();
  assert.deepEqual(removals, ['op:remove:m-0', 'op:remove:m-1'], 'the reactivated person\'s removal is not queued');
  const audit = await collect(a.list('audit', hub.id));
  assert.ok(audit.some((e) => e.action === 'remove-member' && e.subject?.memberId === 'm-2' && e.outcome === 'skipped' && /active in the directory again/.test(e.why)));
  assert.equal(b.stats().reRuns > 0, true, 'the decision ran again');
});
