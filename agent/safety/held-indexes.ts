import type { ReadView, Store } from '../store/store.ts';
import type { ApprovalRecord } from './approvals.ts';
import type { ReportRecord } from './reports.ts';

/**
 * The live part of a hub's safety records, by index: its pending approvals and its open
 * deprovisioning reports. Readers that want only those (the dispatcher at every SCIM push, a
 * removal pass, an offboarding's halt, the departed sweep) read them here, not the hub's whole
 * history: every approval ever decided, superseded or withdrawn, every report applied (one can
 * hold hundreds of items). Listing the partition made each SCIM dispatch cost grow with that
 * history and, on PostgreSQL, put the whole partition in the transaction's read set, so a write
 * to any other approval or report of the hub ran the dispatch again. A lookup is checked at
 * commit by its value (postgres/key-locks.ts): a record newly pending or open, or one leaving,
 * still conflicts as a partition listing did; a decided one changed again does not.
 *
 * Both keys are the hub id (the partition). Records come as the store files them: in the order
 * they were written on PostgreSQL (seq), in the order they became pending or open on the memory
 * and lowdb stores; an approval is pending and a report open only from its creation until it is
 * decided or applied (neither goes back), so that is the order a partition listing gave them,
 * a record this transaction staged coming after the others as it does in a listing.
 * Callers that need every record (the API's listings, a lookup by id) read the partition.
 */
export const PENDING_APPROVAL_BY_HUB = 'approvals.pendingByHub';
export const OPEN_REPORT_BY_HUB = 'reports.openByHub';

/** Whether a report still collects or waits on items (the hub's one open report). */
export const isOpenReport = (r: Readonly<Pick<ReportRecord, 'status'>>): boolean => r.status === 'open' || r.status === 'partially-applied';

const defined = new WeakSet<Store>();

/**
 * Defines both indexes (once per store). Every reader of `pendingApprovalsOf` / `openReportsOf`
 * runs in a component that calls this at construction (the agent, its API, the task runner, the
 * dispatcher): an undefined index finds nothing. The key functions name no helper
 * (store/postgres/indexes.ts hashes their source).
 */
export function defineHeldIndexes(store: Store): void {
  if (defined.has(store)) return;
  defined.add(store);
  store.defineIndex('approvals', PENDING_APPROVAL_BY_HUB, (a, hubId) => (a.status === 'pending' ? [hubId] : []));
  store.defineIndex('reports', OPEN_REPORT_BY_HUB, (r, hubId) => (r.status === 'open' || r.status === 'partially-applied' ? [hubId] : []));
}

/** The hub's pending approvals (a pass's and offboardings'), read through `view`. */
export async function pendingApprovalsOf(view: Pick<ReadView, 'lookup'>, hubId: string): Promise<Array<Readonly<ApprovalRecord>>> {
  return (await view.lookup('approvals', PENDING_APPROVAL_BY_HUB, hubId)).filter((a) => a.status === 'pending');
}

/** The hub's open deprovisioning reports (one, as addToReport keeps it), read through `view`. */
export async function openReportsOf(view: Pick<ReadView, 'lookup'>, hubId: string): Promise<Array<Readonly<ReportRecord>>> {
  return (await view.lookup('reports', OPEN_REPORT_BY_HUB, hubId)).filter(isOpenReport);
}

/** `read` for each of these hubs at once (the dispatcher's reads beside its others: no round trip of their own on PostgreSQL), by hub. */
export async function readPerHub<T>(hubIds: Iterable<string>, read: (hubId: string) => Promise<T>): Promise<Map<string, T>> {
  const ids = [...new Set(hubIds)];
  const found = await Promise.all(ids.map(read));
  return new Map(ids.map((id, n) => [id, found[n]!]));
}
