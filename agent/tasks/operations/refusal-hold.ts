/**
 * Which failed app change holds the later tasks of the same change (operation-handler.ts
 * `refusedEarlier`), and for how long: read there, and by hub health (agent/health/hub-health.ts),
 * which counts such a task as failing for as long as it holds, so an owner sees it and retries it.
 */
import type { TaskRecord } from '../task-record.ts';

/**
 * How long such a refusal holds the same invite: a week, then the invite is sent once more (the
 * credential may see the person by then, or they left the app meanwhile); refused again, it holds
 * for another week. Without a bound it held until the failed task was pruned (30 days by default).
 */
export const REFUSAL_HOLD_MS = 7 * 24 * 3_600_000;

/**
 * Whether `t`, an invite, failed in a way that holds the same invite's later tasks at `now`: the
 * app said the email holds a seat (`conflict`), or refused the request for good (`invalid-argument`
 * with the app's own code), within REFUSAL_HOLD_MS, and no owner retried it (retry-task.ts).
 */
export function holdsLaterTasks(t: Readonly<TaskRecord>, now: number): boolean {
  const kind = (t.payload as { op?: { kind?: unknown } } | undefined)?.op?.kind;
  return (kind === 'invite' || kind === 'reinvite') && t.status === 'failed' && !t.retried && Date.parse(t.updatedAt) > now - REFUSAL_HOLD_MS
    && (t.lastError?.kind === 'conflict' || (t.lastError?.kind === 'invalid-argument' && t.lastError.providerCode !== undefined));
}
