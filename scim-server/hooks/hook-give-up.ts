import type { AuditInput } from '../../agent/audit/audit-log.ts';
import type { Trigger } from '../../agent/desired-state/delta.ts';
import { auditSubject, HOOK_EVENT_TTL_MS, type HookEventRecord } from './hook-event-record.ts';
import { triggerOf, UNLISTED } from './lifecycle-run.ts';
import { eventActionOf } from './okta-event.ts';

/**
 * The audit entry of a hook record given up: swept a week after its receipt (HOOK_EVENT_TTL_MS)
 * still `processing`, because every try was told "not now" (transient.ts: the store or the agent
 * unavailable) or the write of its progress was refused. The sender heard 200 and does not send it
 * again (https://developer.okta.com/docs/concepts/event-hooks/), so nothing of it was done: audited
 * `failed` under the action it would have been, with who sent it, as its other outcomes are
 * (okta.ts, lifecycle-run.ts). An Okta event of a type hubwarden does not act on is not audited.
 */
export function givenUpAudit(r: Readonly<HookEventRecord>): AuditInput | undefined {
  const days = HOOK_EVENT_TTL_MS / 86_400_000;
  const last = r.outcome ? ` (last: ${r.outcome})` : '';
  if (r.source === 'okta' && r.event) {
    const action = eventActionOf(r.event.eventType);
    if (!action) return undefined;
    const trigger: Trigger = { type: 'okta-event-hook', idp: r.idp, actor: r.event.actor, detail: `${r.event.eventType} ${r.id}` };
    return {
      trigger, action, subject: auditSubject(r.event.person), outcome: 'failed',
      why: `Okta event ${r.event.eventType} received ${r.receivedAt} was never acted on in ${days} days${last}: given up, nothing done`,
      detail: { eventId: r.id, eventType: r.event.eventType },
    };
  }
  if (r.source === 'entra-lifecycle' && r.callout) {
    const c = r.callout;
    return {
      trigger: triggerOf(r.idp, c), action: c.action === UNLISTED ? 'lifecycle-task' : c.action, subject: auditSubject(c.person), outcome: 'failed',
      why: `Lifecycle Workflows task ${c.taskId} (${c.action}) received ${r.receivedAt} was never acted on in ${days} days${last}: given up, nothing done and not resumed`,
      detail: { workflowId: c.workflowId, taskId: c.taskId, taskProcessingResultId: c.taskProcessingResultId },
    };
  }
  return undefined;
}
