import type { HubConfigFile } from '../../config/schema.ts';
import type { HubConnector } from '../../connectors/sdk/connector.ts';
import type { ConfigRevision } from '../audit/config-change.ts';
import type { Store } from '../store/store.ts';
import { claimInMemory, keepLease, type AttemptOutcome, type Claimant } from './attempt.ts';
import type { CallPermits } from './call-permits.ts';
import type { ClaimBatch } from './claim-batch.ts';
import { enqueueTask } from './enqueue.ts';
import type { TaskAuditInput, TaskContext, TaskHandler, TaskLog } from './handler.ts';
import { handBackLeases, undoClaim } from './lease.ts';
import { decideRetry, type BackoffOptions } from './retry-policy.ts';
import { LOCAL, type RunnableIndex } from './runnable-index.ts';
import type { TaskRecord } from './task-record.ts';

/** What one attempt needs of the runner that launched it (task-runner.ts). */
export interface AttemptDeps {
  store: Store;
  handlers: ReadonlyMap<string, TaskHandler>;
  hubs: () => ReadonlyMap<string, HubConfigFile>;
  connectorFor: (hubId: string) => HubConnector | undefined;
  configRevision?: (hubId: string) => ConfigRevision | undefined;
  log: TaskLog;
  clock: () => number;
  claimant: Claimant;
  claims: ClaimBatch;
  /** Calls in flight per hub (this process). */
  permits: CallPermits;
  /** The runner's index: its rate-limit blocks are read and set here. */
  pending: RunnableIndex;
  /** Running handlers' abort controllers, by task id (stop aborts them). */
  aborts: Map<string, AbortController>;
  /** The task's rate-limit scope (LOCAL: it calls nothing outside the store, no call permit). */
  scopeOf: (t: Readonly<TaskRecord>) => string;
  stopping: () => boolean;
  backoff: BackoffOptions;
  /**
   * A claim the runner's stop could not give back (the store refused the write, e.g. the
   * database is unreachable): its lease lapses instead, and the stop says so once for all.
   */
  leftLeased: (hubId: string, id: string, err: unknown) => void;
  /** Records how the attempt ended (end-batch.ts). */
  finish: (task: TaskRecord, outcome: AttemptOutcome, audits: TaskAuditInput[], seen?: Readonly<TaskRecord>) => Promise<void>;
}

/**
 * One attempt of a task taken from the index: the durable claim (a lease, or in memory for a
 * leaseless handler), a call permit for tasks that call the app, the handler, the retry decision
 * on an error (a throttle blocks the scope), and the recorded outcome. `releaseSlot` is called
 * as soon as the handler returns, before the outcome's commit.
 */
export async function runAttempt(d: AttemptDeps, seen: Readonly<TaskRecord>, releaseSlot: () => void): Promise<void> {
  const handler = d.handlers.get(seen.kind);
  const leaseless = handler?.leaseless === true;
  // Take the lease durably before running: from here on a crash means "maybe done".
  const claim = d.claimant;
  const taken = leaseless ? claimInMemory(seen, claim) : await d.claims.claim(seen);
  if (!taken) return;
  const { task, interrupted } = taken;
  if (!handler) {
    await d.finish(task, { status: 'failed', error: { kind: 'internal', message: `no handler for task kind "${task.kind}"` } }, []);
    return;
  }
  const audits: TaskAuditInput[] = [];
  let progress = task.progress;
  const abort = new AbortController();
  d.aborts.set(task.id, abort);
  const renew = leaseless ? undefined : keepLease(d.store, task, claim, () => progress, () => {
    const why = `task ${task.kind} ${task.id}${task.hubId ? ` on hub ${task.hubId}` : ''}: its lease was taken over, or lapsed with no renewal recorded; the attempt is stopped (the next one checks the app first)`;
    d.log.warn(why);
    abort.abort(new Error(why));
  });
  const ctx: TaskContext = {
    store: d.store,
    hub: task.hubId ? d.hubs().get(task.hubId) : undefined,
    connector: undefined,
    log: d.log,
    now: () => new Date(d.clock()),
    interrupted,
    audit: (e) => audits.push(e),
    progress: (done, total, phase) => { progress = { done, total, ...(phase ? { phase } : {}) }; },
    enqueueChild: (tx, input) => enqueueTask(tx, { ...input, parentId: task.id, now: new Date(d.clock()) }),
    signal: abort.signal,
  };
  const revision = task.hubId ? d.configRevision?.(task.hubId) : undefined;
  if (revision) ctx.configRevision = revision;
  const scope = d.scopeOf(task);
  const calls = scope !== LOCAL;
  if (calls) {
    await d.permits.acquire(task.hubId);
    // Its lease may have been lost while it waited (a renewal found the task taken over or
    // cancelled, or, on a shared store, the lease lapsed unrenewed): `keepLease` aborted the
    // attempt, and a handler started now would call the app beside the task's new owner, with
    // only an already-aborted signal that a handler may not look at before its first call.
    if (abort.signal.aborted || d.stopping() || d.pending.blockedUntil(task.hubId, scope) > d.clock() || (d.pending.isPaused(task.hubId) && !handler.runsWhilePaused)) {
      // Its lease lost, stopped, or its scope was rate-limited or its hub paused while it waited
      // for a permit: it made no call, so the claim is undone as if never taken (not an
      // interrupted attempt; `undoClaim` changes nothing once another owner holds the task).
      d.permits.release(task.hubId);
      renew?.stop();
      d.aborts.delete(task.id);
      await undoClaim(d.store, claim.owner, task.hubId, task.id, d.clock).catch((err: unknown) => {
        if (!d.stopping()) throw err;
        d.leftLeased(task.hubId, task.id, err);
      });
      return;
    }
  }
  let outcome: AttemptOutcome | undefined;
  try {
    // Building the connector can fail too (no token configured: unauthenticated); the retry table decides.
    if (task.hubId) ctx.connector = d.connectorFor(task.hubId);
    outcome = await handler.run(task, ctx);
  } catch (err) {
    // Stopped by the runner (shutdown aborts running handlers): no failure of the task. Recorded
    // as one (the AbortError is no ConnectorError), a check for updates cut short by a restart
    // was failed, audited and reported failed to the workflow that asked for it; it is handed
    // back instead and runs again at the next start, marked interrupted.
    // Attempts that only waited (a throttle, a paused hub) are not failures: before, three waits for
    // a rate limit left an `internal` error (3 attempts) no retry at all.
    if (!abort.signal.aborted) outcome = { status: 'error', decision: decideRetry(err, task.attempts - (task.attemptsWaited ?? 0), d.backoff) };
    // A task that runs while its hub is paused (the check for updates: its success resumes the
    // hub) and is refused the credential again cannot wait for the resume: due at once and run at
    // once, it looped (Graph calls with the bad token, a failed run and audit entries each time)
    // until the token was fixed. It fails; the next check asked for (`hubwarden check`, the
    // schedule) runs afresh (docs/operations.md: fix the token, then check).
    if (outcome?.status === 'error' && outcome.decision.action === 'pause-hub' && handler.runsWhilePaused) outcome.decision = { ...outcome.decision, endsTask: true };
    // Noted before the permit is given back: the hub's task waiting for it must not call.
    if (outcome?.status === 'error' && outcome.decision.action === 'pause-hub' && task.hubId) d.pending.pause(task.hubId, d.clock());
  } finally {
    if (calls) d.permits.release(task.hubId);
    releaseSlot();
    renew?.stop();
    d.aborts.delete(task.id);
  }
  if (!outcome) {
    await handBackLeases(d.store, claim.owner, [[task.hubId, task.id]], d.clock).catch((err: unknown) => {
      // Stopping while the store refuses writes: nothing of the task is lost (no outcome was
      // reached); its lease lapses and it runs again, marked interrupted. Said once by the stop.
      if (!d.stopping()) throw err;
      d.leftLeased(task.hubId, task.id, err);
    });
    return;
  }
  // A copy: `task` is the record the claim put in the store, and in the memory and lowdb stores
  // that object is the stored one. Set in place, the progress showed to every reader (and in the
  // record a failed outcome's revert restores) without any transaction having written it.
  const ended: TaskRecord = progress ? { ...task, progress } : task;
  if (outcome.status === 'error') {
    const decision = outcome.decision;
    d.log[decision.log](`task ${task.kind} ${task.id}${task.hubId ? ` on hub ${task.hubId}` : ''}: ${decision.message}`, { taskId: task.id, kind: decision.kind, action: decision.action });
    if (decision.action === 'wait-rate-limit') {
      const scope = decision.scope ?? task.scope ?? 'app';
      d.pending.block(task.hubId, scope, d.clock() + decision.delayMs);
    }
  }
  const pausing = outcome.status === 'error' && outcome.decision.action === 'pause-hub' && task.hubId !== '';
  try {
    await d.finish(ended, outcome, audits, leaseless ? seen : undefined);
  } finally {
    if (pausing) d.pending.pauseRecorded(task.hubId, d.clock());
  }
}
