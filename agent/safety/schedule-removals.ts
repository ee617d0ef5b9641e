import type { HubConfigFile } from '../../config/schema.ts';
import type { Trigger } from '../desired-state/delta.ts';
import type { ReadView, Transaction } from '../store/store.ts';
import { enqueueTask, taskByKey, updateTask } from '../tasks/enqueue.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import '../outbox.ts';

export type RemovalPhase = 'settle' | 'deprovision';

/** How long deprovisioning removals gather before they run (so the threshold sees a mass deactivation whole). */
export const DEPROVISION_GATHER_MS = 2_000;

/**
 * Makes sure the hub's `apply-removals` task for `phase` will run: after `settleSeconds` for
 * downgrades and removals of active people (each new change pushes it back: a removal runs only
 * once the directory has been quiet for the whole window), shortly for deprovisioning. Reads and
 * stages through `tx` (await it inside the transaction).
 */
export async function scheduleRemovals(tx: Transaction, hub: HubConfigFile, phase: RemovalPhase, trigger: Trigger, now: Date, parentId?: string): Promise<TaskRecord> {
  const delay = phase === 'settle' ? hub.safety.settleSeconds * 1000 : DEPROVISION_GATHER_MS;
  const runAt = new Date(now.getTime() + delay).toISOString();
  const key = `apply-removals:${phase}`;
  const existing = await taskByKey(tx, hub.id, key);
  if (existing && (existing.status === 'queued' || existing.status === 'waiting')) {
    // Settle: every new change restarts the window (a removal runs once the directory is quiet).
    if (phase === 'settle' && (existing.nextRunAt ?? '') < runAt) return await updateTask(tx, existing, { nextRunAt: runAt, status: 'waiting', waitReason: 'settle' }, now);
    return existing as TaskRecord;
  }
  // None yet, or one already running (it may have read the state before this change): a new one.
  const task = await enqueueTask(tx, {
    hubId: hub.id, kind: 'apply-removals', payload: { phase }, idempotencyKey: key, trigger, runAt, now, parentId, reuse: 'unstarted',
    summary: phase === 'settle' ? `apply downgrades and removals on hub ${hub.id} once the settle window (${hub.safety.settleSeconds}s) has passed` : `apply deprovisioning on hub ${hub.id}`,
  });
  return await updateTask(tx, task, { status: 'waiting', waitReason: phase === 'settle' ? 'settle' : 'gathering deprovisioning' }, now);
}

/**
 * Makes sure a pass of `phase` is queued or waiting, leaving one that is as it is: for a change
 * that is no new directory change (a deferred removal noted for the pass, deferred-removals.ts),
 * which must not push back the settle window as scheduleRemovals does.
 */
export async function ensureRemovalPass(tx: Transaction, hub: HubConfigFile, phase: RemovalPhase, trigger: Trigger, now: Date): Promise<void> {
  const pass = await taskByKey(tx, hub.id, `apply-removals:${phase}`);
  if (pass?.status === 'queued' || pass?.status === 'waiting') return;
  await scheduleRemovals(tx, hub, phase, trigger, now);
}

/**
 * Has the directory changed since `queuedAt` (or in its millisecond) with the hub's settle window still open? The settle
 * pass waits until `settleSeconds` after the last change that planned a downgrade or removal
 * (scheduleRemovals), so a pass due later than `queuedAt + settleSeconds` was pushed back by a
 * change made after it. A downgrade or removal queued earlier that runs now (it waited on a rate
 * limit) would act inside that change's window: a person added back and then moved, remove
 * first, lost the seat between the move's two halves.
 */
export async function settleWindowOpenSince(view: Pick<ReadView, 'get'>, hub: HubConfigFile, queuedAt: string, now: Date): Promise<boolean> {
  const pass = await taskByKey(view, hub.id, 'apply-removals:settle');
  if (!pass || (pass.status !== 'queued' && pass.status !== 'waiting') || !pass.nextRunAt) return false;
  const due = Date.parse(pass.nextRunAt);
  // A change in the same millisecond as the queuing counts as since: the two cannot be ordered, and
  // a removal that waits the window once more is the safe side (the settle-dormant-removal test
  // failed about one run in ten once a change and the queuing shared a millisecond).
  return due > now.getTime() && due - hub.safety.settleSeconds * 1000 >= Date.parse(queuedAt);
}

/**
 * Until when a settle pass must wait for directory changes the dispatcher has not taken yet: the
 * latest such change's time plus `settleSeconds`, if that is still ahead of `now`. A SCIM write
 * commits the directory record and its outbox entry together (agent/outbox.ts), and the settle
 * window of the change starts only when the dispatcher takes the entry and plans the person
 * (scheduleRemovals). A pass that ran in between planned the whole hub from the directory as
 * written, so the first half of a group move (removed from one group, added to the other a moment
 * later) was removed with no window at all. An entry whose window has passed holds nothing: a
 * dispatcher that is stuck delays removals by one window, not for ever.
 */
export async function undispatchedChangeUntil(view: Pick<ReadView, 'list'>, hub: HubConfigFile, now: Date): Promise<string | undefined> {
  const windowMs = hub.safety.settleSeconds * 1000;
  let latest = Number.NEGATIVE_INFINITY;
  for await (const entry of view.list('outbox', hub.id)) {
    const at = Date.parse(entry.at);
    if (at > latest) latest = at;
  }
  // At most one window from now: an entry stamped ahead of this clock (another replica's) waits no longer.
  const until = Math.min(latest + windowMs, now.getTime() + windowMs);
  return until > now.getTime() ? new Date(until).toISOString() : undefined;
}
