/**
 * What a finished check for updates found, as `hubwarden check` prints it after the task line:
 * members, invites, assets and drift, from the task's result (the run summary's counts; the
 * changes themselves are in the audit log).
 */
import { fieldIs, isObject } from './answer.ts';
import { unexpectedAnswer } from './output.ts';

interface CheckResult {
  counts?: Partial<Record<'members' | 'invites' | 'systemUsers' | 'assets' | 'assignments' | 'partners' | 'partnerUsers', number>>;
  changes?: Partial<Record<'newMembers' | 'removedMembers' | 'roleChanges' | 'acceptedInvites' | 'expiredInvites' | 'declinedInvites' | 'drift', number>>;
  /** Seats (and invites) of a directory user holding another on the hub. */
  otherSeats?: number;
  graphCalls?: number;
  durationMs?: number;
}

/**
 * The result's numbers, each checked: a count of another kind was printed as `[object Object]
 * read`, and a durationMs of "5" as `took 0.0 s` (a string divided), exit 0 either way.
 */
function numbersOf(result: unknown): CheckResult {
  if (!isObject(result)) return {};
  const count = (value: unknown, field: string) => {
    if (value !== undefined && value !== null && (typeof value !== 'number' || !Number.isFinite(value))) throw unexpectedAnswer(fieldIs(`result.${field}`, value, 'a number'));
  };
  for (const group of ['counts', 'changes'] as const) {
    const numbers = result[group];
    if (numbers === undefined || numbers === null) continue;
    if (!isObject(numbers)) throw unexpectedAnswer(fieldIs(`result.${group}`, numbers, 'an object'));
    for (const [field, value] of Object.entries(numbers)) count(value, `${group}.${field}`);
  }
  for (const field of ['otherSeats', 'graphCalls', 'durationMs'] as const) count(result[field], field);
  return result as CheckResult;
}

const n = (value: number | undefined | null) => value ?? 0;

export function checkOutcome(result: unknown, hubId: string): string {
  const r = numbersOf(result);
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
  if (r.durationMs !== undefined && r.durationMs !== null) lines.push(`took ${(r.durationMs / 1000).toFixed(1)} s, ${n(r.graphCalls)} call(s) to the app`);
  return lines.join('\n');
}
