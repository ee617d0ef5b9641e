import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../../test/agent-e2e/harness.ts';
import { MemoryStore } from '../store/memory-store.ts';
import type { Change, Transaction } from '../store/store.ts';
import { enqueueTask } from './enqueue.ts';
import type { TaskRecord } from './task-record.ts';
import { TaskRunner } from './task-runner.ts';
import { silent, taskOf, trigger } from './task-runner-fixtures.ts';

/**
 * A store shared with another replica, as the runner sees it: what `asReplica` commits reaches
 * this process's listeners only as `remote` changes, without the record (Change.remote).
 */
class SharedStore extends MemoryStore {
  private muted = false;
  private readonly mine = new Set<(changes: readonly Change[]) => void>();
  override subscribe(listener: (changes: readonly Change[]) => void): () => void {
    const l = (changes: readonly Change[]) => { if (!this.muted) listener(changes); };
    this.mine.add(listener);
    const off = super.subscribe(l);
    return () => { this.mine.delete(listener); off(); };
  }
  async asReplica<R>(fn: (tx: Transaction) => R | Promise<R>, touched: Array<[collection: Change['collection'], partition: string, id: string]>): Promise<R> {
    this.muted = true;
    let result: R;
    try {
      result = await this.transact(fn);
    } finally {
      this.muted = false;
    }
    const remote: Change[] = touched.map(([collection, partition, id]) => ({ collection, partition, id, record: undefined, remote: true }));
    for (const l of this.mine) l(remote);
    return result;
  }
}

describe('changes committed by another replica (remote, without the record)', () => {
  test('a task another replica queued is read and run; a remote change is never taken for a deletion', async (t) => {
    const store = new SharedStore();
    let runs = 0;
    const runner = new TaskRunner({ store, handlers: [{ kind: 'k', async run() { runs++; return { status: 'completed' }; } }], hubs: () => new Map(), connectorFor: () => undefined, log: silent });
    await runner.start();
    t.after(() => runner.stop());
    // Queued far in the future here; another replica then makes it due now.
    const later = new Date(Date.now() + 3_600_000);
    const task = await store.transact((tx) => enqueueTask(tx, { hubId: 'h1', kind: 'k', payload: {}, idempotencyKey: 'a', trigger, summary: 's', runAt: later.toISOString() }));
    await runner.idle();
    assert.equal(runs, 0);
    await store.asReplica(async (tx) => tx.put('tasks', 'h1', task.id, { ...(await tx.get('tasks', 'h1', task.id))!, nextRunAt: undefined } as TaskRecord), [['tasks', 'h1', task.id]]);
    await until('the task completed', async () => (await taskOf(store, task.id)).status === 'completed');
    assert.equal(runs, 1, 'the remote change was read again, and the task ran once');

    // A task the other replica enqueued (this process never saw its record).
    const other = await store.asReplica((tx) => enqueueTask(tx, { hubId: 'h2', kind: 'k', payload: {}, idempotencyKey: 'b', trigger, summary: 's' }), []);
    await store.asReplica(() => undefined, [['tasks', 'h2', other.id]]);
    await until('the task completed', async () => (await taskOf(store, other.id, 'h2')).status === 'completed');
    assert.equal(runs, 2);
  });
});
