/**
 * `safety.drift: report`: a change someone made by hand in the app (found by a check for updates,
 * check-for-updates/changes.ts) is reported and left as it is. Drift is a diff between consecutive
 * snapshots, so the next check no longer sees it: what is left alone is kept as a drift hold
 * (collection `driftHolds`, partition = hub id), one per member or invite row and what changed on
 * it (its seat, its role, its tasks on one asset), recording what the change left in the app and
 * what it was before. Every plan (hub, person, settle pass, the re-check before a call) holds an
 * operation that would put the row back as it was before (plan-hub.ts).
 *
 * A hold ends when the row is gone from the app, when a check finds it changed again (a new hold
 * follows for the new change), when the hub's plan no longer asks to put back the earlier state
 * (the directory moved on: the new intent is applied), or when the hub's policy is `correct`.
 * A leaver's removal (deactivated or deleted in the IdP, offboarded) is never held: a person who
 * left loses access whatever the drift policy.
 */
import type { AssetRef } from '../../connectors/sdk/hub-model.ts';
import type { HubConfigFile } from '../../config/schema.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Drift, DriftKind } from '../check-for-updates/changes.ts';
import type { HubSnapshot } from '../check-for-updates/snapshot.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { memberRowOf, type Operation, type PlanResult } from '../plan/operation.ts';
import { inviteRowId } from '../standing/row-ids.ts';
import { collect, type ReadView, type Transaction } from '../store/store.ts';

export interface DriftHoldRecord {
  hubId: string;
  /** `${rowId}|seat`, `${rowId}|role` or `${rowId}|tasks|${asset type}:${asset id}`. */
  id: string;
  /** App member id, or `invite:<id>`. */
  rowId: string;
  change: 'seat' | 'role' | 'tasks';
  /** The drift that started the hold. */
  drift: DriftKind;
  email?: string;
  asset?: AssetRef;
  /** What the change left in the app: the role (seat, role), or the tasks on `asset`. */
  after: string[];
  /** What it was before: the role, or the tasks on `asset` (none for a seat made by hand). */
  before: string[];
  /** When the check that found it ran, and its task. */
  since: string;
  taskId: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    driftHolds: DriftHoldRecord;
  }
}

export const DRIFT_HELD_WHY = 'it would undo a change made by hand in the app; reported, not corrected (safety.drift = report)';

/** Drift kinds a hold keeps (an invite cancelled in the app is not re-sent by a plan's undo). */
const HELD_KINDS: ReadonlySet<DriftKind> = new Set(['role-changed', 'tasks-removed', 'tasks-added', 'member-added-by-hand', 'invited-by-hand']);
export const isHeldDrift = (d: Drift): boolean => HELD_KINDS.has(d.kind);

const sameSet = (a: readonly string[], b: readonly string[]) => {
  const x = [...new Set(a.map((s) => s.toUpperCase()))].sort();
  const y = [...new Set(b.map((s) => s.toUpperCase()))].sort();
  return x.length === y.length && x.every((v, n) => v === y[n]);
};
const sameAsset = (a: AssetRef | undefined, b: AssetRef | undefined) => !!a && !!b && a.type === b.type && a.id === b.id;
const holdId = (rowId: string, change: DriftHoldRecord['change'], asset?: AssetRef) => `${rowId}|${change}${asset ? `|${asset.type}:${asset.id}` : ''}`;

/**
 * Whether `op` would put the row back as it was before the hand-made change the hold keeps. The
 * app must still be as the change left it (the operation's `from`), and the operation must
 * restore the earlier state exactly: an operation towards anything else is a new intent.
 */
export function undoes(hold: Readonly<DriftHoldRecord>, op: Operation): boolean {
  if (memberRowOf(op) !== hold.rowId) return false;
  switch (hold.change) {
    case 'seat':
      // A leaver's removal goes ahead whatever the drift policy.
      if (op.reason === 'deactivated' || op.reason === 'deleted') return false;
      if (op.kind === 'remove-member' || op.kind === 'cancel-invite') return true;
      return op.kind === 'change-invite-role' && sameSet([op.from], hold.after);
    case 'role':
      return op.kind === 'change-member-role' && sameSet([op.from], hold.after) && sameSet([op.to], hold.before);
    case 'tasks':
      if (op.kind === 'assign-asset') return sameAsset(op.asset, hold.asset) && sameSet(op.from ?? [], hold.after) && sameSet(op.tasks, hold.before);
      if (op.kind === 'unassign-asset') return sameAsset(op.asset, hold.asset) && sameSet(op.from, hold.after) && hold.before.length === 0;
      return false;
  }
}

/** The hub's holds, when its policy is `report` (none are read, or kept, under `correct`). */
export async function driftHoldsOf(view: Pick<ReadView, 'list'>, hub: HubConfigFile): Promise<Array<Readonly<DriftHoldRecord>>> {
  return hub.safety.drift === 'report' ? collect(view.list('driftHolds', hub.id)) : [];
}

/**
 * Moves the operations that would undo a held change into `held`. `used`: the holds some
 * operation of the plan would undo (held here, or already held for another reason).
 */
export function holdDrift(result: PlanResult, holds: ReadonlyArray<Readonly<DriftHoldRecord>>): { result: PlanResult; used: Set<string> } {
  const used = new Set<string>();
  if (holds.length === 0) return { result, used };
  const holding = (op: Operation) => holds.filter((h) => undoes(h, op));
  for (const h of result.held) for (const hold of holding(h.operation)) used.add(hold.id);
  const operations: Operation[] = [];
  const held = [...result.held];
  for (const op of result.operations) {
    const by = holding(op);
    for (const hold of by) used.add(hold.id);
    if (by.length > 0) held.push({ operation: op, why: DRIFT_HELD_WHY });
    else operations.push(op);
  }
  return { result: { operations, held }, used };
}

interface AuditContext { trigger: Trigger; taskId?: string; now: string }

function auditEnd(tx: Transaction, hold: Readonly<DriftHoldRecord>, because: string, context: AuditContext): void {
  tx.delete('driftHolds', hold.hubId, hold.id);
  const what = hold.change === 'seat' ? 'seat made by hand' : hold.change === 'role' ? `role ${hold.after.join('')} set by hand` : `tasks [${hold.after.join(', ')}] set by hand on ${hold.asset?.type} ${hold.asset?.id}`;
  appendAudit(tx, {
    hubId: hold.hubId, trigger: context.trigger, ...(context.taskId ? { taskId: context.taskId } : {}), action: 'drift-hold-ended', outcome: 'ok', at: context.now,
    subject: { memberId: hold.rowId, ...(hold.email ? { email: hold.email } : {}) },
    why: `${hold.email ?? hold.rowId}: ${what} no longer kept: ${because}`,
  });
}

/** The row's state in a snapshot as a hold records it, or undefined when the row is gone. */
function stateIn(snapshot: HubSnapshot, rowId: string, change: DriftHoldRecord['change'], asset?: AssetRef): string[] | undefined {
  const invite = rowId.startsWith('invite:') ? snapshot.invites.find((i) => inviteRowId(i.id) === rowId && i.status === 'pending') : undefined;
  const member = invite ? undefined : snapshot.members.find((m) => m.id === rowId);
  if (!invite && !member) return undefined;
  if (change !== 'tasks') return [(invite ?? member)!.role];
  return snapshot.assignments.find((a) => a.userId === rowId && sameAsset(a.asset, asset))?.tasks ?? [];
}

/**
 * At a check for updates, in its transaction: under `report`, holds each hand-made change found
 * (`changes.drift`, the whole list, not the run record's cut one) and ends the holds whose row is
 * gone or changed again; under `correct`, ends them all.
 */
export async function recordDriftHolds(tx: Transaction, hub: HubConfigFile, previous: HubSnapshot, snapshot: HubSnapshot, drift: readonly Drift[], context: AuditContext): Promise<void> {
  const existing = await collect(tx.list('driftHolds', hub.id));
  if (hub.safety.drift !== 'report') {
    for (const h of existing) auditEnd(tx, h, 'the hub\'s policy is safety.drift = correct', context);
    return;
  }
  const earlier = new Map<string, Readonly<DriftHoldRecord>>();
  for (const h of existing) {
    const now = stateIn(snapshot, h.rowId, h.change, h.asset);
    if (!now) auditEnd(tx, h, 'the row is gone from the app', context);
    else if (!(h.change === 'seat' && !h.rowId.startsWith('invite:')) && !sameSet(now, h.after)) {
      // Changed again (by hand: the drift below holds it again, from the same earlier state; or
      // by hubwarden applying a new intent).
      earlier.set(h.id, h);
      auditEnd(tx, h, `it is now ${now.length > 0 ? now.join(', ') : 'none'} in the app`, context);
    }
  }
  for (const d of drift) {
    if (!isHeldDrift(d)) continue;
    const rowId = d.memberId ?? (d.inviteId ? inviteRowId(d.inviteId) : undefined);
    if (!rowId) continue;
    const change = d.kind === 'role-changed' ? 'role' : d.kind === 'tasks-removed' || d.kind === 'tasks-added' ? 'tasks' : 'seat';
    const asset = change === 'tasks' ? d.asset : undefined;
    if (change === 'tasks' && !asset) continue;
    const id = holdId(rowId, change, asset);
    const after = stateIn(snapshot, rowId, change, asset);
    if (!after) continue;
    // A change made on top of an earlier hand-made change is kept against the state before both.
    const kept = earlier.get(id) ?? existing.find((h) => h.id === id && !earlier.has(id));
    const before = kept?.before ?? (change === 'seat' ? [] : stateIn(previous, rowId, change, asset) ?? []);
    if (change !== 'seat' && sameSet(before, after)) continue; // changed back: nothing left to keep
    const record: DriftHoldRecord = {
      hubId: hub.id, id, rowId, change, drift: kept?.drift ?? d.kind, ...(d.email ? { email: d.email } : {}), ...(asset ? { asset } : {}),
      after, before, since: context.now, taskId: context.taskId ?? '',
    };
    tx.put('driftHolds', hub.id, id, record);
  }
}

/**
 * After the hub's plan: ends the holds no operation of it would undo (the row is gone, or the
 * directory now asks for the state the change left, or for another one). Each is read again in
 * the transaction, so a hold a check re-recorded meanwhile is kept.
 */
export async function endUnusedDriftHolds(tx: Transaction, holds: ReadonlyArray<Readonly<DriftHoldRecord>>, used: ReadonlySet<string>, context: AuditContext): Promise<void> {
  for (const h of holds) {
    if (used.has(h.id)) continue;
    const now = await tx.get('driftHolds', h.hubId, h.id);
    if (now && now.since === h.since) auditEnd(tx, now, 'the hub\'s plan no longer puts back the earlier state (the directory moved on, or the row changed)', context);
  }
}
