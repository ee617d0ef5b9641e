import type { HubConfigFile } from '../../config/schema.ts';
import type { Store } from '../store/store.ts';
import type { TaskContext } from '../tasks/handler.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import { applyOutcome } from '../tasks/task-transitions.ts';
import { applyRemovalsHandler } from './apply-removals.ts';

/**
 * One apply-removals pass of `phase` at `now`, as the task runner makes it (enqueued under `key`,
 * run, its outcome recorded), so the removal-pass tests share one way to run a pass.
 */
export async function removalPass(store: Store, hub: HubConfigFile, phase: 'settle' | 'deprovision', key: string, now: Date): Promise<TaskRecord> {
  const task = await store.transact((tx) => enqueueTask(tx, { hubId: hub.id, kind: 'apply-removals', payload: { phase }, idempotencyKey: key, summary: 'apply removals', trigger: { type: 'scim' }, now }));
  const ctx = { store, hub, now: () => now, audit: () => {}, interrupted: false } as unknown as TaskContext;
  const outcome = await applyRemovalsHandler.run(task, ctx);
  return store.transact((tx) => applyOutcome(tx, { ...task, status: 'running', attempts: 1 }, outcome, now));
}
