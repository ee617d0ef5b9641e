/**
 * When a hub's next scheduled check for updates is due (collection `checkSchedules`, partition =
 * hub id, id = hub id), so a slot that passed while no replica was running is caught up at start.
 *
 * node-cron keeps its timers in memory only: a slot whose time passed while the agent was stopped
 * (a deploy or crash at 03:00, a host down overnight) never fires, and with a daily schedule the
 * hub went a whole extra day without a check (https://github.com/node-cron/node-cron: a task
 * only fires from its start on; `getNextRun`). Each queued tick records the next slot; at start, a
 * recorded slot already passed, with no check started since, queues that check once.
 */
import type { Transaction } from '../store/store.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import { claimSlotIn } from '../schedules/run-once.ts';
import { checkRunsOf } from './check-run.ts';
import { checkForUpdatesKey, requestCheckForUpdates } from './request.ts';

export interface CheckScheduleRecord {
  hubId: string;
  id: string;
  /** The cron expression `next` was computed from. */
  expression: string;
  /** The next slot (ISO 8601, UTC) a check is due at. */
  next: string;
  /** When it was recorded (ISO). */
  at: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    checkSchedules: CheckScheduleRecord;
  }
}

/** Stages the hub's next due slot (none when the job is stopped). */
export function recordNextSlot(tx: Transaction, hubId: string, expression: string, next: Date | null, now: Date): void {
  if (!next) return;
  tx.put('checkSchedules', hubId, hubId, { hubId, id: hubId, expression, next: next.toISOString(), at: now.toISOString() });
}

/**
 * At start: queues the check of a slot that passed with no check started since (the agent was
 * stopped at its time), and records the next slot. On a shared store the slot is claimed as a tick
 * claims it (run-once.ts), so replicas starting together queue it once. Resolves the task queued,
 * or undefined when nothing was missed.
 */
export async function catchUpMissedSlot(tx: Transaction, shared: boolean | undefined, hubId: string, expression: string, next: Date | null, now: Date): Promise<{ task: TaskRecord; slot: string } | undefined> {
  const due = await tx.get('checkSchedules', hubId, hubId);
  if (due && Date.parse(due.next) <= now.getTime()) {
    const latest = (await checkRunsOf(tx, hubId))[0];
    if (!latest || latest.startedAt < due.next) {
      // Claimed already: another replica queued this slot's check (its tick, or its own start).
      if (shared && !(await claimSlotIn(tx, checkForUpdatesKey(hubId), new Date(due.next), now))) return undefined;
      const task = await requestCheckForUpdates(tx, hubId, { type: 'schedule', detail: `${due.expression} (slot ${due.next} passed while the agent was stopped)` }, now);
      recordNextSlot(tx, hubId, expression, next, now);
      return { task, slot: due.next };
    }
  }
  if (!due || due.next !== next?.toISOString() || due.expression !== expression) recordNextSlot(tx, hubId, expression, next, now);
  return undefined;
}
