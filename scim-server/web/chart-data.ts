import type { AgentApi, AuditEntry, AuditQuery, TaskView } from '../../agent/api.ts';
import { HOUR_MS, type HourCounts } from '../ops/hourly-counts.ts';

/**
 * The numbers behind the dashboard's charts, read only through AgentApi's paged reads (the audit
 * log and finished tasks may live on disk; nothing here assumes they are in memory). Where a
 * chart would need every record, it reads a bounded page of the newest ones and says when the
 * bound cut it (`capped`).
 */

/** Newest audit entries read per action for the invite funnel. */
export const AUDIT_SAMPLE = 5_000;
/** Newest finished tasks read per outcome for "tasks per hour" and the durations. */
export const TASK_SAMPLE = 2_000;
export const FINISHED = ['completed', 'failed', 'cancelled'] as const;

/**
 * Counts the entries of `query` that pass `keep`, over at most `sample` newest entries, read in
 * one call: each AgentApi read filters and orders the whole matching set, so one read of 5,000
 * costs about what one read of 500 does (ten pages would cost ten times as much).
 */
async function countAudit(agent: AgentApi, query: AuditQuery, keep: (e: AuditEntry) => boolean, sample = AUDIT_SAMPLE): Promise<{ count: number; capped: boolean }> {
  const page = await agent.audit({ ...query, offset: 0, limit: sample });
  let count = 0;
  for (const e of page.items) if (keep(e)) count++;
  return { count, capped: page.total > page.items.length };
}

export interface InviteFunnel { sent: number; accepted: number; expired: number; capped: boolean }

/**
 * Invites hubwarden sent (invite and re-invite tasks that reached the app), how many of those people
 * accepted, and how many of its invites expired, from the audit log.
 */
export async function inviteFunnel(agent: AgentApi, hubId: string): Promise<InviteFunnel> {
  const ok = (e: AuditEntry) => e.outcome === 'ok';
  const sent = await countAudit(agent, { hubId, action: 'invite' }, ok);
  const resent = await countAudit(agent, { hubId, action: 'reinvite' }, ok);
  // Only a check for updates writes invite-accepted, always with outcome ok: its total is the count.
  const accepted = { count: (await agent.audit({ hubId, action: 'invite-accepted', offset: 0, limit: 1 })).total, capped: false };
  const expired = await countAudit(agent, { hubId, action: 'invite-expired' }, (e) => e.detail?.sentByHubwarden === true);
  return { sent: sent.count + resent.count, accepted: accepted.count, expired: expired.count, capped: sent.capped || resent.capped || accepted.capped || expired.capped };
}

export interface RecentTasks {
  /** Finished tasks of the last `hours`, per clock hour and outcome. */
  perHour: HourCounts[];
  /** The newest finished tasks that ran (started and completed), newest first. */
  latest: TaskView[];
  capped: boolean;
}

/** Finished tasks by the hour they finished, from the newest `TASK_SAMPLE` of each outcome. */
export async function recentTasks(agent: AgentApi, now: number, hours = 24, latestCount = 15): Promise<RecentTasks> {
  const current = Math.floor(now / HOUR_MS) * HOUR_MS;
  const from = current - (hours - 1) * HOUR_MS;
  const perHour: HourCounts[] = Array.from({ length: hours }, (_, i) => ({ start: from + i * HOUR_MS, values: {} }));
  const finished: TaskView[] = [];
  let capped = false;
  for (const status of FINISHED) {
    // One read per outcome, as for the audit above; tasks come newest first (by creation).
    const page = await agent.tasks({ status, offset: 0, limit: TASK_SAMPLE });
    finished.push(...page.items);
    const oldest = page.items.at(-1);
    if (page.total > page.items.length && oldest && Date.parse(oldest.createdAt) >= from) capped = true;
  }
  for (const t of finished) {
    const at = Date.parse(t.completedAt ?? t.updatedAt);
    if (Number.isNaN(at) || at < from || at >= current + HOUR_MS) continue;
    const bucket = perHour[Math.floor((at - from) / HOUR_MS)];
    bucket.values[t.status] = (bucket.values[t.status] ?? 0) + 1;
  }
  const latest = finished.filter((t) => t.startedAt && t.completedAt)
    .sort((a, b) => (a.completedAt! < b.completedAt! ? 1 : a.completedAt! > b.completedAt! ? -1 : 0))
    .slice(0, latestCount);
  return { perHour, latest, capped };
}

/** How long a finished task ran: first start to finish (retries and their waits included). */
export const taskDurationMs = (t: TaskView) => Date.parse(t.completedAt!) - Date.parse(t.startedAt!);
