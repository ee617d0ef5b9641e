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

/**
 * Would these operations remove more than `percent` of the hub's members? Counts member
 * removals against the human members of the app (system users excluded); `removedEarlier`: the
 * members removed earlier in the threshold's window (removal-window.ts).
 */
export function exceedsRemovalThreshold(ops: readonly Operation[], memberCount: number, percent: number, removedEarlier = 0): { exceeds: boolean; removals: number; share: number } {
  const removals = ops.filter((o) => o.kind === 'remove-member').length;
  // Removals let through earlier in the window count too, against the members there were then.
  const total = removals + removedEarlier;
  const base = memberCount + removedEarlier;
  const share = base === 0 ? (removals > 0 ? 100 : 0) : (total / base) * 100;
  return { exceeds: removals > 0 && share > percent, removals, share };
}
