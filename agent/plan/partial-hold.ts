import type { HeldOperation, Operation } from './operation.ts';

/**
 * No access is taken away on a partial picture. A check for updates that could not read part of
 * the app keeps what it knew of that part (check-for-updates/snapshot.ts): the rows the plan
 * compares against may be stale. Removals are held by ./removal.ts; this holds the rest of what
 * lowers access: a role lowered, an asset's tasks lowered or unassigned. Grants and upgrades go.
 */

/** The sections of an app listing the last check for updates did not read in full (check-for-updates/run-check.ts `unavailable`). */
type Unread = { unavailable?: ReadonlyArray<{ section: string }> } | undefined;

/**
 * Whether the last import left asset holders unread in part: the assignments section failed, or
 * some assets' holders could not be read, or a managed asset type was listed only in part or not
 * at all (section `assets`). Each keeps its holders as last seen, so a grant missing from them
 * may be one the app no longer holds as it stands, or one added since.
 */
export function assignmentsUnreadIn(imported: Unread): boolean {
  return imported?.unavailable?.some((u) => u.section === 'assignments' || u.section === 'assets') === true;
}

/** What the hold is judged on: the plan's snapshot flags (plan.ts PlanActual). */
export interface PartialPicture {
  complete: boolean;
  membersHidden?: boolean;
  assignmentsUnread?: boolean;
}

export const MEMBERS_HIDDEN_LOWER_WHY = 'the app credential does not see every member (last check for updates): members it does not list are kept as last seen, so no access is lowered until it lists every member';
export const INCOMPLETE_LOWER_WHY = 'the app listing is incomplete (no complete check for updates yet): no access is lowered';
export const ASSIGNMENTS_UNREAD_WHY = 'the last check for updates could not read every asset assignment (the holders it could not read are kept as last seen): no asset access is lowered or unassigned until they are read in full';

/** The access-lowering operations (downgrades) a partial picture may not decide are moved to `held`. */
export function holdPartial(ops: readonly Operation[], picture: PartialPicture): { operations: Operation[]; held: HeldOperation[] } {
  const held: HeldOperation[] = [];
  const operations = ops.filter((op) => {
    // Removals are ./removal.ts's; an unassign is a downgrade (plan.ts), named too so it stays held if that changes.
    if (op.effect !== 'downgrade' && op.kind !== 'unassign-asset') return true;
    let why: string | undefined;
    if (!picture.complete) why = picture.membersHidden ? MEMBERS_HIDDEN_LOWER_WHY : INCOMPLETE_LOWER_WHY;
    else if (picture.assignmentsUnread && (op.kind === 'unassign-asset' || op.kind === 'assign-asset')) why = ASSIGNMENTS_UNREAD_WHY;
    if (why) held.push({ operation: op, why });
    return why === undefined;
  });
  return { operations, held };
}
