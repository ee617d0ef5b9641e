import { randomUUID } from 'node:crypto';
import type { Store, Transaction } from '../store/store.ts';

/**
 * The claim of a schedule's slot in the store (collection `scheduleRuns`, partition '', id = the
 * schedule's name): one small record per schedule, overwritten slot after slot, holding the latest
 * slot claimed and how its run stands. Nothing accumulates, and a replica whose clock lags cannot
 * run a slot older than one already claimed.
 *
 * A claim is a lease, as a task's is (agent/tasks/lease.ts, task-transitions.ts): the replica
 * running the slot holds it until `lease.until` and renews it while the run goes on (every third
 * of the lease); the run's end marks the slot done (`doneAt`, lease removed). A replica killed
 * mid-run stops renewing, the lease lapses, and the next replica to look at the slot (run-once.ts:
 * the timers watch an unfinished slot) takes it over and runs it: the round is not lost until the
 * next slot. A run that failed (threw) is not marked done either, so it is tried again once its
 * lease lapses, at most MAX_SLOT_ATTEMPTS times: a slot whose run kills every replica that takes it
 * cannot crash the fleet one replica after another. Nor does a slot start while an earlier slot's
 * run still goes on under a live lease (a round longer than the period): it waits for that run's
 * end (or its lease's lapse) and runs then, once, if it is still the current slot; a slot that
 * passed whole meanwhile is not run (the run that outlasted it covers it), so two rounds of one
 * schedule never overlap, on one replica or across the fleet.
 *
 * Each claim reads the record first in its transaction; the read locks the record (or, while it
 * does not exist yet, its partition) until the transaction ends (PostgreSQL,
 * agent/store/postgres/key-locks.ts), so a concurrent claim waits and then finds the slot held:
 * exactly one replica runs each slot while nobody dies.
 *
 * On a store only one process uses (memory, lowdb: `Store.shared` unset) there is nothing to
 * coordinate: every claim succeeds and nothing is written, as before.
 */
export interface ScheduleRunRecord {
  /** The schedule: `check-for-updates:<hubId>`, `watchdog`, `task-retention`… */
  id: string;
  /** Start of the latest slot claimed (ISO 8601, UTC). */
  slot: string;
  /** When it was claimed (ISO), for pruning. */
  at: string;
  /** While the slot's run goes on: who runs it, and until when (ISO) unless renewed. */
  lease?: { owner: string; until: string };
  /** When the slot's run finished (ISO). A record with neither `lease` nor `doneAt` (written before leases) counts as done. */
  doneAt?: string;
  /** Runs of this slot started (taken over after a lapse included). */
  attempts?: number;
}

declare module '../store/collections.ts' {
  interface Collections {
    scheduleRuns: ScheduleRunRecord;
  }
}

/** As the agent's task leases: 30 s, renewed every 10 s. */
export const SLOT_LEASE_MS = 30_000;
/** Runs of one slot at most (the first and the takeovers after its lease lapsed). */
export const MAX_SLOT_ATTEMPTS = 3;

/** The slot `nowMs` falls in, for a schedule every `everyMs` (slots start at multiples of it since the epoch). */
export function slotOf(nowMs: number, everyMs: number): Date {
  return new Date(Math.floor(nowMs / everyMs) * everyMs);
}

/** Whether the record's slot is still being run: held under a lease not yet lapsed, not done. */
const running = (r: Readonly<ScheduleRunRecord>, nowMs: number): boolean => Boolean(r.lease && !r.doneAt && Date.parse(r.lease.until) > nowMs);

/**
 * Whether `iso` may be claimed now given the record: not when that slot (or a later one) is done,
 * held under a live lease, or out of attempts; nor while an earlier slot's run still goes on under
 * a live lease (a run longer than the schedule's period): the later slot would run beside it, on
 * this replica or another. It is claimed when that run ends or its lease lapses (run-once.ts,
 * startSlotTimer watches it).
 */
function claimable(prev: Readonly<ScheduleRunRecord> | undefined, iso: string, nowMs: number): boolean {
  if (!prev) return true;
  if (prev.slot < iso) return !running(prev, nowMs);
  if (prev.slot > iso || !prev.lease || prev.doneAt) return false;
  return Date.parse(prev.lease.until) <= nowMs && (prev.attempts ?? 1) < MAX_SLOT_ATTEMPTS;
}

/**
 * Stages the claim of `slot` for `name` in `tx` when the slot's whole work is a store write staged
 * in the same `tx` (a check for updates queued): "claimed", "queued" and "done" are one commit, so
 * the slot is recorded done at once. Resolves false when the slot was claimed already.
 */
export async function claimSlotIn(tx: Transaction, name: string, slot: Date, now: Date = new Date()): Promise<boolean> {
  const iso = slot.toISOString();
  const prev = await tx.get('scheduleRuns', '', name);
  if (!claimable(prev, iso, now.getTime())) return false;
  const at = now.toISOString();
  tx.put('scheduleRuns', '', name, { id: name, slot: iso, at, doneAt: at, attempts: prev?.slot === iso ? (prev.attempts ?? 1) + 1 : 1 });
  return true;
}

/** A slot this replica holds: renew it while the run goes on, finish it when the run ends. */
export interface SlotClaim {
  readonly name: string;
  readonly slot: string;
  readonly owner: string;
  /** Extends the lease; resolves false when the slot is no longer ours (it lapsed and was taken over, or a later slot was claimed). */
  renew(now: Date): Promise<boolean>;
  /** Marks the slot done (nothing when it is no longer ours). */
  finish(now: Date): Promise<void>;
}

const unshared = (name: string, slot: string): SlotClaim => ({ name, slot, owner: '', renew: async () => true, finish: async () => {} });

/**
 * Claims `slot` of `name` for this replica under a lease of `leaseMs`; undefined when another
 * replica ran it, runs it now, or a later slot was claimed. Always granted on a store only this
 * process uses.
 */
export async function claimSlot(store: Store, name: string, slot: Date, now: Date = new Date(), leaseMs = SLOT_LEASE_MS): Promise<SlotClaim | undefined> {
  const iso = slot.toISOString();
  if (!store.shared) return unshared(name, iso);
  const owner = randomUUID();
  const won = await store.transact(async (tx) => {
    const prev = await tx.get('scheduleRuns', '', name);
    if (!claimable(prev, iso, now.getTime())) return false;
    const attempts = prev?.slot === iso ? (prev.attempts ?? 1) + 1 : 1;
    tx.put('scheduleRuns', '', name, { id: name, slot: iso, at: now.toISOString(), lease: { owner, until: new Date(now.getTime() + leaseMs).toISOString() }, attempts });
    return true;
  });
  if (!won) return undefined;
  const ours = (r: Readonly<ScheduleRunRecord> | undefined): r is Readonly<ScheduleRunRecord> => r?.slot === iso && r.lease?.owner === owner && !r.doneAt;
  return {
    name, slot: iso, owner,
    renew: (at) => store.transact(async (tx) => {
      const r = await tx.get('scheduleRuns', '', name);
      if (!ours(r)) return false;
      tx.put('scheduleRuns', '', name, { ...r, lease: { owner, until: new Date(at.getTime() + leaseMs).toISOString() } });
      return true;
    }),
    finish: (at) => store.transact(async (tx) => {
      const r = await tx.get('scheduleRuns', '', name);
      if (!ours(r)) return;
      const done: ScheduleRunRecord = { ...r, doneAt: at.toISOString() };
      delete done.lease;
      tx.put('scheduleRuns', '', name, done);
    }),
  };
}

/**
 * When `slot` of `name` is worth looking at again: the end of the lease it is held under while its
 * run is unfinished and may still be taken over, or of the lease of an earlier slot's run still
 * going on (`slot` waits for it); undefined when it is done, out of attempts, or a later slot was
 * claimed (or on a store only this process uses).
 */
export async function slotLeaseEnd(store: Store, name: string, slot: Date): Promise<number | undefined> {
  if (!store.shared) return undefined;
  const r = await store.get('scheduleRuns', '', name);
  const iso = slot.toISOString();
  if (!r || r.slot > iso || !r.lease || r.doneAt) return undefined;
  if (r.slot === iso && (r.attempts ?? 1) >= MAX_SLOT_ATTEMPTS) return undefined;
  return Date.parse(r.lease.until);
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
