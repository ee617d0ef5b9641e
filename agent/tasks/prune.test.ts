import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { collect } from '../store/store.ts';
import { enqueueTask, updateTask } from './enqueue.ts';
import { archiveFinishedTasks, pruneFinishedTasks } from './prune.ts';
import { assignsTriedOn } from '../app-state/grant-maker.ts';
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

/**
 * An assign that completed after an attempt whose answer was lost (it found the grant no longer
 * needed, so recorded none) is what tells the next check for updates, hours later, that the grant
 * it lists is hubwarden's (app-state/grant-maker.ts). Archived a minute after it finished, the
 * index on `tasks` lost it and the grant was counted as someone else's. Once a check has read the
 * hub's grants since, the task is no longer needed there.
 */
test('archiving keeps a finished assign whose grant may be in the app unrecorded until a check has read the grants; a clean one moves', async () => {
  const store = new MemoryStore();
  new TaskRunner({ store, handlers: [], hubs: () => new Map(), connectorFor: () => undefined, log: silent }); // defines the task indexes
  const now = Date.parse('2026-06-01T00:00:00Z');
  const hourAgo = new Date(now - 3_600_000);
  const op = (memberId: string) => ({ op: { kind: 'assign-asset', key: `assign:${memberId}`, memberId, asset: { type: 'ad_account', id: 'act_1' }, tasks: ['ANALYZE'], effect: 'grant', reason: 'assigned', summary: memberId } });
  const ids = await store.transact(async (tx) => {
    const mk = async (memberId: string, attempts: number, attemptsRefused = 0) => updateTask(tx,
      await enqueueTask(tx, { hubId: 'h1', kind: 'assign-asset', payload: op(memberId), idempotencyKey: `op:assign:${memberId}`, trigger, summary: memberId, now: hourAgo }),
      { status: 'completed', attempts, attemptsEnded: attempts, attemptsRefused, completedAt: hourAgo.toISOString() }, hourAgo);
    return { lost: (await mk('101', 2)).id, clean: (await mk('102', 1)).id, refused: (await mk('103', 2, 1)).id };
  });
  const checked = (startedAt: Date, unavailable?: Array<{ section: string; message: string }>) => store.transact((tx) =>
    tx.put('appImports', 'h1', 'h1', { hubId: 'h1', id: 'h1', complete: true, startedAt: startedAt.toISOString(), completedAt: startedAt.toISOString(), ...(unavailable ? { unavailable } : {}) }));
  await checked(new Date(now - 2 * 3_600_000)); // before the assign finished
  assert.equal(await archiveFinishedTasks(store, now - 60_000), 2);
  assert.deepEqual((await collect(store.list('tasks', 'h1'))).map((t) => t.id), [ids.lost]);
  assert.deepEqual([...await assignsTriedOn(store, 'h1')], ['ad_account:act_1:101']);
  assert.deepEqual((await collect(store.list('finishedTasks', 'h1'))).map((t) => t.id).sort(), [ids.clean, ids.refused].sort());

  // A check since that could not read the grants has not recorded it either; one that read them has.
  await checked(new Date(now - 60_000), [{ section: 'assignments', message: 'unavailable' }]);
  assert.equal(await archiveFinishedTasks(store, now - 60_000), 0);
  await checked(new Date(now - 60_000));
  assert.equal(await archiveFinishedTasks(store, now - 60_000), 1);
  assert.deepEqual(await collect(store.list('tasks', 'h1')), []);
});
