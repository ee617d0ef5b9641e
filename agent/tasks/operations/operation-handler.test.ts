import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import '../../app-state/records.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { enqueueTask, updateTask } from '../enqueue.ts';
import type { TaskContext } from '../handler.ts';
import { TaskRunner } from '../task-runner.ts';
import type { TaskRecord } from '../task-record.ts';
import { cleanFirstAttempt } from './operation-handler.ts';

const trigger = { type: 'admin' as const, actor: 'test' };
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** An invite task on its first attempt, in a store indexed like the runner's, with a complete snapshot unless told. */
async function setup(o: { complete?: boolean } = {}) {
  const store = new MemoryStore();
  new TaskRunner({ store, handlers: [], hubs: () => new Map(), connectorFor: () => undefined, log: silent }); // defines the task indexes
  await store.transact((tx) => tx.put('appImports', 'h1', 'h1', { hubId: 'h1', id: 'h1', complete: o.complete ?? true }));
  const enqueue = () => store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'invite', payload: {}, idempotencyKey: 'op:invite:a@x.example', trigger, summary: 'invite a' }));
  const ctx = (interrupted = false) => ({ store, interrupted }) as unknown as TaskContext;
  return { store, enqueue, ctx };
}
const attempt = (t: TaskRecord, n: number): TaskRecord => ({ ...t, status: 'running', attempts: n });

describe('clean first invite attempt (skips the pending_users look-up)', () => {
  test('first attempt, complete snapshot, no earlier attempt of the change: clean', async () => {
    const { enqueue, ctx } = await setup();
    assert.equal(await cleanFirstAttempt(attempt(await enqueue(), 1), ctx()), true);
  });

  test('a retry or an interrupted attempt looks first', async () => {
    const { enqueue, ctx } = await setup();
    const t = await enqueue();
    assert.equal(await cleanFirstAttempt(attempt(t, 2), ctx()), false);
    assert.equal(await cleanFirstAttempt(attempt(t, 1), ctx(true)), false);
  });

  test('a retry after attempts Meta refused (code 17 at the invite limit) stays clean; once one outcome was unknown, every later attempt looks first', async () => {
    const { enqueue, ctx } = await setup();
    const t = await enqueue();
    assert.equal(await cleanFirstAttempt({ ...attempt(t, 3), attemptsRefused: 2 }, ctx()), true);
    assert.equal(await cleanFirstAttempt({ ...attempt(t, 3), attemptsRefused: 1 }, ctx()), false, 'one of the two earlier attempts may have landed');
    assert.equal(await cleanFirstAttempt({ ...attempt(t, 3), attemptsRefused: 2 }, ctx(true)), false, 'interrupted');
  });

  test('without a complete snapshot it looks first', async () => {
    const { enqueue, ctx } = await setup({ complete: false });
    assert.equal(await cleanFirstAttempt(attempt(await enqueue(), 1), ctx()), false);
  });

  test('an earlier task of the same change that failed after an attempt (its POST may have landed): the new one looks first', async () => {
    const { store, enqueue, ctx } = await setup();
    const first = await enqueue();
    await store.transact((tx) => updateTask(tx, first, { status: 'failed', attempts: 12, attemptsEnded: 12 }));
    const second = await enqueue();
    assert.notEqual(second.id, first.id);
    assert.equal(await cleanFirstAttempt(attempt(second, 1), ctx()), false);
  });

  test('an earlier completed task of the same change does not count against it', async () => {
    const { store, enqueue, ctx } = await setup();
    const first = await enqueue();
    await store.transact((tx) => updateTask(tx, first, { status: 'completed', attempts: 1, attemptsEnded: 1 }));
    assert.equal(await cleanFirstAttempt(attempt(await enqueue(), 1), ctx()), true);
  });
});
