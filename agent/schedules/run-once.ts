import type { Store } from '../store/store.ts';
import { claimSlot, SLOT_LEASE_MS, slotLeaseEnd, slotOf } from './slot-claim.ts';

export { claimSlot, claimSlotIn, MAX_SLOT_ATTEMPTS, pruneScheduleRuns, SLOT_LEASE_MS, slotLeaseEnd, slotOf, type ScheduleRunRecord, type SlotClaim } from './slot-claim.ts';

/**
 * Schedules that fire once across the fleet. Every replica keeps its own timer (a cron job, an
 * hourly watchdog, the task retention sweeps), so a replica that dies takes no schedule with it;
 * but only one replica does the work of each slot: the one holding the slot's claim, a lease
 * renewed while the run goes on and marked done at its end (slot-claim.ts).
 *
 * A replica that lost a slot to another watches it: when the holder's lease ends with the slot
 * unfinished (the holder was killed mid-run, or its run failed), it claims the slot and runs it,
 * as long as the slot is still the current one. A replica starting up looks at the current slot
 * the same way, so a single replica killed mid-run and restarted runs the round it lost.
 *
 * Clocks: a slot is computed from each replica's clock, so replicas are assumed to keep time with
 * NTP (as leases already assume); a replica a few seconds off may claim the next slot early, never
 * one already run.
 */

export interface RunSlotOptions {
  /** Epoch ms (tests). */
  clock?: () => number;
  leaseMs?: number;
}

/**
 * Runs `run` for `slot` of `name` when this replica claims it: the lease is renewed while `run`
 * goes on and the slot is marked done when it resolves. Resolves false when another replica ran
 * the slot or runs it now. When `run` throws, the error is passed on and the slot stays unfinished:
 * its lease lapses and the slot is tried again (slot-claim.ts, MAX_SLOT_ATTEMPTS). Always runs on a
 * store only this process uses.
 */
export async function runSlot(store: Store, name: string, slot: Date, run: () => unknown, o: RunSlotOptions = {}): Promise<boolean> {
  const clock = o.clock ?? Date.now;
  const leaseMs = o.leaseMs ?? SLOT_LEASE_MS;
  const claim = await claimSlot(store, name, slot, new Date(clock()), leaseMs);
  if (!claim) return false;
  let renewing: NodeJS.Timeout | undefined;
  if (store.shared) {
    // A renewal the store refused is not fatal: the lease lapses and the slot may run again
    // elsewhere (at least once beats a lost round), as a task's lease does.
    renewing = setInterval(() => void claim.renew(new Date(clock())).then((ours) => { if (!ours) clearInterval(renewing); }, () => {}), leaseMs / 3);
    renewing.unref();
  }
  try {
    await run();
  } finally {
    clearInterval(renewing);
  }
  await claim.finish(new Date(clock()));
  return true;
}

export interface SlotTimerOptions {
  store: Store;
  /** The schedule's name in `scheduleRuns`. */
  name: string;
  everyMs: number;
  /** The slot's work, run by the one replica that claimed it. */
  run: () => unknown;
  onError: (err: unknown) => void;
  /** Epoch ms (tests). */
  clock?: () => number;
  /** The slot's lease (default SLOT_LEASE_MS; tests). */
  leaseMs?: number;
}

export interface SlotTimer {
  stop(): void;
}

/**
 * Runs `run` every `everyMs`. On a shared store the timer fires at each slot's start (multiples
 * of `everyMs` since the epoch) on every replica, so all replicas contend for the same slot and
 * one wins; the others (and a replica started mid-slot) look again when the winner's lease ends,
 * and take over a slot left unfinished. A slot reached while the previous slot's run still goes on
 * is looked at again each time that run's lease ends, and run once that run is over (slot-claim.ts):
 * the two never overlap. On any other store it is a plain interval from now, as before.
 */
export function startSlotTimer(o: SlotTimerOptions): SlotTimer {
  const clock = o.clock ?? Date.now;
  const leaseMs = o.leaseMs ?? SLOT_LEASE_MS;
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const after = (ms: number, fn: () => void) => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, Math.max(0, ms));
    timer.unref();
    timers.add(timer);
  };
  const fire = async (slot: Date) => {
    try {
      await runSlot(o.store, o.name, slot, o.run, { clock, leaseMs });
    } catch (err) {
      o.onError(err);
    }
    if (o.store.shared) await watch(slot);
  };
  // A moment past the lease's end, so a holder's clock a little ahead of ours has let it go.
  const margin = Math.min(1_000, leaseMs / 10);
  const watch = async (slot: Date) => {
    try {
      const until = await slotLeaseEnd(o.store, o.name, slot);
      // Once the slot is over, the next slot's claim is what counts.
      if (until === undefined || until >= slot.getTime() + o.everyMs) return;
      after(until + margin - clock(), () => void fire(slot));
    } catch (err) {
      o.onError(err);
    }
  };
  if (!o.store.shared) {
    const interval = setInterval(() => void fire(slotOf(clock(), o.everyMs)), o.everyMs);
    interval.unref();
    return { stop: () => clearInterval(interval) };
  }
  const arm = () => {
    const next = slotOf(clock(), o.everyMs).getTime() + o.everyMs;
    after(next - clock(), () => {
      // The slot aimed at, not the clock read now: a timer a millisecond early or late still names it.
      void fire(new Date(next));
      arm();
    });
  };
  arm();
  // The current slot, left unfinished by a replica that died running it (this one, before a restart).
  void watch(slotOf(clock(), o.everyMs));
  return {
    stop: () => {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
