import type { Operation } from '../plan/operation.ts';

/**
 * When an operation may run:
 * - `now`: grants and upgrades (a new invite, a higher role, more tasks) go at once;
 * - `settle`: downgrades and removals of people still active wait `settleSeconds`, so a group
 *   move that arrives as remove-then-add never removes and a move never loses access;
 * - `deprovision`: removals because the IdP deactivated or deleted the person: at once, or
 *   through an owner's deprovisioning report when `confirmDeprovisioning` is on.
 */
export type SafetyClass = 'now' | 'settle' | 'deprovision';

export function classify(op: Operation): SafetyClass {
  if (op.effect === 'grant' || op.effect === 'upgrade') return 'now';
  if (op.effect === 'removal' && (op.reason === 'deactivated' || op.reason === 'deleted')) return 'deprovision';
  return 'settle';
}

/** Removals let through earlier in the threshold's window (removal-window.ts). */
export interface EarlierRemovals {
  /** The members let through. */
  memberIds: ReadonlySet<string>;
  /** Removals recorded without names (records written before names were kept). */
  unnamed: number;
  /** How many of `memberIds` the snapshot still lists (let through, not run yet): already in the member count. */
  stillListed: number;
}

/**
 * Would these operations remove more than `percent` of the hub's members? Counts member
 * removals against the human members of the app (system users excluded); `removedEarlier`: the
 * members removed earlier in the threshold's window (removal-window.ts), as a count (each one
 * gone from the member count) or by member id. By id, a member let through earlier whose removal
 * has not run yet (still listed, and planned again by this pass) counts once, in the share and in
 * the members there were: counted twice, a hub could lose more than the threshold in two passes.
 * `removals`: the members this batch removes that were not let through already.
 */
export function exceedsRemovalThreshold(ops: readonly Operation[], memberCount: number, percent: number, removedEarlier: number | EarlierRemovals = 0): { exceeds: boolean; removals: number; share: number; earlier: number; base: number } {
  const earlier: EarlierRemovals = typeof removedEarlier === 'number' ? { memberIds: new Set(), unnamed: removedEarlier, stillListed: 0 } : removedEarlier;
  const removals = ops.filter((o) => o.kind === 'remove-member' && !earlier.memberIds.has(o.memberId)).length;
  const before = earlier.memberIds.size + earlier.unnamed;
  // Removals let through earlier in the window count too, against the members there were then.
  const total = removals + before;
  const base = memberCount + before - earlier.stillListed;
  const share = base === 0 ? (removals > 0 ? 100 : 0) : (total / base) * 100;
  return { exceeds: removals > 0 && share > percent, removals, share, earlier: before, base };
}
