/**
 * Scheduled checks for updates: one node-cron job per hub with `checkForUpdates.schedule`. The
 * job only enqueues the task (deduped per hub, see request.ts); the agent's workers run it, so a
 * slow import never overlaps the next tick and a restart loses nothing.
 *
 * Several replicas: every replica runs the same cron jobs, and each tick claims its slot in the
 * store (agent/schedules/run-once.ts) in the transaction that queues the check, so one check is
 * queued per slot across the fleet, even when the previous slot's check has already finished
 * (the idempotency key alone would let a replica whose tick came a moment later queue a second).
 * The slot is node-cron's scheduled time for the tick (`context.date`), the same on every replica.
 * A slot that passed while the agent was stopped is queued at start (schedule-due.ts); one the
 * clock skips when summer time starts is queued at the jump (dst-gap.ts). Over both occurrences
 * of the hour lived twice when summer time ends, node-cron is stopped and the hour's slots are
 * queued on timers of our own, at their time (dst-gap.ts, repeatedHour): a time the schedule names
 * at its second occurrence, one it matches by a wildcard (`30 * * * *`) at both, as Vixie cron does.
 * The slot is the instant (UTC), so the two occurrences are two slots, each claimed once.
 */
import cron, { type ScheduledTask, type TaskContext } from 'node-cron';
import type { HubConfigFile } from '../../config/schema.ts';
import { firstSchedulePath, timeZoneProblem } from '../../config/time-zone.ts';
import { claimSlotIn } from '../schedules/run-once.ts';
import type { Store } from '../store/store.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import { checkForUpdatesKey, requestCheckForUpdates, requestFirstImports } from './request.ts';
import { namedTimeOccurrence, recurringTimes, repeatedHour, skippedSlot } from './dst-gap.ts';
import { catchUpMissedSlot, recordNextSlot } from './schedule-due.ts';

export interface CheckSchedule {
  /** Hub id → cron expression actually scheduled. */
  readonly scheduled: ReadonlyMap<string, string>;
  stop(): Promise<void>;
}

export interface ScheduleOptions {
  store: Store;
  hubs: readonly HubConfigFile[];
  log: { info(msg: string, meta?: object): void; warn(msg: string, meta?: object): void; error(msg: string, meta?: object): void };
  /** Also enqueue the first import of hubs never imported (default true). */
  firstImports?: boolean;
  /** Wait before queueing a slot's check again after the store failed (ms; default QUEUE_RETRY_MS; tests). */
  retryMs?: number;
}

/**
 * A tick whose transaction failed (the store refused it, or the connection went during the commit:
 * its outcome unknown) is tried again, up to QUEUE_TRIES times QUEUE_RETRY_MS apart: otherwise a
 * daily schedule went a whole day without a check. Trying again is safe: on a shared store the slot's
 * claim commits with the queued check, so a retry after a commit that did happen finds the slot
 * done and queues nothing; and a check already queued for the hub is not queued twice (request.ts).
 */
const QUEUE_RETRY_MS = 30_000;
const QUEUE_TRIES = 3;
/** setTimeout's longest delay (2^31 - 1 ms, about 24.8 days); a longer wait is armed again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** node-cron is stopped this long before an hour lived twice, so its own timer never fires in it. */
const HOLD_LEAD_MS = 60_000;

/**
 * A bad expression is a config error at its path (`hubs[1].checkForUpdates.schedule`, as the
 * config loader names it), caught before anything is scheduled. The config schema refuses one
 * already; this guards hubs built in code.
 */
export function validateSchedules(hubs: readonly HubConfigFile[]): string[] {
  const problems: string[] = [];
  hubs.forEach((h, i) => {
    const expression = h.checkForUpdates.schedule;
    if (expression !== undefined && !cron.validate(expression)) problems.push(`hubs[${i}].checkForUpdates.schedule: "${expression}" is not a valid cron expression (hub ${h.id})`);
  });
  const zone = timeZoneProblem(process.env.TZ, firstSchedulePath(hubs));
  if (zone) problems.push(zone);
  return problems;
}

export async function startCheckSchedules(options: ScheduleOptions): Promise<CheckSchedule> {
  const problems = validateSchedules(options.hubs);
  if (problems.length > 0) throw new Error(`check for updates: ${problems.join('; ')}`);
  const jobs: ScheduledTask[] = [];
  const retries = new Set<NodeJS.Timeout>();
  const jumpTimers = new Map<string, NodeJS.Timeout>();
  const holdTimers = new Set<NodeJS.Timeout>();
  const wallClocks: ScheduledTask[] = [];
  let stopped = false;
  const retryMs = options.retryMs ?? QUEUE_RETRY_MS;
  const scheduled = new Map<string, string>();
  for (const hub of options.hubs) {
    const expression = hub.checkForUpdates.schedule;
    if (!expression) continue;
    // The latest slot this replica queued: a slot no later than it is one queued already (node-cron
    // reporting late, as missed, a second occurrence the jump timer queued at its time: dst-gap.ts).
    let latestQueued = Number.NEGATIVE_INFINITY;
    const queue = async (slot: Date, late: boolean, attempt = 1): Promise<void> => {
      if (attempt === 1) {
        if (slot.getTime() <= latestQueued) return;
        latestQueued = slot.getTime();
      }
      try {
        const task = await options.store.transact(async (tx): Promise<TaskRecord | undefined> => {
          if (options.store.shared && !(await claimSlotIn(tx, checkForUpdatesKey(hub.id), slot))) return undefined;
          const queued = await requestCheckForUpdates(tx, hub.id, { type: 'schedule', detail: expression });
          recordNextSlot(tx, hub.id, expression, nextSlot(new Date()), new Date());
          return queued;
        });
        if (!task) return; // another replica queued this slot's check
        options.log.info(`check for updates: hub ${hub.id}: scheduled run queued${late ? ' (its tick fired late)' : ''}`, { hubId: hub.id, taskId: task.id, schedule: expression, slot: slot.toISOString() });
      } catch (err) {
        const again = attempt < QUEUE_TRIES && !stopped;
        options.log.error(`check for updates: hub ${hub.id}: could not queue the scheduled run: ${err instanceof Error ? err.message : String(err)}${again ? `; trying again in ${Math.ceil(retryMs / 1000)} s` : ''}`, { hubId: hub.id, slot: slot.toISOString() });
        if (!again) return;
        const timer = setTimeout(() => {
          retries.delete(timer);
          void queue(slot, late, attempt + 1);
        }, retryMs);
        timer.unref();
        retries.add(timer);
      }
    };
    const job = cron.createTask(expression, async (context?: TaskContext) => {
      await queue(context?.date ?? new Date(Math.floor(Date.now() / 1000) * 1000), false);
      armJump();
      holdOver();
    }, { name: `check-for-updates:${hub.id}`, noOverlap: true });
    /** node-cron's next run, started or not (getNextRun gives null while the job is stopped). */
    const nextRun = (): Date | null => job.getNextRuns(1)[0] ?? null;
    // The schedule read on wall-clock times given as UTC (never started: only `match` is used),
    // to find a time the local clock skips (dst-gap.ts).
    const wallClock = cron.createTask(expression, () => {}, { name: `check-for-updates-wall-clock:${hub.id}`, timezone: 'UTC' });
    wallClocks.push(wallClock);
    const seconds = cron.parse(expression).second;
    // The times run at both occurrences of an hour lived twice (dst-gap.ts).
    const recurring = recurringTimes(expression);
    /**
     * The next slot: node-cron's next run (a named time's second occurrence when node-cron gives the
     * first), or a time before it that the clock skips or that node-cron does not give.
     */
    const nextSlot = (now: Date): Date | null => {
      const next = namedTimeOccurrence(nextRun(), recurring);
      return skippedSlot((wall) => wallClock.match(wall), seconds, now, next, recurring) ?? next;
    };
    /** A timer for the next slot when node-cron will not fire it (the clock skips it), queued at the jump. */
    const armJump = (): void => {
      clearTimeout(jumpTimers.get(hub.id));
      jumpTimers.delete(hub.id);
      if (stopped || held) return; // the held hour's slots have their own timers
      const now = new Date();
      const slot = skippedSlot((wall) => wallClock.match(wall), seconds, now, namedTimeOccurrence(nextRun(), recurring), recurring);
      if (!slot) return;
      const wait = slot.getTime() - now.getTime();
      const timer = setTimeout(() => {
        jumpTimers.delete(hub.id);
        if (wait > MAX_TIMER_MS) return armJump();
        void queue(slot, false).finally(armJump);
      }, Math.min(wait, MAX_TIMER_MS));
      timer.unref();
      jumpTimers.set(hub.id, timer);
    };
    const later = (ms: number, run: () => void): NodeJS.Timeout => {
      const timer = setTimeout(() => {
        holdTimers.delete(timer);
        run();
      }, Math.max(0, ms));
      timer.unref();
      holdTimers.add(timer);
      return timer;
    };
    /**
     * Stops node-cron a moment before the first occurrence of an hour lived twice that holds the
     * next slot (or now), queues the slots of both occurrences at their time, and starts node-cron
     * again when the second is over (dst-gap.ts, repeatedHour: node-cron busy-waited through the
     * second and ran late, and gave a time's first or second occurrence, never both).
     */
    let held = false;
    let holdTimer: NodeJS.Timeout | undefined;
    const holdOver = (): void => {
      if (holdTimer) holdTimers.delete(holdTimer);
      clearTimeout(holdTimer);
      holdTimer = undefined;
      if (stopped || held) return;
      const now = Date.now();
      // The next slot read now, when node-cron has just computed its own next run (at start, after
      // a tick): read again in the repeated hour's first occurrence, node-cron gives the next day's.
      // A slot it skips in the repeated hour (skippedSlot: started between the two) holds it too.
      // The slots in the lead are the hold's too: node-cron is stopped then.
      const hour = repeatedHour((wall) => wallClock.match(wall), seconds, new Date(now), nextSlot(new Date(now)), recurring, HOLD_LEAD_MS);
      if (!hour) return;
      const wait = hour.from.getTime() - HOLD_LEAD_MS - now;
      if (wait > MAX_TIMER_MS) holdTimer = later(MAX_TIMER_MS, holdOver);
      else if (wait > 0) holdTimer = later(wait, () => hold(hour));
      else hold(hour);
    };
    const hold = (hour: { to: Date; slots: Date[] }): void => {
      if (stopped || held) return;
      held = true;
      job.stop();
      clearTimeout(jumpTimers.get(hub.id));
      jumpTimers.delete(hub.id);
      const now = Date.now();
      // A slot due now (the hold began at its minute, in the lead) is queued now; the rest at their time.
      for (const slot of hour.slots) {
        if (slot.getTime() <= now) void queue(slot, false);
        else later(slot.getTime() - now, () => void queue(slot, false));
      }
      later(hour.to.getTime() - now, () => {
        held = false;
        if (stopped) return;
        job.start();
        armJump();
        holdOver();
      });
    };
    // node-cron skips a tick whose timer fires more than `missedExecutionTolerance` (1 s) after its
    // time, and only emits `execution:missed` (https://github.com/node-cron/node-cron, TaskOptions):
    // a busy event loop or a paused host at 03:00 lost a daily schedule's whole day. A late tick
    // queues its slot's check all the same (claimed once across replicas like any other tick).
    // The slots one late timer passed are reported together: only the latest is queued.
    let latestMissed: Date | undefined;
    job.on('execution:missed', (context) => {
      const first = latestMissed === undefined;
      if (!latestMissed || context.date > latestMissed) latestMissed = context.date;
      if (first) queueMicrotask(() => {
        const slot = latestMissed!;
        latestMissed = undefined;
        void queue(slot, true).finally(() => {
          armJump();
          holdOver();
        });
      });
    });
    jobs.push(job);
    scheduled.set(hub.id, expression);
    holdOver();
    if (!held) job.start();
    armJump();
    try {
      const now = new Date();
      const missed = await options.store.transact((tx) => catchUpMissedSlot(tx, options.store.shared, hub.id, expression, nextSlot(now), now));
      if (missed) options.log.info(`check for updates: hub ${hub.id}: the ${missed.slot} slot passed while the agent was stopped; its check is queued now`, { hubId: hub.id, taskId: missed.task.id, schedule: expression, slot: missed.slot });
    } catch (err) {
      // As for first imports: a store error at start must not stop the replica.
      options.log.error(`check for updates: hub ${hub.id}: could not look for a slot missed while stopped: ${err instanceof Error ? err.message : String(err)}`, { hubId: hub.id });
    }
  }
  if (options.firstImports !== false) {
    try {
      for (const task of await requestFirstImports(options.store, options.hubs)) {
        options.log.info(`check for updates: hub ${task.hubId}: never imported; first import queued`, { hubId: task.hubId, taskId: task.id });
      }
    } catch (err) {
      // A store error at start must not stop the replica: the schedules run, and the next start
      // (or a check asked for) imports the hub.
      options.log.error(`check for updates: could not queue the first imports: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return {
    scheduled,
    async stop() {
      stopped = true;
      for (const timer of retries) clearTimeout(timer);
      retries.clear();
      for (const timer of jumpTimers.values()) clearTimeout(timer);
      jumpTimers.clear();
      for (const timer of holdTimers) clearTimeout(timer);
      holdTimers.clear();
      for (const job of [...jobs, ...wallClocks]) await job.destroy();
    },
  };
}
