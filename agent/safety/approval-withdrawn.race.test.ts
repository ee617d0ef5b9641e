/**
 * A pass withdrawing an approval (its removals no longer planned) while an owner approves it, on
 * two PostgreSQL connections (two replicas): both read it `pending` before either commits. The
 * later commit's read no longer holds (postgres/read-set.ts): the pass runs again and leaves the
 * approval approved, or the decision is refused as withdrawn. Never both, never lost.
 */
import { twoReplicas } from './held-race-fixtures.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests } from '../../test/postgres.ts';
import { freshSchemas } from '../../test/fresh-schemas.ts';
import { createAgentApi } from '../agent-api.ts';
import { completeImport, testGroup, testHub, testSeat, testUser } from '../grants/grant-fixtures.ts';
import { collect, type Store } from '../store/store.ts';
import type { TaskContext } from '../tasks/handler.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import { applyOutcome } from '../tasks/task-transitions.ts';
import { applyRemovalsHandler } from './apply-removals.ts';

const db = await postgresForTests();
const freshSchema = db.skip ? () => '' : freshSchemas(db);
const NOW = new Date('2026-12-04T01:00:00Z');
const at = NOW.toISOString();

for (const first of ['pass', 'decision'] as const) test(`an approval withdrawn by a pass while an owner approves it on another PostgreSQL connection ends one way only (${first} commits first)`, { skip: db.skip }, async (t) => {
  const schema = freshSchema(`approval-withdrawn-${first}`);
  const [a, b] = await twoReplicas(t, db.url, schema);
  const hub = testHub({ safety: { removalThresholdPercent: 20, removalWindowMinutes: 60, confirmDeprovisioning: false, settleSeconds: 0 } });
  const group = (ids: number[]) => testGroup('g1', 'Meta Advertisers', ids.map((i) => `u-${i}`), at);
  await a.transact((tx) => {
    for (let i = 0; i < 8; i++) {
      tx.put('directoryUsers', hub.id, `u-${i}`, testUser(`u-${i}`, `p${i}@example.com`, true));
      tx.put('appMembers', hub.id, `m-${i}`, testSeat(`m-${i}`, `p${i}@example.com`, 'EMPLOYEE', at));
    }
    tx.put('directoryGroups', hub.id, 'g1', group([3, 4, 5, 6, 7]));
    tx.put('appMembers', hub.id, 'm-admin', testSeat('m-admin', 'owner@example.com', 'ADMIN', at));
    tx.put('appMembers', hub.id, 'm-x', testSeat('m-x', 'other@example.com', 'EMPLOYEE', at));
    tx.put('appImports', hub.id, hub.id, completeImport(at));
  });
  /** Runs a settle pass on `store`; `beforeCommit` runs once, after its first run's reads and writes, before COMMIT. */
  const pass = async (store: Store, key: string, beforeCommit?: () => Promise<void>) => {
    const task = await store.transact((tx) => enqueueTask(tx, { hubId: hub.id, kind: 'apply-removals', payload: { phase: 'settle' }, idempotencyKey: key, summary: 'apply removals', trigger: { type: 'scim' }, now: NOW }));
    const ctx = { store, hub, now: () => NOW, audit: () => {}, interrupted: false } as unknown as TaskContext;
    const running = { ...task, status: 'running' as const, attempts: 1 };
    const outcome = await applyRemovalsHandler.run(running, ctx);
    let gate = beforeCommit;
    return store.transact(async (tx) => {
      const ended = await applyOutcome(tx, running, outcome, NOW);
      const g = gate;
      gate = undefined;
      await g?.();
      return ended;
    });
  };
  assert.equal((await pass(a, 'apply-removals:settle:0')).status, 'needs-approval');
  const [held] = await collect(a.list('approvals', hub.id));
  await a.transact((tx) => tx.put('directoryGroups', hub.id, 'g1', group([0, 1, 2, 3, 4, 5, 6, 7]))); // all back
  const api = createAgentApi({ store: b, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => NOW.getTime() + 1_000 });

  // Both have read the approval `pending` before either commits; then `first` commits first.
  let reached!: () => void;
  const passRead = new Promise<void>((r) => (reached = r));
  let decided!: () => void;
  const decisionDone = new Promise<void>((r) => (decided = r));
  let readByDecision!: () => void;
  const decisionRead = new Promise<void>((r) => (readByDecision = r));
  let passDone!: () => void;
  const passCommitted = new Promise<void>((r) => (passDone = r));
  const withdrawingRun = pass(a, 'apply-removals:settle:1', async () => {
    reached();
    await decisionRead;
    if (first === 'decision') await decisionDone;
  }).finally(passDone);
  await passRead;
  const decidingRun = api.decideApproval(held!.id, 'approve', { type: 'admin', actor: 'owner@example.com' }, {
    within: async (tx) => {
      await tx.get('approvals', hub.id, held!.id);
      readByDecision();
      if (first === 'pass') await passCommitted;
    },
  }).finally(decided);
  const [withdrawing, deciding] = await Promise.allSettled([withdrawingRun, decidingRun]);
  assert.equal(withdrawing.status, 'fulfilled', String((withdrawing as PromiseRejectedResult).reason));
  const [now] = await collect(a.list('approvals', hub.id));
  const audit = await collect(a.list('audit', hub.id));
  const withdrawn = audit.filter((e) => e.action === 'approval-withdrawn');
  const approved = audit.filter((e) => e.action === 'approval-approved');
  assert.equal(deciding.status, first === 'decision' ? 'fulfilled' : 'rejected');
  if (deciding.status === 'fulfilled') {
    assert.equal(now!.status, 'approved', 'the decision stands');
    assert.deepEqual([withdrawn.length, approved.length], [0, 1]);
    assert.equal((await collect(a.list('tasks', hub.id))).filter((x) => x.kind === 'remove-member').length, 3, 'the approved removals are queued once (each re-checked when it runs)');
  } else {
    assert.match(String(deciding.reason), /withdrawn before anyone decided it/);
    assert.equal(now!.status, 'withdrawn');
    assert.deepEqual([withdrawn.length, approved.length], [1, 0]);
    assert.equal((await collect(a.list('tasks', hub.id))).filter((x) => x.kind === 'remove-member').length, 0, 'nothing queued');
  }
  assert.equal((a.stats().reRuns + b.stats().reRuns) > 0, true, 'the later commit ran again');
});
