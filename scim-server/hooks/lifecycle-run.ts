import type { AgentApi, TaskView } from '../../agent/api.ts';
import type { AuditInput } from '../../agent/audit/audit-log.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { errorText, type Logger } from '../../agent/log/logger.ts';
import type { Store } from '../../agent/store/store.ts';
import type { LoadedConfig } from '../../config/load.ts';
import { endSessionsOf, sessionPersonOf } from '../web/session-revocation.ts';
import { refusedAsRepeat, type ResumeCall } from './graph-resume.ts';
import { type HookEventLog } from './hook-events.ts';
import { auditSubject, type HookEventRecord } from './hook-event-record.ts';
import { isTransient } from './transient.ts';
import { TOKEN_REFUSED, TOKEN_UNAVAILABLE } from '../../agent/writeback/graph-client.ts';

/**
 * Runs the action of one Lifecycle Workflows callout and resumes the workflow when the agent's work
 * is done. Progress is kept in the callout's hookEvents record (processing → waiting → done), so a
 * restart picks up a callout that was accepted but not yet resumed (`resumePending`).
 */
export interface LifecycleRunDeps {
  config: LoadedConfig;
  agent: AgentApi;
  /** Where dashboard sessions live: a leaver's end (session-revocation.ts). */
  store: Store;
  events: HookEventLog;
  resume: ResumeCall;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  pollIntervalMs: number;
  /** Stop waiting after this long and resume with `failed` (LCW's callback timeout is at most PT3H). */
  maxWaitMs: number;
  isStopped(): boolean;
  /**
   * Aborted at the stop: ends a wait between two tries (up to RESUME_BACKOFF_CAP poll intervals, 5
   * min) at once. The server's stop waits for this work to settle (compose.ts) within its 10 s
   * (serve.ts STOP_LIMIT_MS); a wait sat out held the stop past it, exit 1 with requests cut.
   */
  stopSignal?: AbortSignal;
}

type Callout = NonNullable<HookEventRecord['callout']>;

/** Writes of a callout's progress (waiting) and of its resume's outcome tried, `pollIntervalMs` apart, before it is left to the log. */
const RECORD_ATTEMPTS = 6;
const FINISHED = new Set(['completed', 'failed', 'cancelled']);
/** Waits `ms`, or until `signal` aborts (the stop), whichever comes first. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r) => {
    if (signal?.aborted) return r();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      r();
    };
    const timer = setTimeout(done, ms).unref();
    signal?.addEventListener('abort', done, { once: true });
  });

export async function runCallout(deps: LifecycleRunDeps, record: Readonly<HookEventRecord>): Promise<void> {
  // Our lease on the record (taken with the claim, or at start-up) is renewed while we work: the
  // wait for the tasks may take hours, and a replica starting meanwhile must leave it to us.
  const release = deps.events.keep('entra-lifecycle', [record.id]);
  try {
    await runHeld(deps, record);
  } finally {
    release();
  }
}

async function runHeld(deps: LifecycleRunDeps, record: Readonly<HookEventRecord>): Promise<void> {
  const callout = record.callout!;
  const { events, log } = deps;
  const trigger = triggerOf(record.idp, callout);
  const detail = { workflowId: callout.workflowId, taskId: callout.taskId, taskProcessingResultId: callout.taskProcessingResultId, ...(callout.appId ? { appId: callout.appId } : {}) };
  // Every change made or declined is audited (who, what, why, outcome), with the resume that
  // follows, in the transaction that records it: hookEvents records are swept after a week.
  const audit: AuditInput[] = [];
  let taskIds = record.taskIds ?? [];
  // A resume written as about to go out by an earlier process (it crashed, or the store refused
  // the outcome): its status is sent again as it was, not decided anew, so the workflow never
  // hears two statuses, and a refusal of it is read as "already resumed" (below).
  const earlier = record.resumeSent;
  let status: 'completed' | 'failed' = earlier?.operationStatus ?? 'failed';
  let why = earlier?.why ?? '';
  if (!earlier) try {
    if (taskIds.length === 0) {
      try {
        taskIds = (await startedWhenAvailable(deps, () => startAction(deps, record.idp, callout))).map((t) => t.id);
      } catch (err) {
        // Declined: a task not configured, or the agent refused (no such person, no hub).
        const unlisted = callout.action === UNLISTED;
        audit.push({ trigger, action: unlisted ? 'lifecycle-task' : callout.action, subject: auditSubject(callout.person), why: errorText(err), outcome: unlisted ? 'skipped' : 'failed', detail });
        throw err;
      }
      // The action is running now: a store refusing the write of `waiting` (a database failover)
      // must not resume the workflow with `failed` while the leaver's seats are being removed (an
      // admin reads the workflow's result, https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume).
      // Tried again while we hold the record; if the store still refuses, the callout is left open
      // under our lease, which lapses once we return: the process that takes it then (another
      // replica, this one's lease scan, a restart) starts the action again, which the agent answers
      // with the task already queued (its idempotency key), and resumes with its outcome.
      const refusal = await retried(deps, () => events.update('entra-lifecycle', record.id, { state: 'waiting', taskIds }));
      if (refusal !== undefined) {
        if (deps.isStopped()) {
          await events.release('entra-lifecycle', record.id).catch(() => undefined);
          return;
        }
        log.error(`entra lifecycle (${record.idp}): ${callout.action} for workflow ${callout.workflowId} result ${record.id} started (tasks ${taskIds.join(', ')}), but the store did not record it: ${(refusal as Error).message}; not resumed here: left to the process that takes the callout once its lease lapses`);
        return;
      }
    }
    status = await waitFor(deps, taskIds, resumeDeadline(deps, record));
  } catch (err) {
    log.warn(`entra lifecycle (${record.idp}): ${callout.action} for workflow ${callout.workflowId} result ${record.id}: ${(err as Error).message}`);
    status = 'failed';
    why = `: ${errorText(err)}`;
  }
  if (deps.isStopped()) {
    // Resumed after the restart instead, by the next process or another replica: hand it back now.
    await events.release('entra-lifecycle', record.id).catch(() => undefined);
    return;
  }
  // Resume only while we hold the record: a replica that took it over (our lease lapsed) resumes it.
  if ((await events.renew('entra-lifecycle', [record.id]).catch(() => [])).length === 0) {
    log.warn(`entra lifecycle (${record.idp}): result ${record.id}: no longer held by this process; left to the replica that holds it`);
    return;
  }
  const resumed = { trigger, action: 'lifecycle-resume', subject: auditSubject(callout.person), detail: { ...detail, operationStatus: status, ...(taskIds.length > 0 ? { taskIds } : {}) } };
  if (!earlier) {
    // Written before the resume goes out, with the audit entries so far: a crash after Graph
    // accepted it and before its outcome is saved leaves this, and the next process sends the same
    // status and knows Graph may refuse it as a repeat. Not written, nothing is sent: the callout
    // stays open under our lease and is taken again once it lapses, as when `waiting` is refused.
    const resumeSent = { operationStatus: status, at: new Date().toISOString(), ...(why !== '' ? { why } : {}) };
    let held = true;
    const refusal = await retried(deps, async () => { held = await events.update('entra-lifecycle', record.id, { resumeSent, ...(taskIds.length > 0 ? { taskIds } : {}) }, audit); });
    if (!held) {
      log.warn(`entra lifecycle (${record.idp}): result ${record.id}: taken by another process; left to it`);
      return;
    }
    if (refusal !== undefined) {
      if (deps.isStopped()) await events.release('entra-lifecycle', record.id).catch(() => undefined);
      else log.error(`entra lifecycle (${record.idp}): result ${record.id}: the store did not record the resume about to be sent (${(refusal as Error).message}); not resumed here: left to the process that takes the callout once its lease lapses`);
      return;
    }
    audit.length = 0; // written
  }
  // The resume's outcome and the write that records it are apart: a store refusing the write (a
  // database failover) after Graph accepted the resume recorded "resume failed" for a resume that
  // happened, and when the store refused that write too the rejection went unhandled, which ends a
  // Node process (https://nodejs.org/api/cli.html#--unhandled-rejectionsmode: throw is the default).
  let refused: unknown;
  /** Graph's refusal of a resume sent again, taken as "already resumed" (refusedAsRepeat). */
  let repeatRefused: unknown;
  /** Whether a resume may have reached Graph before this try: sent by an earlier process, or a failed try here. */
  let sentBefore = earlier !== undefined;
  for (let attempt = 1; ; attempt++) {
    // Stopped after a failed try, or during the wait that followed it (the stop ends the wait).
    if (attempt > 1 && deps.isStopped()) {
      // A status this process decided alone (the start refused, the wait ended in an error) may
      // be decided otherwise by the next one, and this resume may have reached Graph: recorded
      // as it stands, so the workflow never hears two statuses.
      if (why !== '') break;
      // Read from finished tasks, the next process reads the same: sent again by it (as a
      // callout still waiting at the stop, above), not recorded "resume failed": then no one
      // resumed it, and the workflow marked the task failed at its callback timeout though the
      // leaver's seats were gone.
      await events.release('entra-lifecycle', record.id).catch(() => undefined);
      return;
    }
    try {
      await deps.resume(record.idp, callout, status);
      refused = undefined;
      break;
    } catch (err) {
      // Sent before (by the process that wrote `resumeSent`, or by a try here that failed on the
      // way after it may have reached Graph): a refusal may be Graph's answer to a repeat.
      if (sentBefore && refusedAsRepeat(err)) {
        repeatRefused = err;
        refused = undefined;
        break;
      }
      refused = err;
      sentBefore ||= mayHaveReachedGraph(err);
      // Graph's refusal (4xx) is final. A failure on the way (the token endpoint, the network, a
      // 5xx past the SDK's own retries) is tried again: the workflow marks a task it never hears
      // of failed at its callback timeout, though the leaver's seats are gone
      // (https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility).
      // Tried for as long as the workflow may still wait (`maxWaitMs` from the callout's receipt:
      // the callback timeout is at most PT3H), backing off: RECORD_ATTEMPTS tries,
      // `pollIntervalMs` apart, gave up after half a minute, so a Graph or token endpoint outage of
      // a minute at the wrong time reported a finished offboarding as failed.
      if (!resumeMayBeRetried(err) || Date.now() + resumeDelay(deps, attempt) >= resumeDeadline(deps, record)) break;
      if (deps.isStopped()) continue;
      log.warn(`entra lifecycle (${record.idp}): resume of result ${record.id} did not get through (${errorText(err)}); trying again in ${resumeDelay(deps, attempt)} ms`);
      await sleep(resumeDelay(deps, attempt), deps.stopSignal);
    }
  }
  // Tried again while we hold the record (our lease is renewed meanwhile): left open, the record
  // would be taken once the lease lapsed and resumed a second time, which Graph refuses.
  const recordOutcome = async (write: () => Promise<unknown>) => {
    const err = await retried(deps, write);
    if (err === undefined) return;
    // Resumed (or refused) here: this process's own lease scan must not take it again and resume twice.
    events.leave('entra-lifecycle', record.id);
    log.error(`entra lifecycle (${record.idp}): result ${record.id}: ${refused === undefined ? `resumed ${status}` : 'resume failed'}, but the store did not record it: ${(err as Error).message}`);
  };
  if (repeatRefused !== undefined) {
    const sentAt = earlier ? ` at ${earlier.at}` : '';
    log.warn(`entra lifecycle (${record.idp}): workflow ${callout.workflowId} result ${record.id} already resumed with ${status}: Graph refused it sent again (${errorText(repeatRefused)})`);
    await recordOutcome(() => events.update('entra-lifecycle', record.id, { state: status === 'completed' ? 'done' : 'failed', outcome: `already resumed ${status}` },
      [...audit, { ...resumed, why: `workflow ${callout.workflowId} task ${callout.taskId} already resumed with ${status}${why}: sent${sentAt} with no answer recorded, and Graph refused it sent again (${errorText(repeatRefused)})`, outcome: 'ok', detail: { ...resumed.detail, alreadyResumed: true } }]));
  } else if (refused === undefined) {
    log.info(`entra lifecycle (${record.idp}): resumed workflow ${callout.workflowId} task ${callout.taskId} result ${record.id}: ${status}`);
    await recordOutcome(() => events.update('entra-lifecycle', record.id, { state: status === 'completed' ? 'done' : 'failed', outcome: `resumed ${status}` },
      [...audit, { ...resumed, why: `resumed workflow ${callout.workflowId} task ${callout.taskId} with ${status}${why}`, outcome: 'ok' }]));
  } else {
    // The workflow marks the task failed at its callback timeout; nothing more to do here.
    log.error(`entra lifecycle (${record.idp}): resume of workflow ${callout.workflowId} result ${record.id} failed: ${(refused as Error).message}`);
    await recordOutcome(() => events.update('entra-lifecycle', record.id, { state: 'failed', outcome: `resume failed: ${errorText(refused)}` },
      [...audit, { ...resumed, why: `resume of workflow ${callout.workflowId} task ${callout.taskId} with ${status} failed: ${errorText(refused)}`, outcome: 'failed' }]));
  }
}

/** The longest wait between two tries of a resume, in poll intervals (5 min at the default 5 s). */
const RESUME_BACKOFF_CAP = 60;

/** The wait after the `attempt`th failed resume: `pollIntervalMs`, doubling, at most RESUME_BACKOFF_CAP of them. */
function resumeDelay(deps: LifecycleRunDeps, attempt: number): number {
  return deps.pollIntervalMs * Math.min(2 ** (attempt - 1), RESUME_BACKOFF_CAP);
}

/** Until when a resume is worth sending: the workflow waits `maxWaitMs` at most from the callout's receipt. */
function resumeDeadline(deps: LifecycleRunDeps, record: Readonly<HookEventRecord>): number {
  const received = Date.parse(record.receivedAt);
  return (Number.isFinite(received) ? received : Date.now()) + deps.maxWaitMs;
}

/** A resume that Graph did not refuse (a 4xx other than 429, a throttle): it failed on the way and may be sent again. */
function resumeMayBeRetried(err: unknown): boolean {
  const e = err as { statusCode?: unknown; code?: unknown; name?: unknown } | undefined;
  // The token endpoint refused the app's credentials (graph-client.ts): as final as Graph's own 4xx.
  if (e?.code === TOKEN_REFUSED || e?.name === TOKEN_REFUSED) return false;
  const status = e?.statusCode;
  return !(typeof status === 'number' && status >= 400 && status < 500 && status !== 429);
}

/**
 * Whether a failed resume may have been taken by Graph (its answer lost: a 5xx, the network), so
 * that a refusal of the next try may be Graph's answer to a repeat. Not a 429: Graph throttled
 * the request and did not act on it (https://learn.microsoft.com/graph/throttling), and not a
 * token endpoint failure: the resume was never sent. Taken as sent after those, a genuine refusal
 * of the next try (the callback timed out) was recorded and audited "already resumed", ok.
 */
function mayHaveReachedGraph(err: unknown): boolean {
  const e = err as { statusCode?: unknown; code?: unknown; name?: unknown } | undefined;
  if ([TOKEN_REFUSED, TOKEN_UNAVAILABLE].some((n) => e?.code === n || e?.name === n)) return false;
  return e?.statusCode !== 429;
}

/** Tries a write `RECORD_ATTEMPTS` times, `pollIntervalMs` apart (not after a stop); the last refusal, or undefined once written. */
async function retried(deps: LifecycleRunDeps, write: () => Promise<unknown>): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      return undefined;
    } catch (err) {
      if (attempt >= RECORD_ATTEMPTS || deps.isStopped()) return err;
      await sleep(deps.pollIntervalMs);
    }
  }
}

/**
 * Starts the action, again while the store or the agent is unavailable (isTransient: a database
 * failover), `pollIntervalMs` apart, `RECORD_ATTEMPTS` times at most. Such an error decided nothing
 * about the person: resumed `failed` at once, the workflow reported the leaver's offboarding as
 * failed (https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume) and
 * their seats stayed, when a moment later it would have gone through. A refusal is not retried.
 */
async function startedWhenAvailable(deps: LifecycleRunDeps, start: () => Promise<TaskView[]>): Promise<TaskView[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (!isTransient(err) || attempt >= RECORD_ATTEMPTS || deps.isStopped()) throw err;
      deps.log.warn(`entra lifecycle: the action could not be started now (${errorText(err)}); trying again in ${deps.pollIntervalMs} ms`);
      await sleep(deps.pollIntervalMs);
    }
  }
}

/**
 * Who a callout's audit entries name: the workflow that called (and the task and result, for the
 * record), and the app whose token the callout carried (its `azp`/`appid`, checked against
 * `allowedAppIds`). The workflow id is only what the body says; the app is who authenticated, and
 * with several allowed apps the log must tell which one asked (a callout recorded before the app
 * was kept names none).
 */
export const triggerOf = (idp: string, callout: Callout): Trigger => ({
  type: 'entra-lifecycle', idp, actor: `workflow:${callout.workflowId}`,
  detail: `${callout.appId ? `app ${callout.appId}, ` : ''}task ${callout.taskId} result ${callout.taskProcessingResultId}`,
});

/** The action of a callout whose workflow task is not in a non-empty `lifecycleWorkflows.actions`. */
export const UNLISTED = 'unlisted';

function startAction(deps: LifecycleRunDeps, idp: string, callout: Callout): Promise<TaskView[]> {
  if (callout.action === UNLISTED) {
    return Promise.reject(new Error(`workflow task ${callout.taskId} is not in identityProviders.${idp}.lifecycleWorkflows.actions: nothing done`));
  }
  const trigger = triggerOf(idp, callout);
  if (callout.action === 'check-for-updates') {
    // The hubs this tenant governs; check them all and resume when every check is done.
    const hubs = deps.config.file.hubs.filter((h) => h.identityProvider === idp).map((h) => h.id);
    if (hubs.length === 0) throw new Error(`no hub has identityProvider "${idp}"`);
    return Promise.all(hubs.map((hubId) => deps.agent.checkForUpdates(hubId, trigger)));
  }
  return endLeaverSessions(deps, callout, trigger).then(() => deps.agent.offboard(callout.person, trigger)).then((t) => [t]);
}

/**
 * A leaver's dashboard sessions end before their seats go, whatever the agent makes of them (an
 * administrator may hold no seat): the callout names them by object id, which their sign-in
 * recorded from Entra's `oid` claim, and by email and UPN (session-revocation.ts).
 */
async function endLeaverSessions(deps: LifecycleRunDeps, callout: Callout, trigger: Trigger): Promise<void> {
  await endSessionsOf(deps.store, sessionPersonOf(callout.person), {
    trigger, subject: auditSubject(callout.person), why: `Lifecycle Workflows task ${callout.taskId} (${callout.action}): their dashboard sessions end`,
    detail: { workflowId: callout.workflowId, taskId: callout.taskId, taskProcessingResultId: callout.taskProcessingResultId },
  });
}

/**
 * Polls the agent's tasks until all finished; completed only when every one completed. The wait
 * ends at `deadline`, `maxWaitMs` from the callout's receipt (the workflow's callback timeout, at
 * most PT3H, runs from the callout: https://github.com/microsoftgraph/microsoft-graph-docs-contrib/blob/main/api-reference/v1.0/resources/identitygovernance-customtaskextensioncallbackconfiguration.md),
 * not from this process's start: counted from each start, a callout taken up again after a restart
 * (or by another replica) waited a further 3 h, past the point where the workflow had marked the
 * task failed, and every restart extended it again.
 */
async function waitFor(deps: LifecycleRunDeps, taskIds: string[], deadline: number): Promise<'completed' | 'failed'> {
  for (;;) {
    const tasks = await readTasks(deps, taskIds);
    if (tasks?.some((t) => !t)) throw new Error(`task ${taskIds[tasks.findIndex((t) => !t)]} no longer exists`);
    if (tasks?.every((t) => FINISHED.has(t!.status))) return tasks.every((t) => t!.status === 'completed') ? 'completed' : 'failed';
    if (Date.now() > deadline) throw new Error(`tasks ${taskIds.join(', ')} did not finish within ${Math.round(deps.maxWaitMs / 60000)} min of the callout's receipt`);
    if (deps.isStopped()) return 'failed';
    await sleep(deps.pollIntervalMs, deps.stopSignal);
  }
}

/**
 * The tasks as the agent has them now, or undefined when the store cannot serve the read now (a
 * failover, contention: isTransient): that says nothing about the tasks, so the caller polls again.
 * Thrown, it resumed the workflow `failed` while the leaver's seats were being removed.
 */
async function readTasks(deps: LifecycleRunDeps, taskIds: string[]): Promise<Array<TaskView | undefined> | undefined> {
  const tasks: Array<TaskView | undefined> = [];
  try {
    // findTask, not task: a task that completed more than a minute ago has moved to the archive
    // (agent/tasks/prune.ts), e.g. across a restart between its end and the resume, and is still done.
    for (const id of taskIds) tasks.push(await deps.agent.findTask(id));
    return tasks;
  } catch (err) {
    if (!isTransient(err)) throw err;
    deps.log.warn(`entra lifecycle: tasks ${taskIds.join(', ')} cannot be read now (${errorText(err)}); polling again`);
    return undefined;
  }
}
