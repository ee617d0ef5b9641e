import type { Paged, TaskQuery, TaskView } from '../api.ts';
import type { ReadView } from '../store/store.ts';
import { toTaskView, type TaskRecord } from './task-record.ts';

export function findTask(view: ReadView, id: string): Readonly<TaskRecord> | undefined {
  for (const p of view.partitions('tasks')) {
    const t = view.get('tasks', p, id);
    if (t) return t;
  }
  return undefined;
}

/** The automation log: tasks per hub, status, kind or parent, newest first (AgentApi.tasks). */
export function queryTasks(view: ReadView, q: TaskQuery): Paged<TaskView> {
  const partitions = q.hubId !== undefined ? [q.hubId] : view.partitions('tasks');
  const out: Readonly<TaskRecord>[] = [];
  for (const p of partitions) for (const t of view.list('tasks', p)) {
    if (q.status && t.status !== q.status) continue;
    if (q.kind && t.kind !== q.kind) continue;
    if (q.parentId && t.parentId !== q.parentId) continue;
    out.push(t);
  }
  out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  const offset = q.offset ?? 0;
  return { total: out.length, items: out.slice(offset, offset + (q.limit ?? 100)).map(toTaskView) };
}
