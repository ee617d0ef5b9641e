import { randomUUID } from 'node:crypto';
import type { Trigger } from '../desired-state/delta.ts';
import type { ReadView, Transaction } from '../store/store.ts';
import { isFinished, type TaskRecord } from './task-record.ts';

export interface EnqueueInput {
  hubId?: string;
  kind: string;
  payload: unknown;
  /** Same key + unfinished task = the same task (a retried SCIM push or hook never doubles work). */
  idempotencyKey: string;
  trigger: Trigger;
  parentId?: string;
  /** ISO time before which the task does not run (settle windows, dedupe windows). */
  runAt?: string;
  summary: string;
  /** Rate-limit scope of the task's calls, so a blocked scope holds only its own tasks. */
  scope?: string;
  /**
   * Which existing task counts as "the same": `unfinished` (default) reuses a running task too;
   * `unstarted` reuses only a queued or waiting one, so a change arriving while a reconcile runs
   * gets its own run (it may have read the state before the change).
   */
  reuse?: 'unfinished' | 'unstarted';
  /** Clock for tests and benchmarks. */
  now?: Date;
}

/** The unfinished task holding `key` on `hubId`, if any (read through the caller's transaction). */
export async function taskByKey(tx: Pick<ReadView, 'get'>, hubId: string, key: string): Promise<Readonly<TaskRecord> | undefined> {
  const ref = await tx.get('taskKeys', hubId, key);
  if (!ref) return undefined;
  const task = await tx.get('tasks', hubId, ref.taskId);
  return task && !isFinished(task) ? task : undefined;
}

/**
 * Stages a task in the caller's transaction (the outbox pattern: the write that makes work
 * necessary also records the work). Resolves to the existing task when one with the same
 * idempotency key is unfinished (see `reuse`); its payload and run time are left as they are.
 * The key is read through `tx`, so the check and the write are one transaction.
 */
export async function enqueueTask(tx: Transaction, input: EnqueueInput): Promise<TaskRecord> {
  const hubId = input.hubId ?? '';
  const existing = await taskByKey(tx, hubId, input.idempotencyKey);
  if (existing) {
    const reusable = input.reuse === 'unstarted' ? existing.status === 'queued' || existing.status === 'waiting' : true;
    if (reusable && input.reuse === 'unstarted' && existing.status === 'queued') {
      // A leaseless run may already be reading the state this request changed: mark it.
      const marked: TaskRecord = { ...existing, revision: (existing.revision ?? 0) + 1 };
      tx.put('tasks', hubId, existing.id, marked);
      return marked;
    }
    if (reusable) return existing as TaskRecord;
  }
  const at = (input.now ?? new Date()).toISOString();
  const task: TaskRecord = {
    id: randomUUID(),
    hubId,
    kind: input.kind,
    status: 'queued',
    idempotencyKey: input.idempotencyKey,
    payload: input.payload,
    summary: input.summary,
    trigger: input.trigger,
    attempts: 0,
    attemptsEnded: 0,
    createdAt: at,
    updatedAt: at,
  };
  if (input.runAt !== undefined && input.runAt > at) task.nextRunAt = input.runAt;
  if (input.parentId !== undefined) task.parentId = input.parentId;
  if (input.scope !== undefined) task.scope = input.scope;
  tx.put('tasks', hubId, task.id, task);
  tx.put('taskKeys', hubId, input.idempotencyKey, { key: input.idempotencyKey, taskId: task.id });
  return task;
}

/**
 * Replaces a task record with `patch` applied (records are never mutated in place); a task that
 * finishes gives up its idempotency key (read through `tx`).
 */
export async function updateTask(tx: Transaction, task: Readonly<TaskRecord>, patch: Partial<TaskRecord>, now: Date = new Date()): Promise<TaskRecord> {
  const next: TaskRecord = { ...task, ...patch, updatedAt: now.toISOString() };
  for (const k of Object.keys(next) as Array<keyof TaskRecord>) if (next[k] === undefined) delete next[k];
  tx.put('tasks', task.hubId, task.id, next);
  if (isFinished(next)) {
    const ref = await tx.get('taskKeys', task.hubId, task.idempotencyKey);
    if (ref?.taskId === task.id) tx.delete('taskKeys', task.hubId, task.idempotencyKey);
  }
  return next;
}
