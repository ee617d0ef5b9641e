/**
 * An owner approves an offboarding's approval (`safety.offboards: threshold`, offboard-brake.ts)
 * at the moment the IdP reactivates the person (active false → true over SCIM, RFC 7643 §4.1.1: the
 * hold ends), on two PostgreSQL connections (two replicas): the decision has read the person still
 * held when the reactivation commits. The decision's read no longer holds (postgres/read-set.ts):
 * it runs again, sees the person back and queues nothing for them (the check is made in the
 * transaction that queues, not before it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests } from '../../test/postgres.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { createAgentApi } from '../agent-api.ts';
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

test('an offboarding\'s approval approved as the person is reactivated on another PostgreSQL connection queues nothing for them', { skip: db.skip }, async (t) => {
  const schema = freshSchema('offboard-returned');
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
