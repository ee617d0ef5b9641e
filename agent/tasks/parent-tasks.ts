import type { Store, Transaction } from '../store/store.ts';
import type { TaskRecord } from './task-record.ts';

/**
 * Parent and child tasks (a check for updates owns the tasks it spawned). A
 * parent that returns `waiting` without a time waits for its children; it runs again once none
 * of them is unfinished. Children are found through the `tasks.parent` index.
 */
const unfinished = (t: Readonly<TaskRecord>) => t.status !== 'completed' && t.status !== 'failed' && t.status !== 'cancelled';

/** A task by id: in `hubId` first, then in the other hubs' partitions. */
export async function findTaskIn(tx: Transaction, hubId: string, id: string): Promise<Readonly<TaskRecord> | undefined> {
  const direct = await tx.get('tasks', hubId, id);
  if (direct) return direct;
  // A hub task's parent may belong to no hub (an offboarding) or another hub.
  for (const p of await tx.partitions('tasks')) {
    if (p === hubId) continue;
    const t = await tx.get('tasks', p, id);
    if (t) return t;
  }
  return undefined;
}

/** The tasks a task's end may wake: its parent and the other parents waiting for it (`waiters`). */
export const parentsOf = (t: Readonly<TaskRecord>): string[] => [...(t.parentId ? [t.parentId] : []), ...(t.waiters ?? [])];

const parentIndexDefined = new WeakSet<Store>();

/**
 * Defines 'tasks.parent' (once per store): a task is the child of its parent and of the other
 * parents waiting for it. The task runner and the agent API (an approved offboarding waits for
 * its children, dispatch/offboard-brake.ts) read it, and a lookup of an index not defined fails.
 */
export function defineParentIndex(store: Store): void {
  if (parentIndexDefined.has(store)) return;
  parentIndexDefined.add(store);
  store.defineIndex('tasks', 'tasks.parent', parentsOf);
}

/** Called when `child` finished: queues each waiting parent of it whose last unfinished child it was. */
export async function wakeParent(tx: Transaction, child: TaskRecord, now: Date): Promise<void> {
  for (const parentId of parentsOf(child)) {
    const parent = await findTaskIn(tx, child.hubId, parentId);
    if (!parent || parent.status !== 'waiting' || parent.waitReason !== 'children') continue;
    const siblings = await tx.lookup('tasks', 'tasks.parent', parent.id);
    if (siblings.some((s) => s.id !== child.id && unfinished(s))) continue;
    tx.put('tasks', parent.hubId, parent.id, { ...parent, status: 'queued', waitReason: undefined, updatedAt: now.toISOString() } as TaskRecord);
  }
}

/** A parent that chose to wait for children that are already all finished (or that it has none) goes on. */
export async function settleWaitingParent(tx: Transaction, parent: TaskRecord, now: Date): Promise<void> {
  const children = await tx.lookup('tasks', 'tasks.parent', parent.id);
  if (children.some(unfinished)) return;
  const status = children.length === 0 ? 'completed' : 'queued';
  tx.put('tasks', parent.hubId, parent.id, { ...parent, status, waitReason: undefined, updatedAt: now.toISOString(), ...(status === 'completed' ? { completedAt: now.toISOString() } : {}) } as TaskRecord);
  if (status === 'completed') {
    const ref = await tx.get('taskKeys', parent.hubId, parent.idempotencyKey);
    if (ref?.taskId === parent.id) tx.delete('taskKeys', parent.hubId, parent.idempotencyKey);
  }
}
