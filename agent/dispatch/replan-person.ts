import type { Trigger } from '../desired-state/delta.ts';
import type { FollowUp } from '../tasks/task-record.ts';

/** Who a `reconcile-person` task re-plans (reconcile.ts). */
export interface ReconcilePersonPayload {
  directoryUserId?: string;
  /** Emails that identify the person's seats when the directory record is gone (deleted users). */
  emails?: string[];
}

/**
 * The task that re-plans one person on a hub, keyed per person: queued (with reuse `unstarted`)
 * by the dispatcher, a claimed offer, the admin API's re-evaluation, and as the follow-up of an
 * operation that ran while the person changed (enqueue-operation.ts).
 */
export function replanPerson(person: ReconcilePersonPayload, trigger: Trigger, summary: string): FollowUp {
  const payload: ReconcilePersonPayload = {
    ...(person.directoryUserId ? { directoryUserId: person.directoryUserId } : {}),
    ...(person.emails?.length ? { emails: person.emails } : {}),
  };
  return { kind: 'reconcile-person', payload, idempotencyKey: `reconcile:${person.directoryUserId || person.emails?.[0]}`, summary, trigger };
}
