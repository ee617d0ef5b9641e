import type { Store, Transaction } from '../store/store.ts';

/**
 * Schedules that fire once across the fleet. Every replica keeps its own timer (a cron job, an
 * hourly watchdog, the task retention sweeps), so a replica that dies takes no schedule with it;
 * but only one replica does the work of each slot: the first to claim the slot in the store.
 *
 * The claim is one small record per schedule (collection `scheduleRuns`, partition '', id = the
 * schedule's name) holding the start of the latest slot claimed. Claiming slot S stages the
 * record in a transaction that reads it first and does nothing when it already holds S or a later
 * slot; the read locks the record (or, while it does not exist yet, its partition) until the
 * transaction ends (PostgreSQL, agent/store/postgres/key-locks.ts), so a concurrent claim waits
 * and then finds S taken: exactly one replica wins each slot. One record per schedule, overwritten slot after slot,
 * rather than one per slot: nothing accumulates, and a replica whose clock lags cannot run a slot
 * older than one already run. Records of schedules no longer configured (a removed hub) are
 * pruned with the task retention (`pruneScheduleRuns`).
 *
 * On a store only one process uses (memory, lowdb: `Store.shared` unset) there is nothing to
 * coordinate: every claim succeeds and nothing is written, so those stores behave as before.
 *
 * Clocks: a slot is computed from each replica's clock, so replicas are assumed to keep time with
 * NTP (as leases already assume); a replica a few seconds off may claim the next slot early, never
 * one already run.
 */
export interface ScheduleRunRecord {
  /** The schedule: `check-for-updates:<hubId>`, `watchdog`, `task-retention`… */
  id: string;
  /** Start of the latest slot claimed (ISO 8601, UTC). */
  slot: string;
  /** When it was claimed (ISO), for pruning. */
  at: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    scheduleRuns: ScheduleRunRecord;
  }
}

/**
 * Stages the claim of `slot` for `name` in `tx`; resolves false when that slot (or a later one)
 * was claimed already. Stage the slot's work in the same `tx` when it is a store write (a check
 * for updates queued), so "claimed" and "queued" are one commit.
 */
export async function claimSlotIn(tx: Transaction, name: string, slot: Date, now: Date = new Date()): Promise<boolean> {
  const iso = slot.toISOString();
  const prev = await tx.get('scheduleRuns', '', name);
  if (prev && prev.slot >= iso) return false;
  tx.put('scheduleRuns', '', name, { id: name, slot: iso, at: now.toISOString() });
  return true;
}

/** Claims `slot` of `name` for this replica (always true on a store only this process uses). */
export async function claimSlot(store: Store, name: string, slot: Date, now: Date = new Date()): Promise<boolean> {
  if (!store.shared) return true;
  return store.transact((tx) => claimSlotIn(tx, name, slot, now));
}

/** The slot `nowMs` falls in, for a schedule every `everyMs` (slots start at multiples of it since the epoch). */
export function slotOf(nowMs: number, everyMs: number): Date {
  return new Date(Math.floor(nowMs / everyMs) * everyMs);
}

/** Deletes the records of schedules whose latest claim is older than `cutoffMs` (schedules gone from the config). */
export async function pruneScheduleRuns(store: Store, cutoffMs: number): Promise<number> {
  const old: string[] = [];
  for await (const r of store.list('scheduleRuns', '')) if (Date.parse(r.at) < cutoffMs) old.push(r.id);
  if (old.length === 0) return 0;
  return store.transact(async (tx) => {
    let n = 0;
    for (const id of old) {
      const r = await tx.get('scheduleRuns', '', id);
      if (r && Date.parse(r.at) < cutoffMs) {
        tx.delete('scheduleRuns', '', id);
        n++;
      }
    }
    return n;
  });
}

export interface SlotTimerOptions {
  store: Store;
  /** The schedule's name in `scheduleRuns`. */
  name: string;
  everyMs: number;
  /** The slot's work, run by the one replica that claimed it. */
  run: () => Promise<void> | void;
  onError: (err: unknown) => void;
  /** Epoch ms (tests). */
  clock?: () => number;
}

export interface SlotTimer {
  stop(): void;
}

/**
 * Runs `run` every `everyMs`. On a shared store the timer fires at each slot's start (multiples
 * of `everyMs` since the epoch) on every replica, so all replicas contend for the same slot and
 * one wins; a replica started mid-slot does not run it again. On any other store it is a plain
 * interval from now, as before.
 */
export function startSlotTimer(o: SlotTimerOptions): SlotTimer {
  const clock = o.clock ?? Date.now;
  const fire = async (slot: Date) => {
    try {
      if (await claimSlot(o.store, o.name, slot, new Date(clock()))) await o.run();
    } catch (err) {
      o.onError(err);
    }
  };
  if (!o.store.shared) {
    const interval = setInterval(() => void fire(slotOf(clock(), o.everyMs)), o.everyMs);
    interval.unref();
    return { stop: () => clearInterval(interval) };
  }
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = () => {
    if (stopped) return;
    const next = slotOf(clock(), o.everyMs).getTime() + o.everyMs;
    timer = setTimeout(() => {
      // The slot aimed at, not the clock read now: a timer a millisecond early or late still names it.
      void fire(new Date(next));
      arm();
    }, Math.max(0, next - clock()));
    timer.unref();
  };
  arm();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
