import type { HubConfigFile } from '../../config/schema.ts';
import { AgentError } from '../agent-error.ts';
import type { TaskRetry } from '../api.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import type { Store } from '../store/store.ts';
import { taskSubjectOf } from './operations/audit-subject.ts';
import { enqueueOperation, type OperationPayload } from './operations/enqueue-operation.ts';
import { retryRefusal } from './retry-rule.ts';
import { findTaskAnywhere } from './task-query.ts';
import { toTaskView, type TaskRecord } from './task-record.ts';

/**
 * An owner retries a failed app change (`POST /hubs/{hubId}/tasks/{taskId}/retry`, `hubwarden tasks
 * retry`): for when the cause was fixed outside the request (the app fixed, the connector
 * upgraded), so the person need not wait out the week a refused invite holds the same invite
 * (operation-handler.ts `refusedEarlier`, REFUSAL_HOLD_MS).
 *
 * In one transaction: the failed task is kept as it failed and marked `retried` (who, when, why,
 * the task queued), so it no longer holds later tasks of the change; the same operation is queued
 * through enqueueOperation, the normal path, so its task re-plans the person before it calls the
 * app and a change no longer wanted does nothing; and the retry is audited (who, what, why,
 * outcome). A repeat (a double click, a call retried after a lost answer) finds the mark and
 * answers `alreadyDone` with the task the first retry queued: nothing is queued or audited again.
 *
 * Refused: a task not on `hubId` (not-found, as one that does not exist: no probing other hubs'
 * ids), one that is not failed, or not an app change (conflict; retry-rule.ts `retryRefusal`, the
 * rule a task view's `retryable` says too). A forced change (an owner's
 * removal, an offboarding's) is refused too: it ran without a re-plan on a decision that owner
 * made then, and is asked for again (`remove`, `offboard`), never re-run on an old decision.
 */
export async function retryFailedTask(store: Store, hub: HubConfigFile, taskId: string, trigger: Trigger, now: () => Date): Promise<TaskRetry> {
  const answer = await store.transact(async (tx): Promise<TaskRetry> => {
    const failed = await tx.get('tasks', hub.id, taskId);
    if (!failed) throw new AgentError('not-found', `task "${taskId}" of hub "${hub.id}" (a failed task is kept until it is pruned)`);
    if (failed.retried) {
      return { taskId: failed.retried.taskId, retried: toTaskView(failed), alreadyDone: true,
        detail: `task "${taskId}" was already retried at ${failed.retried.at} by ${failed.retried.by}; nothing was queued again` };
    }
    const refusal = retryRefusal(failed);
    if (refusal === 'not-failed') throw new AgentError('conflict', `task "${taskId}" of hub "${hub.id}" is ${failed.status}; only a failed task is retried`);
    if (refusal === 'not-app-change') throw new AgentError('conflict', `task "${taskId}" of hub "${hub.id}" is a ${failed.kind} task; only a failed app change is retried`);
    if (refusal === 'forced') {
      throw new AgentError('conflict', `task "${taskId}" of hub "${hub.id}" was an owner's or an offboarding's decision (run without a re-plan); ask for it again rather than retry it`);
    }
    const payload = failed.payload as OperationPayload;
    const at = now();
    const queued = await enqueueOperation(tx, { hub, op: payload.op, trigger, now: at });
    const by = trigger.actor ?? trigger.type;
    const marked: TaskRecord = { ...failed, retried: { at: at.toISOString(), by, ...(trigger.reason ? { reason: trigger.reason } : {}), taskId: queued.id } };
    tx.put('tasks', hub.id, failed.id, marked);
    appendAudit(tx, {
      hubId: hub.id, trigger, action: 'retry-task', outcome: 'ok', taskId: queued.id, subject: taskSubjectOf(failed),
      why: `${by} retried failed task ${failed.id} (${failed.summary}: ${failed.lastError?.message ?? 'no error recorded'}); queued as task ${queued.id}, re-planned before it calls the app`,
      detail: { retriedTaskId: failed.id, queuedTaskId: queued.id },
    });
    return { taskId: queued.id, task: toTaskView(queued), retried: toTaskView(marked) };
  });
  if (answer.task) return answer;
  // A repeat: the task the first retry queued, unless it finished long ago and was pruned.
  const queued = await findTaskAnywhere(store, answer.taskId);
  return queued ? { ...answer, task: toTaskView(queued) } : answer;
}
