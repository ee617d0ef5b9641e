import { errorText } from '../log/logger.ts';
import { isStoreContention } from '../store/store-contention.ts';
import { isStoreUnavailable } from '../store/store-unavailable.ts';
import type { Store } from '../store/store.ts';
import { changedSince, recordAttemptIn, takeLease, type Claimant } from './attempt.ts';
import type { TaskLog } from './handler.ts';
import type { TaskRecord } from './task-record.ts';

/**
 * Giving a lease back. The attempt count stays ahead of the recorded outcomes, so the next
 * attempt knows it was interrupted and checks the app before acting again.
 */
function requeue(t: Readonly<TaskRecord>, now: number, delayMs: number): TaskRecord {
  const next = { ...t, status: 'queued', updatedAt: new Date(now).toISOString() } as TaskRecord;
  delete next.lease;
  if (delayMs > 0) next.nextRunAt = new Date(now + delayMs).toISOString();
  return next;
}

/** At stop: tasks still running under `owner` are queued again, to run at the next start. */
export async function handBackLeases(store: Store, owner: string, refs: Array<[hubId: string, id: string]>, clock: () => number): Promise<void> {
  if (refs.length === 0) return;
  await store.transact(async (tx) => {
    for (const [hubId, id] of refs) {
      const t = await tx.get('tasks', hubId, id);
      if (t?.status === 'running' && t.lease?.owner === owner) tx.put('tasks', hubId, id, requeue(t, clock(), 0));
    }
  });
}

/** Attempts in a row whose outcome could not be recorded, for a reason other than the store's availability, before the task fails. */
export const UNRECORDED_ATTEMPTS_BEFORE_FAILING = 3;

/**
 * An attempt that could not record its outcome (the store refused a write): hand the task back
 * so it runs again a second later, rather than leaving it running under our own lease.
 *
 * `seen`: a leaseless attempt (TaskHandler.leaseless), the task as it read it. Nothing of it was
 * written, so a store refusing writes is waited out a second, writing nothing; any other error
 * records the attempt (counted as one that recorded no outcome) and gets the leased treatment.
 */
export async function releaseAfterFailure(store: Store, c: Claimant, hubId: string, id: string, err: unknown, log: TaskLog, seen?: Readonly<TaskRecord>): Promise<void> {
  const { owner, clock } = c;
  log.error(`task ${id}${hubId ? ` on hub ${hubId}` : ''}: could not record its outcome: ${err instanceof Error ? err.message : String(err)}`);
  // The store refusing a write (an outage, contention) passes; any other error is the outcome's
  // own (a handler's commit that throws, a record the store rejects) and comes back each time.
  const passing = isStoreUnavailable(err) || isStoreContention(err);
  // Leaseless and the store to blame: the task was left as it was; held a second before it is taken again.
  if (seen && passing) return holdASecond();
  try {
    await store.transact(async (tx) => {
      const stored = await tx.get('tasks', hubId, id);
      // Leaseless: the attempt as its claim would have written it (attempts + 1), unless the task
      // changed since it was read (a newer request folded in runs again anyway, as in attempt.ts).
      // Left queued, a re-plan whose commit always threw ran every second for good, never failing.
      const t = seen && stored ? (changedSince(stored, seen) ? undefined : takeLease(stored, c)) : stored;
      if (t?.status !== 'running' || t.lease?.owner !== owner) return;
      if (!passing && t.attempts - t.attemptsEnded >= UNRECORDED_ATTEMPTS_BEFORE_FAILING) {
        // Handed back every time, such a task ran (and called the app) once a second for good,
        // never failing and never audited. It fails, audited with why (attempt.ts), like a task
        // that gave up: an invite among them stays unsettled, so the next one looks first.
        const decision = { action: 'fail' as const, kind: 'internal' as const, log: 'error' as const,
          message: `could not record its outcome (${UNRECORDED_ATTEMPTS_BEFORE_FAILING} attempts in a row): ${errorText(err)}` };
        await recordAttemptIn(tx, { owner, clock }, { task: t, outcome: { status: 'error', decision }, audits: [], ...(seen && stored ? { seen: stored } : {}) });
        return;
      }
      tx.put('tasks', hubId, id, requeue(t, clock(), 1_000));
    });
  } catch {
    // The store itself is failing: once the lease lapses the task is due again (task-transitions.ts,
    // dueAt), here or on another replica, and its next attempt is marked interrupted. Held (in
    // flight) a second first, like a leaseless attempt: a claim the store refused left the task
    // due at once, and it was claimed again in a tight loop while the store was down.
    await holdASecond();
  }
}

const holdASecond = () => new Promise<void>((r) => setTimeout(r, 1_000));

/**
 * Gives back a claim whose handler never ran (it waited for a call permit and its scope got
 * rate-limited, or the agent stopped): queued again with the attempt count as before, so the
 * next run is not taken for an interrupted one (no call was made).
 */
export async function undoClaim(store: Store, owner: string, hubId: string, id: string, clock: () => number): Promise<void> {
  await store.transact(async (tx) => {
    const current = await tx.get('tasks', hubId, id);
    if (current?.status !== 'running' || current.lease?.owner !== owner) return;
    const back: TaskRecord = { ...current, status: 'queued', attempts: current.attempts - 1, updatedAt: new Date(clock()).toISOString() };
    delete back.lease;
    if (back.attempts === 0) delete back.startedAt;
    tx.put('tasks', hubId, id, back);
  });
}
