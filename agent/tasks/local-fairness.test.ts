import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enqueueTask } from './enqueue.ts';
import { setup, trigger } from './task-runner-fixtures.ts';

/**
 * Store-only tasks (re-plans, removal passes, reconciles: TaskHandler.local) of every hub share
 * one cap per process (`localConcurrency`), and the pump passed over the hubs in a fixed order:
 * each slot that freed went to the first hub again, so a backlog of one hub ran whole before
 * another hub's re-plan started. Counted in tasks started (each right after its claim), not time.
 */
test('store-only tasks of a hub with a small queue start among the first claims, not after another hub\'s backlog', async () => {
  const started: string[] = [];
  const { store, runner } = setup([{
    kind: 'replan', local: true,
    async run(task) {
      started.push(`${task.hubId}:${(task.payload as { n: number }).n}`);
      await new Promise((r) => setImmediate(r)); // quick store-only work
      return { status: 'completed' };
    },
  }]);
  const backlog = 200;
  await store.transact(async (tx) => {
    for (let n = 0; n < backlog; n++) await enqueueTask(tx, { hubId: 'a', kind: 'replan', payload: { n }, idempotencyKey: `a-${n}`, trigger, summary: `a ${n}` });
    for (let n = 0; n < 2; n++) await enqueueTask(tx, { hubId: 'b', kind: 'replan', payload: { n }, idempotencyKey: `b-${n}`, trigger, summary: `b ${n}` });
  });
  await runner.start();
  await runner.idle();
  await runner.stop();
  assert.equal(started.length, backlog + 2, 'every task ran once');
  const lastOfB = Math.max(started.indexOf('b:0'), started.indexOf('b:1'));
  // The first pass fills the 8 slots from hub a; hub b takes the next slots that free.
  assert.ok(lastOfB >= 0 && lastOfB < 8 + 4, `hub b's 2 tasks started as claims ${started.indexOf('b:0') + 1} and ${started.indexOf('b:1') + 1} of ${started.length}`);
  // Each hub's own tasks keep their order.
  assert.deepEqual(started.filter((s) => s.startsWith('a:')), Array.from({ length: backlog }, (_, n) => `a:${n}`));
  assert.deepEqual(started.filter((s) => s.startsWith('b:')), ['b:0', 'b:1']);
});
