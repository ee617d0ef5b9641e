import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { enqueueTask } from './enqueue.ts';
import { trigger } from './task-runner-fixtures.ts';

describe('enqueue', () => {
  test('the same idempotency key returns the unfinished task; a finished one allows a new task', async () => {
    const store = new MemoryStore();
    const a = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: 1, idempotencyKey: 'key', trigger, summary: 's' }));
    const b = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: 2, idempotencyKey: 'key', trigger, summary: 's' }));
    assert.equal(a.id, b.id);
    assert.equal(await store.count('tasks', 'h1'), 1);
    await store.transact((tx) => tx.put('tasks', 'h1', a.id, { ...a, status: 'running' }));
    const c = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: 3, idempotencyKey: 'key', trigger, summary: 's', reuse: 'unstarted' }));
    assert.notEqual(c.id, a.id, 'a running task is not reused when reuse = unstarted');
  });
});
