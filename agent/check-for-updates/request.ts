/**
 * Asking for a check for updates: on demand (CLI, REST API, hooks), on the hub's schedule, and
 * when a hub has never been imported. One idempotency key per hub: while a check is queued or
 * running, asking again returns that task instead of starting a second full read.
 */
import type { Trigger } from '../desired-state/delta.ts';
import type { Store, Transaction } from '../store/store.ts';
import { enqueueTask } from '../tasks/enqueue.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import { lastImport } from './snapshot-store.ts';

export const CHECK_FOR_UPDATES_KIND = 'check-for-updates';

/**
 * The agent's reconcile pass over a whole hub (plan → tasks). The name must match the handler
 * the agent registers for it (H5).
 */
export const RECONCILE_HUB_KIND = 'reconcile-hub';

export const checkForUpdatesKey = (hubId: string) => `check-for-updates:${hubId}`;

/** Stages the hub's check for updates in `tx`, or returns the one already queued or running. */
export async function requestCheckForUpdates(tx: Transaction, hubId: string, trigger: Trigger, now?: Date): Promise<TaskRecord> {
  return enqueueTask(tx, {
    hubId,
    kind: CHECK_FOR_UPDATES_KIND,
    payload: { hubId },
    idempotencyKey: checkForUpdatesKey(hubId),
    trigger,
    summary: `check for updates of hub ${hubId}`,
    ...(now ? { now } : {}),
  });
}

/**
 * Right after a hub is first connected (no complete import yet, and `checkForUpdates.onConnect`),
 * import it so the members view and the plan have a complete picture to start from.
 */
export async function requestFirstImports(store: Store, hubs: ReadonlyArray<{ id: string; checkForUpdates: { onConnect: boolean } }>, now?: Date): Promise<TaskRecord[]> {
  const due: typeof hubs[number][] = [];
  for (const h of hubs) if (h.checkForUpdates.onConnect && (await lastImport(store, h.id))?.complete !== true) due.push(h);
  if (due.length === 0) return [];
  // Read again in the transaction that queues the first imports (another replica may have imported one meanwhile).
  return store.transact(async (tx) => {
    const queued: TaskRecord[] = [];
    for (const h of due) {
      if ((await lastImport(tx, h.id))?.complete === true) continue;
      queued.push(await requestCheckForUpdates(tx, h.id, { type: 'agent', detail: 'first import of a newly connected hub' }, now));
    }
    return queued;
  });
}

/**
 * One reconcile pass for the hub: after an import, or after an owner's decision changed who is
 * managed. A pass already running read the state before this change, so only a queued one is reused.
 */
export async function requestReconcile(
  tx: Transaction, hubId: string, trigger: Trigger, why: string,
  enqueue: (tx: Transaction, input: Parameters<typeof enqueueTask>[1]) => TaskRecord | Promise<TaskRecord> = enqueueTask,
): Promise<TaskRecord> {
  return enqueue(tx, {
    hubId,
    kind: RECONCILE_HUB_KIND,
    payload: { hubId, why },
    idempotencyKey: `reconcile-hub:${hubId}`,
    reuse: 'unstarted',
    trigger,
    summary: `reconcile hub ${hubId} (${why})`,
  });
}
