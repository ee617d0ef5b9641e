import type { AuditEntry, AuditQuery, Paged } from '../api.ts';
import type { ReadView } from '../store/store.ts';
import './audit-log.ts';

/** The audit log per hub and per person, newest first (AgentApi.audit). */
export function queryAudit(view: ReadView, q: AuditQuery): Paged<AuditEntry> {
  const partitions = q.hubId !== undefined ? [q.hubId] : view.partitions('audit');
  const email = q.email?.toLowerCase();
  const out: AuditEntry[] = [];
  for (const p of partitions) for (const e of view.list('audit', p)) {
    if (email && e.subject?.email?.toLowerCase() !== email) continue;
    if (q.action && e.action !== q.action) continue;
    if (q.since && e.at < q.since) continue;
    out.push(e);
  }
  out.sort((a, b) => b.seq - a.seq);
  const offset = q.offset ?? 0;
  return { total: out.length, items: out.slice(offset, offset + (q.limit ?? 100)) };
}
