import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { enqueueTask, updateTask } from './enqueue.ts';
import { pruneFinishedTasks } from './prune.ts';
import { TaskRunner } from './task-runner.ts';

const trigger = { type: 'admin' as const, actor: 'test' };
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const DAY = 86_400_000;

test('finished tasks past the retention are pruned; recent ones, unfinished ones and a finished parent of an unfinished child stay', async () => {
  const store = new MemoryStore();
  new TaskRunner({ store, handlers: [], hubs: () => new Map(), connectorFor: () => undefined, log: silent }); // defines the task indexes
  const now = Date.parse('2026-06-01T00:00:00Z');
  const longAgo = new Date(now - 40 * DAY);
  const ids = await store.transact(async (tx) => {
    const mk = (key: string, parentId?: string) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: key, trigger, summary: key, parentId, now: longAgo });
    const oldDone = await updateTask(tx, await mk('old-done'), { status: 'completed', completedAt: longAgo.toISOString() }, longAgo);
    const oldFailed = await updateTask(tx, await mk('old-failed'), { status: 'failed', completedAt: longAgo.toISOString() }, longAgo);
    const recent = await updateTask(tx, await mk('recent'), { status: 'completed', completedAt: new Date(now - DAY).toISOString() }, new Date(now - DAY));
    const waiting = await updateTask(tx, await mk('waiting'), { status: 'waiting', nextRunAt: new Date(now + DAY).toISOString() }, longAgo);
    const parent = await updateTask(tx, await mk('parent'), { status: 'completed', completedAt: longAgo.toISOString() }, longAgo);
    const child = await mk('child', parent.id);
    return { oldDone: oldDone.id, oldFailed: oldFailed.id, recent: recent.id, waiting: waiting.id, parent: parent.id, child: child.id };
  });
  assert.equal(await pruneFinishedTasks(store, now - 30 * DAY, 1), 2);
  const left = new Set((await collect(store.list('tasks', 'h1'))).map((t) => t.id));
  assert.deepEqual([...left].sort(), [ids.recent, ids.waiting, ids.parent, ids.child].sort());
  assert.ok(await store.get('taskKeys', 'h1', 'waiting'), 'an unfinished task keeps its idempotency key');

  // Once the child has finished (long ago), the parent goes too.
  await store.transact(async (tx) => updateTask(tx, (await tx.get('tasks', 'h1', ids.child))!, { status: 'completed', completedAt: longAgo.toISOString() }, longAgo));
  assert.equal(await pruneFinishedTasks(store, now - 30 * DAY), 2);
  assert.deepEqual((await collect(store.list('tasks', 'h1'))).map((t) => t.id).sort(), [ids.recent, ids.waiting].sort());
});
