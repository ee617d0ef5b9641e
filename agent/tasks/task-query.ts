import type { Paged, TaskQuery, TaskView } from '../api.ts';
import type { ReadView, Store } from '../store/store.ts';
import './prune.ts';
import { toTaskView, type TaskRecord } from './task-record.ts';

/** A task in memory (unfinished, failed, or finished within the last minute; see prune.ts). */
export async function findTask(view: ReadView, id: string): Promise<Readonly<TaskRecord> | undefined> {
  for (const p of await view.partitions('tasks')) {
    const t = await view.get('tasks', p, id);
    if (t) return t;
  }
  return undefined;
}

/** A task in memory or, once finished and moved there, in the archive (read page by page). */
export async function findTaskAnywhere(store: Store, id: string): Promise<Readonly<TaskRecord> | undefined> {
  const live = await findTask(store, id);
  if (live) return live;
  for await (const t of store.newestFirst('finishedTasks')) if (t.id === id) return t;
  return undefined;
}

/**
 * The automation log: tasks per hub, status, kind or parent, newest first (AgentApi.tasks). The
 * tasks in memory come first (newest created first), then the archived finished ones, read page
 * by page in the order they finished, newest first.
 */
export async function queryTasks(store: Store, q: TaskQuery): Promise<Paged<TaskView>> {
  const match = (t: Readonly<TaskRecord>) => !(q.status && t.status !== q.status) && !(q.kind && t.kind !== q.kind) && !(q.parentId && t.parentId !== q.parentId);
  const partitions = q.hubId !== undefined ? [q.hubId] : await store.partitions('tasks');
  const live: Readonly<TaskRecord>[] = [];
  // Sorted by creation below, so every matching live task is read (they are the unfinished,
  // failed and just-finished ones: finished tasks move to the archive, read page by page).
  for (const p of partitions) for await (const t of store.list('tasks', p)) if (match(t)) live.push(t);
  live.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  const offset = q.offset ?? 0;
  const limit = q.limit ?? 100;
  const items = live.slice(offset, offset + limit).map(toTaskView);
  let total = live.length;
  if (q.status === undefined || q.status === 'completed' || q.status === 'cancelled') {
    const newer = (a: Readonly<TaskRecord>, b: Readonly<TaskRecord>) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0);
    for await (const t of store.newestFirst('finishedTasks', q.hubId, newer)) {
      if (!match(t)) continue;
      if (total >= offset && items.length < limit) items.push(toTaskView(t));
      total++;
    }
  }
  return { total, items };
}
