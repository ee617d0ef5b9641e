import type { AuditEntry, AuditQuery, Paged } from '../api.ts';
import type { Store } from '../store/store.ts';
import './audit-log.ts';

/**
 * The audit log per hub and per person, newest first (AgentApi.audit). The durable store keeps
 * the log on disk (agent/store/archive.ts), so it is read page by page: memory holds one segment
 * and the page asked for, however long the log is. `total` counts every match (a full read).
 *
 * Entries are ordered by `seq` (the store yields them in commit order, which is seq order within
 * one process; across replicas it follows their clocks, audit-log.ts). A `before` cursor pages by
 * seq, so a page never repeats an entry of the page before it.
 */
export async function queryAudit(store: Pick<Store, 'newestFirst'>, q: AuditQuery): Promise<Paged<AuditEntry>> {
  const email = q.email?.toLowerCase();
  const offset = q.offset ?? 0;
  const limit = q.limit ?? 100;
  const items: AuditEntry[] = [];
  let total = 0;
  // Compared as instants: `since` may carry an offset (+05:00) or no fraction, and as strings
  // those sort differently from the entries' UTC times.
  const since = q.since !== undefined ? Date.parse(q.since) : undefined;
  for await (const e of store.newestFirst('audit', q.hubId, (a, b) => b.seq - a.seq)) {
    if (email && e.subject?.email?.toLowerCase() !== email) continue;
    if (q.action && e.action !== q.action) continue;
    if (since !== undefined && Date.parse(e.at) < since) continue;
    if (q.before !== undefined && e.seq >= q.before) continue;
    if (total >= offset && items.length < limit) items.push(e);
    total++;
  }
  return { total, items };
}
