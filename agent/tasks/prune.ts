import type { Store } from '../store/store.ts';
import { isFinished, type TaskRecord } from './task-record.ts';

/**
 * Retention of the automation log: finished tasks (completed, failed, cancelled) that finished
 * before `cutoffMs` are deleted, so a deployment that has provisioned for a year does not carry
 * every task it ever ran in memory and in its snapshot. What was done stays in the audit log
 * (store and file), which is append-only and never pruned here. A finished parent with a child
 * still unfinished is kept (the child wakes it when it ends).
 */
export async function pruneFinishedTasks(store: Store, cutoffMs: number, batch = 1_000): Promise<number> {
  const old = (t: Readonly<TaskRecord>) => isFinished(t) && Date.parse(t.completedAt ?? t.updatedAt) < cutoffMs;
  const candidates: Array<[string, string]> = [];
  for (const hubId of store.partitions('tasks')) for (const t of store.list('tasks', hubId)) if (old(t)) candidates.push([hubId, t.id]);
  let pruned = 0;
  for (let i = 0; i < candidates.length; i += batch) {
    pruned += await store.transact((tx) => {
      let n = 0;
      for (const [hubId, id] of candidates.slice(i, i + batch)) {
        const t = tx.get('tasks', hubId, id);
        if (!t || !old(t)) continue; // changed since listed
        if (tx.lookup('tasks', 'tasks.parent', id).some((child) => !isFinished(child))) continue;
        const ref = tx.get('taskKeys', hubId, t.idempotencyKey);
        if (ref?.taskId === id) tx.delete('taskKeys', hubId, t.idempotencyKey);
        tx.delete('tasks', hubId, id);
        n++;
      }
      return n;
    });
    // Between batches, let requests in: a first prune after an upgrade may have much to do.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return pruned;
}
