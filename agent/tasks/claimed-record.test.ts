/**
 * The record a claim puts in the store is the stored object itself in the memory and lowdb
 * stores: the attempt must not change it in place, or readers see what no transaction wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enqueueTask } from './enqueue.ts';
import type { TaskHandler } from './handler.ts';
import type { TaskRecord } from './task-record.ts';
import { TaskRunner } from './task-runner.ts';
import { RefusingStore, silent, trigger } from './task-runner-fixtures.ts';
import { until } from '../../test/agent-e2e/harness.ts';

test('progress reported by a handler whose outcome the store refused never shows in the stored task (the claimed record is not changed in place)', async () => {
  let refuse = 0;
  const store = new RefusingStore(() => { if (refuse === 0) return false; refuse--; return true; });
  let ran = 0;
  const handler: TaskHandler = { kind: 'k', async run(_t, ctx) {
    ran++;
    ctx.progress(1, 2, 'halfway');
    refuse = 2; // the outcome's commit, then the hand-back's
    return { status: 'completed' };
  } };
  const runner = new TaskRunner({ store, handlers: [handler], hubs: () => new Map(), connectorFor: () => undefined, log: silent, leaseMs: 60_000 });
  await runner.start();
  const t = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's' }));
  await until('the run, its outcome and the hand-back refused', () => ran === 1 && refuse === 0);
  const stuck = (await store.get('tasks', 'h1', t.id)) as TaskRecord;
  assert.equal(stuck.status, 'running');
  assert.equal(stuck.progress, undefined, 'no transaction wrote it: readers (and the lowdb snapshot cache) must agree');
  await runner.stop();
});
