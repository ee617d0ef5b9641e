/**
 * Member row ids: the key of one row of a hub's members table (memberMatches, exemptions,
 * decisions). An app member's own id; `invite:<inviteId>` for an invite; `partner:<partner>:<user>`
 * for a partner's person. Spelt here only.
 */
const INVITE = 'invite:';
const PARTNER = 'partner:';

export const inviteRowId = (inviteId: string): string => `${INVITE}${inviteId}`;
export const partnerRowId = (partnerBusinessId: string, userId: string): string => `${PARTNER}${partnerBusinessId}:${userId}`;

/**
 * The `appRemovals` key of asset tasks the agent removed (assignment key `type:id:userId`): not a
 * row of the members table, but kept out of a stale reading the same way a removed row is.
 */
export const assignmentRemovalId = (assignmentKey: string): string => `assignment:${assignmentKey}`;

/** The invite id of an invite row, or undefined for any other row. */
export function inviteIdOf(rowId: string): string | undefined {
  return rowId.startsWith(INVITE) ? rowId.slice(INVITE.length) : undefined;
}

export type RowKind = 'member' | 'invite' | 'partner-user';

export function rowKindOf(rowId: string): RowKind {
  return rowId.startsWith(INVITE) ? 'invite' : rowId.startsWith(PARTNER) ? 'partner-user' : 'member';
}
