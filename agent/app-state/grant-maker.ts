import type { AppAssignmentRecord } from './records.ts';

/**
 * Who made a grant listed in the app (AppAssignmentRecord.madeBy), the one rule a check for
 * updates (check-for-updates/snapshot.ts) and a person's re-read (tasks/operations/
 * person-refresh.ts) apply: what its stored record said, when there was one (none, for a record
 * of an earlier release, stays none: counted as hubwarden's); else hubwarden, when it came with a
 * seat first seen now that accepted an invite hubwarden sent (an invite can carry assets); else
 * someone else (the first import, or a grant made by hand).
 */
export function grantMadeBy(
  key: string,
  a: { userId: string; userType: string },
  madeBefore: ReadonlyMap<string, AppAssignmentRecord['madeBy']>,
  invitedByHubwarden: ReadonlySet<string>,
): AppAssignmentRecord['madeBy'] {
  if (madeBefore.has(key)) return madeBefore.get(key);
  return a.userType === 'member' && invitedByHubwarden.has(a.userId) ? 'hubwarden' : 'other';
}
