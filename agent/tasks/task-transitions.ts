import type { Transaction } from '../store/store.ts';
import type { TaskOutcome } from './handler.ts';
import type { RetryDecision } from './retry-policy.ts';
import { updateTask } from './enqueue.ts';
import type { TaskRecord } from './task-record.ts';
import { redactText } from '../log/logger.ts';

/**
 * When a task may next be taken (epoch ms), or undefined when it is not the queue's to take
 * (finished, needs approval, waiting for its children). A running task is due when its lease
 * lapses, our own lease too: the runner never indexes a task it has in flight, so a task left
 * running under our lease is one whose outcome and hand-back the store refused; without this it
 * stayed running until a restart (a new owner id).
 */
export function dueAt(t: Readonly<TaskRecord>, owner: string): number | undefined {
  switch (t.status) {
    case 'queued':
      return t.nextRunAt ? Date.parse(t.nextRunAt) : 0;
    case 'waiting':
      if (t.waitReason === 'children' && !t.nextRunAt) return undefined;
      return t.nextRunAt ? Date.parse(t.nextRunAt) : 0;
    case 'running':
      if (!t.lease) return undefined;
      return Date.parse(t.lease.until);
    default:
      return undefined;
  }
}

/**
 * May `owner` take the task now? A running task only once its lease has expired (another
 * owner's at once with `reclaimForeign`). Our own lapsed lease is claimable too: the caller makes
 * sure the task is not in flight in this process (task-runner.ts, `inflight`).
 */
export function claimable(t: Readonly<TaskRecord>, now: number, owner: string, reclaimForeign = false): boolean {
  if (t.status === 'queued' || (t.status === 'waiting' && !(t.waitReason === 'children' && !t.nextRunAt))) return !t.nextRunAt || Date.parse(t.nextRunAt) <= now;
  if (t.status === 'running' && t.lease) return (reclaimForeign && t.lease.owner !== owner) || Date.parse(t.lease.until) <= now;
  return false;
}

/** Stages the outcome of an attempt: the task's next state, plus whatever the handler commits (awaited). */
export async function applyOutcome(tx: Transaction, t: TaskRecord, outcome: TaskOutcome | { status: 'error'; decision: RetryDecision }, now: Date): Promise<TaskRecord> {
  const iso = now.toISOString();
  const ended: Partial<TaskRecord> = { lease: undefined, attemptsEnded: t.attempts };
  if (outcome.status === 'error') {
    const d = outcome.decision;
    const lastError = { kind: d.kind, message: d.message, ...(d.providerCode ? { providerCode: d.providerCode } : {}) };
    if (d.notApplied) ended.attemptsRefused = (t.attemptsRefused ?? 0) + 1;
    if (d.action === 'wait-rate-limit' || d.action === 'pause-hub') ended.attemptsWaited = (t.attemptsWaited ?? 0) + 1;
    switch (d.action) {
      case 'wait-rate-limit':
        return updateTask(tx, t, { ...ended, status: 'waiting', lastError, nextRunAt: new Date(now.getTime() + d.delayMs).toISOString(), waitReason: `rate-limited${d.scope ? ` ${d.scope}` : ''}` }, now);
      case 'backoff':
        return updateTask(tx, t, { ...ended, status: 'waiting', lastError, nextRunAt: new Date(now.getTime() + d.delayMs).toISOString(), waitReason: 'backoff' }, now);
      case 'pause-hub':
        if (d.endsTask) return updateTask(tx, t, { ...ended, status: 'failed', lastError, completedAt: iso }, now);
        // Not an attempt that counts against the task: it runs again when the hub resumes.
        return updateTask(tx, t, { ...ended, status: 'waiting', lastError, waitReason: 'hub paused' }, now);
      default:
        return updateTask(tx, t, { ...ended, status: 'failed', lastError, completedAt: iso }, now);
    }
  }
  const instead = await outcome.commit?.(tx);
  if (instead) return applyOutcome(tx, t, instead, now);
  switch (outcome.status) {
    case 'completed':
      return updateTask(tx, t, { ...ended, status: 'completed', result: outcome.result, completedAt: iso, lastError: undefined }, now);
    case 'failed':
      return updateTask(tx, t, { ...ended, status: 'failed', lastError: { ...outcome.error, message: redactText(outcome.error.message) }, completedAt: iso }, now);
    case 'cancelled':
      return updateTask(tx, t, { ...ended, status: 'cancelled', result: { reason: outcome.reason }, completedAt: iso }, now);
    case 'needs-approval':
      return updateTask(tx, t, { ...ended, status: 'needs-approval', result: outcome.result }, now);
    case 'waiting':
      if (outcome.notApplied) Object.assign(ended, { attemptsRefused: (t.attemptsRefused ?? 0) + 1, attemptsWaited: (t.attemptsWaited ?? 0) + 1 });
      return updateTask(tx, t, { ...ended, status: 'waiting', waitReason: outcome.until ? outcome.reason : 'children', nextRunAt: outcome.until, result: outcome.result }, now);
  }
}
