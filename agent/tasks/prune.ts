import type { ReadView, Store, Transaction } from '../store/store.ts';
import { byPartition, writeInBatches } from '../store/write-in-batches.ts';
import { findTaskIn, parentsOf } from './parent-tasks.ts';
import { isFinished, type TaskRecord } from './task-record.ts';
import { assignTriedKeys } from '../app-state/grant-maker.ts';

/**
 * How finished tasks are kept. A task that completed or was cancelled stays in memory for
 * FINISHED_IN_MEMORY_MS (long enough for anyone polling it to read its outcome), then moves to
 * `finishedTasks`, a collection the durable store keeps on disk only (agent/store/archive.ts) and
 * reads by paging (task-query.ts). (An assign whose grant may be unrecorded waits for a check
 * for updates: archiveFinishedTasks.) Failed tasks stay in memory until the retention below: hub
 * health and the dashboard count them, and they grow with failures, not with writes. Without
 * this a deployment that provisions all day carries every task it ever ran in memory.
 *
 * Retention: after `store.taskRetentionDays` finished tasks are deleted, in memory and on disk
 * (whole archive segments). What was done stays in the audit log, which is never pruned.
 */
declare module '../store/collections.ts' {
  interface Collections {
    finishedTasks: TaskRecord;
  }
}

export const FINISHED_IN_MEMORY_MS = 60_000;

const finishedAt = (t: Readonly<TaskRecord>) => Date.parse(t.completedAt ?? t.updatedAt);

/**
 * Moves tasks that completed or were cancelled before `cutoffMs` to `finishedTasks`; returns how
 * many. An assign that may have reached the app without recording its grant (app-state/
 * grant-maker.ts, ASSIGN_TRIED: one that found the grant no longer needed after an attempt whose
 * answer was lost) stays until a check for updates has read the hub's grants since it finished:
 * that check (hours later) finds it only in `tasks`, and without it counts the grant as someone
 * else's. Once read, the grant is recorded with its maker (or was never made).
 */
export function archiveFinishedTasks(store: Store, cutoffMs: number, batch = 1_000): Promise<number> {
  const old = (t: Readonly<TaskRecord>) => (t.status === 'completed' || t.status === 'cancelled') && finishedAt(t) < cutoffMs;
  return inBatches(store, old, batch, async (tx, t) => {
    if (assignTriedKeys(t, t.hubId).length > 0 && !(await grantsReadSince(tx, t.hubId, finishedAt(t)))) return false;
    // A parent still running reads its children when it runs again: they stay until it finishes.
    // A parent is in its child's hub; only a child whose parent is not found there is checked
    // against every hub (listing the hubs is a read every task write would invalidate).
    for (const parentId of parentsOf(t)) {
      const parent = await findTaskIn(tx, t.hubId, parentId);
      if (parent !== undefined && !isFinished(parent)) return false;
    }
    tx.put('finishedTasks', t.hubId, t.id, t as TaskRecord);
    return true;
  });
}

/** Has a check for updates read the hub's grants (its `appAssignments`) since `ms`? (check-for-updates/run-check.ts) */
async function grantsReadSince(view: ReadView, hubId: string, ms: number): Promise<boolean> {
  const read = await view.get('appImports', hubId, hubId);
  return read?.startedAt !== undefined && Date.parse(read.startedAt) > ms && !(read.unavailable ?? []).some((u) => u.section === 'assignments');
}

/**
 * Deletes finished tasks (completed, failed, cancelled) that finished before `cutoffMs`, from
 * memory and from the archive. A finished parent with a child still unfinished is kept (the
 * child wakes it when it ends). Returns how many were deleted from memory, plus the archive
 * segments dropped.
 */
export async function pruneFinishedTasks(store: Store, cutoffMs: number, batch = 1_000): Promise<number> {
  const old = (t: Readonly<TaskRecord>) => isFinished(t) && finishedAt(t) < cutoffMs;
  let pruned = await inBatches(store, old, batch, () => true);
  const durable = store as Store & { dropArchivedBefore?(collection: 'finishedTasks', cutoffMs: number): Promise<number> };
  if (durable.dropArchivedBefore) pruned += await durable.dropArchivedBefore('finishedTasks', cutoffMs);
  else {
    // The in-memory store keeps finishedTasks in memory (tests): delete record by record.
    const gone: Array<readonly [string, string]> = [];
    for (const p of await store.partitions('finishedTasks')) for await (const t of store.list('finishedTasks', p)) if (old(t)) gone.push([p, t.id]);
    if (gone.length > 0) await store.transact((tx) => gone.forEach(([p, id]) => tx.delete('finishedTasks', p, id)));
    pruned += gone.length;
  }
  return pruned;
}

/**
 * Takes the tasks `old` selects out of `tasks` (and their idempotency keys) in transactions of
 * `batch` (store/write-in-batches.ts); `keep` may stage more (the archive copy) or refuse one. A
 * task changed since it was listed, or a parent with an unfinished child, stays. The candidates are
 * all listed before the first write.
 */
async function inBatches(store: Store, old: (t: Readonly<TaskRecord>) => boolean, batch: number, keep: (tx: Transaction, t: Readonly<TaskRecord>) => boolean | Promise<boolean>): Promise<number> {
  const candidates: Array<[string, string]> = [];
  for (const hubId of await store.partitions('tasks')) for await (const t of store.list('tasks', hubId)) if (old(t)) candidates.push([hubId, t.id]);
  return writeInBatches(store, candidates, async (tx, keys) => {
    let n = 0;
    for (const [hubId, ids] of byPartition(keys)) {
      // The batch's tasks and their keys in two reads (on PostgreSQL each read is a round trip);
      // each is read again through `tx`: the read that decides the delete is in its transaction.
      const tasks = (await tx.getMany('tasks', hubId, ids)).filter((t): t is Readonly<TaskRecord> => t !== undefined && old(t)); // else changed since listed
      const refs = await tx.getMany('taskKeys', hubId, tasks.map((t) => t.idempotencyKey));
      for (const [k, t] of tasks.entries()) {
        if ((await tx.lookup('tasks', 'tasks.parent', t.id)).some((child) => !isFinished(child))) continue;
        if (!(await keep(tx, t))) continue;
        if (refs[k]?.taskId === t.id) tx.delete('taskKeys', hubId, t.idempotencyKey);
        tx.delete('tasks', hubId, t.id);
        n++;
      }
    }
    return n;
  }, batch);
}
