import type { TaskPage, TaskQuery } from '../api.ts';
import { getAcross, type ReadView, type Store } from '../store/store.ts';
import './prune.ts';
import { inAdminScope } from '../dispatch/find-person.ts';
import { compareTaskPlaces, NewestTasks, requireTaskPlace, taskCursorOf } from './task-cursor.ts';
import { toTaskView, type TaskRecord } from './task-record.ts';

/**
 * A task in memory (unfinished, failed, or finished within the last minute; see prune.ts): read by
 * key in each hub's partition, all in one read (getAcross), so an unknown id costs one key lookup
 * per hub however many tasks there are.
 */
export async function findTask(view: ReadView, id: string): Promise<Readonly<TaskRecord> | undefined> {
  return byIdAcross(view, 'tasks', id);
}

/**
 * A task in memory or, once finished and moved there, in the archive: by key too, never by reading
 * the archive through. On lowdb the archive's own id lookup (archive.ts findById); on the memory
 * and PostgreSQL stores `finishedTasks` is keyed by hub and id like `tasks`. Any caller (a hub
 * manager naming an id that does not exist) costs the same bounded work, whatever the archive holds.
 */
export async function findTaskAnywhere(store: Store, id: string): Promise<Readonly<TaskRecord> | undefined> {
  const live = await findTask(store, id);
  if (live) return live;
  return store.archivedById ? store.archivedById('finishedTasks', id) : byIdAcross(store, 'finishedTasks', id);
}

async function byIdAcross(view: ReadView, collection: 'tasks' | 'finishedTasks', id: string): Promise<Readonly<TaskRecord> | undefined> {
  const partitions = await view.partitions(collection);
  return (await getAcross(view, collection, partitions.map((partition) => ({ partition, id })))).find((t) => t !== undefined);
}

/**
 * The automation log: tasks per hub, status, kind or parent, newest created first, ties by id
 * (task-cursor.ts). The tasks in memory and the archived finished ones are one list in that order:
 * a task that finishes and moves to the archive keeps its place, so a cursor (`after`, the `next`
 * of the page before) pages without repeats or gaps while tasks are queued or finished. Offsets
 * still work, over the same order, but shift when tasks are queued meanwhile.
 *
 * The archive is kept in the order tasks were moved there, not created, so it is read through,
 * page by page (as the total needs anyway), keeping only the first offset + limit matches after
 * the cursor (NewestTasks): on PostgreSQL a page of the archive at a time, never all of it.
 */
export async function queryTasks(store: Store, q: TaskQuery): Promise<TaskPage> {
  const match = (t: Readonly<TaskRecord>) => !(q.status && t.status !== q.status) && !(q.kind && t.kind !== q.kind) && !(q.parentId && t.parentId !== q.parentId) && inAdminScope(q.hubs, t.hubId, t.trigger);
  const after = q.after !== undefined ? requireTaskPlace(q.after) : undefined;
  const offset = q.offset ?? 0;
  const limit = q.limit ?? 100;
  const wanted = new NewestTasks<Readonly<TaskRecord>>(offset + limit);
  let total = 0;
  let afterCursor = 0;
  const take = (t: Readonly<TaskRecord>) => {
    total++;
    if (after && compareTaskPlaces(t, after) <= 0) return;
    afterCursor++;
    wanted.add(t);
  };
  const partitions = q.hubId !== undefined ? [q.hubId] : await store.partitions('tasks');
  // The tasks in memory first (unfinished, failed and just-finished ones: bounded by prune.ts),
  // then the archive: one that moved between the two reads is counted once.
  const live = new Set<string>();
  for (const p of partitions) {
    for await (const t of store.list('tasks', p)) {
      if (!match(t)) continue;
      live.add(t.id);
      take(t);
    }
  }
  if (q.status === undefined || q.status === 'completed' || q.status === 'cancelled') {
    for await (const t of store.newestFirst('finishedTasks', q.hubId)) if (match(t) && !live.has(t.id)) take(t);
  }
  const items = wanted.first().slice(offset, offset + limit).map(toTaskView);
  const more = items.length > 0 && offset + items.length < afterCursor;
  return { total, items, ...(more ? { next: taskCursorOf(items.at(-1)!) } : {}) };
}
