/**
 * What a finished check for updates found, as `hubwarden check` prints it after the task line:
 * members, invites, assets and drift, from the task's result (the run summary's counts; the
 * changes themselves are in the audit log).
 */
interface CheckResult {
  counts?: Partial<Record<'members' | 'invites' | 'systemUsers' | 'assets' | 'assignments' | 'partners' | 'partnerUsers', number>>;
  changes?: Partial<Record<'newMembers' | 'removedMembers' | 'roleChanges' | 'acceptedInvites' | 'expiredInvites' | 'declinedInvites' | 'drift', number>>;
  /** Seats (and invites) of a directory user holding another on the hub. */
  otherSeats?: number;
  graphCalls?: number;
  durationMs?: number;
}

const n = (value: number | undefined) => value ?? 0;

export function checkOutcome(result: unknown, hubId: string): string {
  const r = (result && typeof result === 'object' ? result : {}) as CheckResult;
  const c = r.changes ?? {};
  const read = r.counts ?? {};
  const lines = [
    `members: ${n(read.members)} read; ${n(c.newMembers)} new, ${n(c.removedMembers)} gone, ${n(c.roleChanges)} role change(s)`,
    `invites: ${n(read.invites)} listed; ${n(c.acceptedInvites)} accepted, ${n(c.expiredInvites)} expired, ${n(c.declinedInvites)} declined`,
    `assets:  ${n(read.assets)} asset(s), ${n(read.assignments)} assignment(s), ${n(read.partners)} partner(s)`,
    `drift:   ${n(c.drift)} change(s) made in the app, not by hubwarden${c.drift ? ` (hubwarden audit --hub ${hubId})` : ''}`,
  ];
  // One person holding two seats: nothing is removed for it, an owner looks (agent/members/other-seats.ts).
  if (r.otherSeats) lines.push(`seats:   ${r.otherSeats} held by a person who holds another (hubwarden members ${hubId} --other-seats)`);
  // The count is of every connector's HTTP calls (its `onCall`), a TikTok hub's too: worded as
  // the run summary words it, not after Meta's Graph API.
  if (r.durationMs !== undefined) lines.push(`took ${(r.durationMs / 1000).toFixed(1)} s, ${n(r.graphCalls)} call(s) to the app`);
  return lines.join('\n');
}
