import { memberRowOf, type Operation } from '../plan/operation.ts';

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

/**
 * The kinds of access a plan can take away, each braked by the removal threshold: a `seat`
 * (remove-member), an asset `grant` (an asset unassigned, or its access narrowed), an app `role`
 * (a member's or a pending invite's role lowered) and a pending `invite` (cancelled). A bad config
 * push (a team's assets dropped) or a directory glitch strips grants, roles or invites as surely
 * as seats, and in one plan.
 */
export type AccessRemovalKind = 'seat' | 'grant' | 'role' | 'invite';

/** What an operation takes away, if anything (grants and upgrades take nothing). */
export function accessRemovalKindOf(op: Operation): AccessRemovalKind | undefined {
  switch (op.kind) {
    case 'remove-member': return 'seat';
    case 'cancel-invite': return 'invite';
    case 'unassign-asset': return 'grant';
    case 'assign-asset': return op.effect === 'downgrade' ? 'grant' : undefined;
    case 'change-member-role': case 'change-invite-role': return op.effect === 'downgrade' ? 'role' : undefined;
    default: return undefined;
  }
}

/** One kind's count against the people it can reach. */
export interface KindJudgement {
  kind: Exclude<AccessRemovalKind, 'seat'>;
  /** The people (member or invite rows) this batch takes that kind of access from, each once, not let through already. */
  people: number;
  /** The hub's people: human members and pending invites (with those gone since, let through in the window). */
  base: number;
  share: number;
  /** The people let through earlier in the window for this kind (counted in `share`). */
  earlier: number;
  exceeds: boolean;
}

/**
 * Would these operations take asset grants, a role or a pending invite from more than `percent`
 * of the hub's people (human members and pending invites)? Each kind is judged on its own, by the
 * people it reaches (a person losing three assets counts once), so the brake names what tripped
 * it. Seats keep their own judgement (exceedsRemovalThreshold, against the members). `earlier`:
 * each kind's people let through in the threshold's window (removal-window.ts), counted with the
 * batch as seats' are, so the IdP sending a mass deactivation one person at a time halts too;
 * `stillListed`: those still in `people` (a person keeps their seat when a grant or role goes).
 */
export function exceedsAccessThreshold(ops: readonly Operation[], people: number, percent: number, earlier: Partial<Record<KindJudgement['kind'], EarlierRemovals>> = {}): KindJudgement[] {
  const reached = new Map<KindJudgement['kind'], Set<string>>([['grant', new Set()], ['role', new Set()], ['invite', new Set()]]);
  for (const op of ops) {
    const kind = accessRemovalKindOf(op);
    if (!kind || kind === 'seat') continue;
    const row = memberRowOf(op) ?? op.key;
    if (!earlier[kind]?.memberIds.has(row)) reached.get(kind)!.add(row);
  }
  return [...reached].map(([kind, rows]) => {
    const e = earlier[kind];
    const before = e ? e.memberIds.size + e.unnamed : 0;
    const base = people + before - (e?.stillListed ?? 0);
    const total = rows.size + before;
    const share = base === 0 ? (rows.size > 0 ? 100 : 0) : (total / base) * 100;
    return { kind, people: rows.size, base, share, earlier: before, exceeds: rows.size > 0 && share > percent };
  });
}
