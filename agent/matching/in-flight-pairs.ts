import type { MemberMatchRecord } from '../app-state/records.ts';
import { emailKey } from './email-key.ts';
import type { DirectoryIdentity, MemberRow } from './match-members.ts';
import type { InFlightPair } from '../plan/removal-in-flight.ts';

/**
 * The (row, directory user) pairs whose removal being in flight can change a match
 * (match-members.ts `REMOVAL_IN_FLIGHT`): a row an earlier automatic match gave to a user now
 * inactive (deactivated, suspended, offboarded) or deleted, whose email another directory user has. Rare (a rehire), so matching a
 * hub of 50,000 rows reads the task queue for a handful of rows, not for every row.
 */
export function inFlightPairsOf(rows: readonly MemberRow[], users: readonly DirectoryIdentity[], previous: ReadonlyArray<Readonly<MemberMatchRecord>>): InFlightPair[] {
  const byId = new Map(users.map((u) => [u.id, u]));
  const holders = new Map<string, string[]>();
  for (const u of users) for (const e of new Set(u.emails.map(emailKey))) holders.set(e, [...(holders.get(e) ?? []), u.id]);
  const stored = new Map(previous.map((p) => [p.memberId, p]));
  const pairs: InFlightPair[] = [];
  for (const row of rows) {
    const m = stored.get(row.id);
    const leaving = m && !m.manual && m.outcome === 'onboarded' ? m.directoryUserId : undefined;
    if (leaving === undefined || row.email === undefined) continue;
    const user = byId.get(leaving);
    if (user && !user.inactive && !user.deactivated) continue;
    const others = (holders.get(emailKey(row.email)) ?? []).filter((id) => id !== leaving);
    if (others.length > 0) pairs.push({ rowId: row.id, directoryUserId: leaving, others });
  }
  return pairs;
}
