import type { AuditEntry } from '../api.ts';
import type { Store } from '../store/store.ts';
import '../audit/audit-log.ts';

/** How far back a repeat of a removal is recognised: a client's retry comes within minutes. */
export const FINISHED_REMOVAL_WINDOW_MS = 60 * 60_000;
/**
 * Entries of several replicas are in seq order, which follows each replica's clock
 * (audit-log.ts): the scan stops only once entries are this much older than the window.
 */
const CLOCK_SLACK_MS = 5 * 60_000;

/**
 * The audit entry of a removal of row `rowId` (a member, or a pending invite) on `hubId` that was
 * carried out within the last hour, if any: newest first, reading only the hour's entries.
 *
 * An admin API client retries a call whose answer it lost (Okta Workflows' HTTP cards do): by
 * the time the retry of `POST …/members/{id}/remove` arrives, the removal may have run and the
 * row left the members list, so the retry met a 404 "member does not exist" and the flow took a
 * success for a failure. With this entry the retry is answered as already done
 * (scim-server/admin/already-done.ts); an id never seen stays a 404.
 */
export async function finishedRemovalOf(store: Pick<Store, 'newestFirst'>, hubId: string, rowId: string, now: Date): Promise<Readonly<AuditEntry> | undefined> {
  const since = now.getTime() - FINISHED_REMOVAL_WINDOW_MS;
  for await (const e of store.newestFirst('audit', hubId, (a, b) => b.seq - a.seq)) {
    const at = Date.parse(e.at);
    if (at < since - CLOCK_SLACK_MS) break;
    if (at < since) continue;
    if ((e.action === 'remove-member' || e.action === 'cancel-invite') && e.subject?.memberId === rowId && (e.outcome === 'ok' || e.outcome === 'already-done')) return e;
  }
  return undefined;
}
