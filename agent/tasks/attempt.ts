import { appendAudit } from '../audit/audit-log.ts';
import type { Store, Transaction } from '../store/store.ts';
import type { TaskAuditInput, TaskOutcome } from './handler.ts';
import { pauseHub } from './hub-state.ts';
import { parentsOf, settleWaitingParent, wakeParent } from './parent-tasks.ts';
import type { RetryDecision } from './retry-policy.ts';
import { blockScope } from './scope-blocks.ts';
import { taskSubjectOf } from './operations/audit-subject.ts';
import { writesUnknown } from './operations/lost-answer.ts';
import { enqueueTask } from './enqueue.ts';
import { applyOutcome, claimable } from './task-transitions.ts';
import { isFinished, type TaskRecord } from './task-record.ts';

/**
 * One attempt of a task, as the store sees it: the claim that starts it and
 * the record of how it ended. The runner (task-runner.ts) decides when; this decides what is
 * written.
 */
export type AttemptOutcome = TaskOutcome | { status: 'error'; decision: RetryDecision };

export interface Claimant {
  owner: string;
  clock: () => number;
  leaseMs: number;
  /**
   * Whether this runner is the store's only one (memory, lowdb): a lease held by another owner
   * is then a dead process's and may be taken at once. On a store shared by replicas (false) a
   * foreign lease is taken only once it has lapsed: its owner may be alive and calling.
   */
  exclusive?: boolean;
}

export interface Claimed {
  task: TaskRecord;
  /** An earlier attempt took the lease and never recorded an outcome: it may have reached the app. */
  interrupted: boolean;
}

/** The task as running under `c`'s lease: one more attempt, no run time or wait reason. */
export function takeLease(t: Readonly<TaskRecord>, c: Claimant): TaskRecord {
  const at = new Date(c.clock()).toISOString();
  const next: TaskRecord = { ...t, status: 'running', lease: { owner: c.owner, until: new Date(c.clock() + c.leaseMs).toISOString() },
    attempts: t.attempts + 1, startedAt: t.startedAt ?? at, updatedAt: at };
  delete next.nextRunAt;
  delete next.waitReason;
  return next;
}

/** Starts a leaseless attempt in memory only (TaskHandler.leaseless): nothing is written until it ends. */
export function claimInMemory(seen: Readonly<TaskRecord>, c: Claimant): Claimed | undefined {
  if (!claimable(seen, c.clock(), c.owner, c.exclusive !== false)) return undefined;
  return { task: takeLease(seen, c), interrupted: seen.attempts > seen.attemptsEnded };
}

/** The renewals of one attempt's lease (`keepLease`); `stop` once the handler has returned. */
export interface LeaseKeeper {
  stop(): void;
}

/**
 * Renews the lease every third of its length while the handler runs (with its progress, if any),
 * so a long attempt is not taken for a stalled one. Stop it when the handler ends.
 *
 * `lost` is called when a renewal finds the lease no longer this runner's (its renewals failed
 * until it lapsed, and another runner or replica took the task, or the task was cancelled): the
 * attempt is aborted rather than calling on beside the new one, whose outcome alone is recorded.
 * On a store shared by replicas (`exclusive: false`) it is also called when the lease lapses with
 * no renewal landed (this replica cut off from the database while its handler still reaches the
 * app): from then on another replica may take the task and call for it, and waiting for a renewal
 * to land and say so could mean calling on beside it for as long as the cut lasts. The next
 * attempt is marked interrupted and checks the app before acting.
 */
export function keepLease(store: Store, task: Readonly<TaskRecord>, c: Claimant, progress: () => TaskRecord['progress'], lost: () => void = () => {}): LeaseKeeper {
  let stopped = false;
  let lapse: NodeJS.Timeout | undefined;
  let gone = false;
  const lose = () => {
    if (stopped || gone) return;
    gone = true; // said once: by the lapse, or by the renewal that found the lease taken
    lost();
  };
  const lapseAt = (until: number) => {
    if (c.exclusive !== false) return; // only this runner takes the store's tasks: none is taken from it
    clearTimeout(lapse);
    lapse = setTimeout(lose, Math.max(0, until - c.clock()));
    lapse.unref();
  };
  if (task.lease) lapseAt(Date.parse(task.lease.until));
  const renew = setInterval(() => {
    store.transact(async (tx) => {
      const t = await tx.get('tasks', task.hubId, task.id);
      if (t?.status !== 'running' || t.lease?.owner !== c.owner) return undefined;
      const p = progress();
      const until = c.clock() + c.leaseMs;
      tx.put('tasks', t.hubId, t.id, { ...t, lease: { owner: c.owner, until: new Date(until).toISOString() }, ...(p ? { progress: p } : {}) });
      return until;
    }).then((until) => {
      if (until === undefined) lose();
      else if (!stopped && !gone) lapseAt(until);
    }, () => {
      // A renewal the store refused (unreachable, out of predicate locks): the next one tries
      // again; if none lands, the lease lapses and the attempt is stopped (above), and the task
      // runs again, marked interrupted.
    });
  }, Math.max(10, Math.floor(c.leaseMs / 3)));
  return {
    stop: () => {
      stopped = true;
      clearInterval(renew);
      clearTimeout(lapse);
    },
  };
}

/**
 * Records how an attempt ended, its audit entries and what follows from it (a paused hub, a
 * woken parent), in one transaction (the handler's `commit` runs inside it). `seen`: a leaseless
 * attempt, recorded only if its task is unchanged since it was read.
 */
export async function recordAttempt(store: Store, c: Pick<Claimant, 'owner' | 'clock'>, end: AttemptEnd): Promise<void> {
  await store.transact((tx) => recordAttemptIn(tx, c, end));
}

/** What one attempt's end records (`recordAttempt`). */
export interface AttemptEnd { task: TaskRecord; outcome: AttemptOutcome; audits: TaskAuditInput[]; seen?: Readonly<TaskRecord> }

/** Whether the stored task changed since a leaseless attempt read it (`seen`): its end is then not recorded. */
export function changedSince(current: Readonly<TaskRecord>, seen: Readonly<TaskRecord>): boolean {
  return current.updatedAt !== seen.updatedAt || current.status !== seen.status || current.attempts !== seen.attempts || current.revision !== seen.revision;
}

/** `recordAttempt`, staged in the caller's transaction. */
export async function recordAttemptIn(tx: Transaction, c: Pick<Claimant, 'owner' | 'clock'>, { task, outcome, audits, seen }: AttemptEnd): Promise<void> {
  let current = await tx.get('tasks', task.hubId, task.id);
  if (seen && current) {
    // Changed since read (another runner, or a newer request folded in): record nothing, run again.
    if (changedSince(current, seen)) return;
    current = { ...task, revision: current.revision };
  }
  // Our lease was lost (we stalled past it and someone else took the task): record nothing;
  // the other runner's attempt is marked interrupted and checks the app first.
  if (!current || current.lease?.owner !== c.owner || current.status !== 'running') return;
  const now = new Date(c.clock());
  // An attempt's `unknown` entry (its answer lost) only when the task runs again (lost-answer.ts).
  const runsAgain = outcome.status === 'error' && outcome.decision.action !== 'fail' && !('endsTask' in outcome.decision && outcome.decision.endsTask);
  for (const a of audits) if (writesUnknown(runsAgain, a)) appendAudit(tx, { hubId: task.hubId || undefined, trigger: task.trigger, taskId: task.id, at: now.toISOString(), ...a });
  const next = await applyOutcome(tx, { ...current, progress: task.progress ?? current.progress }, outcome, now);
  if (outcome.status === 'error' && outcome.decision.action === 'wait-rate-limit') {
    // Every replica stops calling into the throttled scope, not just this one, and a restart
    // does not forget the block (scope-blocks.ts).
    const d = outcome.decision;
    await blockScope(tx, task.hubId, d.scope ?? task.scope ?? 'app', now.getTime() + d.delayMs, d.message);
  }
  if (outcome.status === 'error' && outcome.decision.action === 'pause-hub') {
    await pauseHub(tx, task.hubId, outcome.decision.message, outcome.decision.kind, now);
    appendAudit(tx, { hubId: task.hubId, trigger: task.trigger, taskId: task.id, action: 'pause-hub', why: outcome.decision.message, outcome: 'failed', detail: { kind: outcome.decision.kind } });
  } else if (next.status === 'failed' && (outcome.status === 'error' || (outcome.status === 'failed' && !audits.some((a) => a.outcome === 'failed')))) {
    // A task that gave up after retries, or whose handler ended it as failed without auditing
    // why (an operation queued for a hub since taken out of the config): the change did not
    // happen, and the audit log says so rather than leaving the person's trail at "pending".
    const subject = taskSubjectOf(task);
    const error = outcome.status === 'error' ? outcome.decision : outcome.error;
    // An app change whose attempts were not all refused or unsent (a timeout, a lost answer: the
    // app may have applied it) says so: "failed" alone read as never made, while the app held it.
    const unknown = outcome.status === 'error' && (task.payload as { op?: { kind?: unknown } } | undefined)?.op?.kind === task.kind ? next.attempts - (next.attemptsRefused ?? 0) : 0;
    const note = unknown > 0 ? `; ${unknown} of its ${next.attempts} attempt(s) ended with the outcome unknown, so the app may hold the change: the next check for updates records what it holds` : '';
    appendAudit(tx, { hubId: task.hubId || undefined, trigger: task.trigger, taskId: task.id, action: task.kind, ...(subject ? { subject } : {}), why: `${task.summary}: ${error.message}${note}`, outcome: 'failed',
      detail: { kind: error.kind, attempts: next.attempts, ...(unknown > 0 ? { attemptsOutcomeUnknown: unknown } : {}) } });
  }
  // A change that came in while this attempt ran, which the attempt may have acted before: its
  // follow-up (a re-plan of the person) sees what this attempt recorded, in this transaction.
  if (current.followUp && isFinished(next)) await enqueueTask(tx, { hubId: task.hubId, ...current.followUp, reuse: 'unstarted', now });
  if (next.status === 'waiting' && next.waitReason === 'children') await settleWaitingParent(tx, next, now);
  if (parentsOf(next).length > 0 && (next.status === 'completed' || next.status === 'failed' || next.status === 'cancelled')) await wakeParent(tx, next, now);
}
