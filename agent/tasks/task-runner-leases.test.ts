import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../../test/agent-e2e/harness.ts';
import { enqueueTask } from './enqueue.ts';
import type { TaskHandler } from './handler.ts';
import { TaskRunner } from './task-runner.ts';
import { RefusingStore, setup, silent, taskOf, trigger } from './task-runner-fixtures.ts';

describe('task runner: leases', () => {
  test('an attempt whose lease another runner took over (its renewals failed until it lapsed) is aborted, not left calling beside the new one', async () => {
    let aborted: unknown;
    let started = false;
    const { store, runner } = setup([{ kind: 'k', run: (_t, ctx) => new Promise((resolve, reject) => {
      started = true;
      setTimeout(() => resolve({ status: 'completed' }), 2_500).unref(); // a call that ends on its own
      ctx.signal.addEventListener('abort', () => {
        aborted = ctx.signal.reason;
        reject(ctx.signal.reason);
      });
    }) }], { leaseMs: 150 });
    await runner.start();
    try {
      const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
      await until('the attempt started', () => started);
      // Another replica took the task once the lease lapsed.
      await store.transact(async (tx) => {
        const cur = (await tx.get('tasks', 'h1', t.id))!;
        tx.put('tasks', 'h1', t.id, { ...cur, attempts: cur.attempts + 1, lease: { owner: 'other-replica', until: new Date(Date.now() + 60_000).toISOString() } });
      });
      await until('the attempt aborted', () => aborted !== undefined, 2_000);
      assert.match(String(aborted), /lease was taken over/);
      await new Promise((r) => setTimeout(r, 100));
      const after = await taskOf(store, t.id);
      assert.deepEqual([after.status, after.attemptsEnded, after.lastError], ['running', 0, undefined], 'the aborted attempt recorded no outcome over the new one');
    } finally {
      await runner.stop(0);
    }
  });

  test('an expired lease is taken again and the attempt is marked interrupted', async () => {
    const seen: boolean[] = [];
    const { store, runner } = setup([{ kind: 'k', async run(_t, ctx) { seen.push(ctx.interrupted); return { status: 'completed' }; } }], { reclaimLeasesOnStart: false });
    const t = await store.transact(async (tx) => {
      const task = await enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' });
      const crashed = { ...task, status: 'running' as const, attempts: 1, lease: { owner: 'dead-runner', until: new Date(Date.now() + 80).toISOString() } };
      tx.put('tasks', 'h1', task.id, crashed);
      return crashed;
    });
    await runner.start();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal((await taskOf(store, t.id)).status, 'running', 'not taken before the lease expires');
    await until('the task completed', async () => (await taskOf(store, t.id)).status === 'completed');
    assert.deepEqual(seen, [true]);
    await runner.stop();
  });

  test('a task left running under our own lease (outcome and hand-back refused) runs again once the lease lapses, marked interrupted', async () => {
    // The store refuses the next `refuse` transactions (disk full, database unreachable), then recovers.
    let refuse = 0;
    const store = new RefusingStore(() => { if (refuse === 0) return false; refuse--; return true; });
    const seen: boolean[] = [];
    const handler: TaskHandler = { kind: 'k', async run(_t, ctx) {
      seen.push(ctx.interrupted);
      if (seen.length === 1) refuse = 2; // the outcome's commit, then releaseAfterFailure's
      return { status: 'completed' };
    } };
    // Longer than the second a refused hand-back holds the task (lease.ts), so the wait is the lease's.
    const runner = new TaskRunner({ store, handlers: [handler], hubs: () => new Map(), connectorFor: () => undefined, log: silent, leaseMs: 1_500 });
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
    await until('the first attempt, its outcome and hand-back refused', () => seen.length === 1 && refuse === 0);
    const stuck = await taskOf(store, t.id);
    assert.deepEqual([stuck.status, stuck.lease?.owner], ['running', runner.owner], 'left running under our own lease');
    await until('the task completed', async () => (await taskOf(store, t.id)).status === 'completed', 5_000);
    assert.ok(Date.now() >= Date.parse(stuck.lease!.until), 'not taken again before the lease lapsed');
    await new Promise((r) => setTimeout(r, 300)); // no further attempt
    const done = await taskOf(store, t.id);
    assert.deepEqual(seen, [false, true], 'exactly one more attempt, marked interrupted');
    assert.deepEqual([done.status, done.attempts, done.attemptsEnded, done.lease], ['completed', 2, 2, undefined]);
    await runner.stop();
  });

  test('stop hands back the lease of a task still running', async () => {
    const { store, runner } = setup([{ kind: 'slow', async run() { await new Promise((r) => setTimeout(r, 500)); return { status: 'completed' }; } }]);
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'slow', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
    await until('the task running', async () => (await taskOf(store, t.id)).status === 'running');
    await runner.stop(20);
    const after = await taskOf(store, t.id);
    assert.equal(after.status, 'queued');
    assert.equal(after.lease, undefined);
    assert.ok(after.attempts > after.attemptsEnded, 'the next attempt will know it was interrupted');
  });
});

describe('leaseless tasks', () => {
  test('one commit per run; a request folded in while it runs makes it run again with the newer state', async () => {
    let release: (() => void) | undefined;
    const seen: unknown[] = [];
    const handler: TaskHandler = {
      kind: 'replan', local: true, leaseless: true,
      async run(task, ctx) {
        seen.push((await ctx.store.get('tasks', task.hubId, task.id))?.status);
        if (seen.length === 1) await new Promise<void>((r) => (release = r));
        return { status: 'completed', result: { run: seen.length } };
      },
    };
    const { store, runner } = setup([handler]);
    let commits = 0;
    store.subscribe((changes) => { if (changes.some((c) => c.collection === 'tasks')) commits++; });
    await runner.start();
    const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'replan', payload: {}, idempotencyKey: 'p', trigger, summary: 's', reuse: 'unstarted' }));
    await until('the first run is planning', () => release !== undefined);
    assert.equal((await taskOf(store, t.id)).status, 'queued', 'no lease written before the run');
    // A newer request for the same person arrives while the first run is planning.
    const again = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'replan', payload: {}, idempotencyKey: 'p', trigger, summary: 's', reuse: 'unstarted' }));
    assert.equal(again.id, t.id);
    assert.equal(again.revision, 1);
    commits = 0;
    release!();
    await until('the task completed', async () => (await taskOf(store, t.id)).status === 'completed');
    await runner.stop();
    assert.equal(seen.length, 2, 'the run that read the older state ran again');
    assert.deepEqual((await taskOf(store, t.id)).result, { run: 2 });
    assert.equal((await taskOf(store, t.id)).attempts, 1, 'only the recorded run counts');
    assert.equal(commits, 1, 'the stale run recorded nothing; the second recorded attempt and outcome in one commit');
  });
});
