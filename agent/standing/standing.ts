import type { AppInviteRecord, AppMemberRecord, ExemptionRecord, MemberMatchRecord } from '../app-state/records.ts';
import type { Store, ReadView } from '../store/store.ts';
import { exemptionInForce, exemptionsInForce } from './exemption.ts';
import { inviteIdOf, inviteRowId, rowKindOf, type RowKind } from './row-ids.ts';

/**
 * A person's standing in a hub, decided in one place. The members view, write-back, the SCIM
 * user extension and the plan's exemption rule all read it; each surface only renames the
 * result into its published words (`toScimStatus`, write-back's attributes, `rowStatus`).
 *
 * Standing, the first that applies to the rows matched to the directory user:
 * - `exempted`: an exemption in force on one of the rows, or matching said exempted;
 * - `onboarded`: an app member matched to them;
 * - `invited`: a pending invite matched to them; `invite-lapsed`: an expired or declined one;
 * - `guest` / `unmatched`: a row an owner matched to them with that outcome;
 * - `none`: no row.
 */
export type Standing = 'exempted' | 'onboarded' | 'invited' | 'invite-lapsed' | 'guest' | 'unmatched' | 'none';

export interface PersonStanding {
  standing: Standing;
  /** The app role held: the member's, else a pending invite's; for `invite-lapsed`, the role invited to. */
  appRole?: string;
  /** The exemption in force, when exempted by one. */
  exemption?: Readonly<ExemptionRecord>;
  /** The invite behind `invited` / `invite-lapsed` (status, re-sends). */
  invite?: Readonly<AppInviteRecord>;
  /** The member row ids matched to the person (member id, `invite:<id>`). */
  rows: string[];
}

/** One row matched to a person, with what the snapshot holds for it. */
export interface MatchedRow {
  rowId: string;
  outcome: MemberMatchRecord['outcome'];
  member?: Readonly<AppMemberRecord>;
  invite?: Readonly<AppInviteRecord>;
  exemption?: Readonly<ExemptionRecord>;
}

/** Pure: the standing of a person from their matched rows (exemptions already filtered to those in force). */
export function decideStanding(rows: readonly MatchedRow[]): PersonStanding {
  const ids = rows.map((r) => r.rowId);
  const member = rows.find((r) => r.member)?.member;
  const pending = rows.find((r) => r.invite?.status === 'pending')?.invite;
  const heldRole = member?.role ?? pending?.role;
  const exempt = rows.find((r) => r.exemption || r.outcome === 'exempted');
  if (exempt) return strip({ standing: 'exempted', appRole: heldRole, exemption: rows.find((r) => r.exemption)?.exemption, rows: ids });
  const seated = rows.filter((r) => r.outcome === 'onboarded');
  const seat = seated.find((r) => r.member);
  if (seat) return { standing: 'onboarded', appRole: seat.member!.role, rows: ids };
  const invite = seated.find((r) => r.invite?.status === 'pending')?.invite ?? seated.find((r) => r.invite)?.invite
    ?? rows.find((r) => r.outcome === 'unmatched' && r.invite)?.invite;
  if (invite) return { standing: invite.status === 'pending' ? 'invited' : 'invite-lapsed', appRole: invite.role, invite, rows: ids };
  const other = rows.find((r) => r.outcome === 'guest') ?? rows.find((r) => r.outcome === 'unmatched');
  if (other) return strip({ standing: other.outcome as 'guest' | 'unmatched', appRole: heldRole, rows: ids });
  return { standing: 'none', rows: ids };
}

/** The snapshot's records of one row, with its exemption when in force at `now`. */
function rowOf(view: ReadView, hubId: string, rowId: string, outcome: MemberMatchRecord['outcome'], exemption: Readonly<ExemptionRecord> | undefined): MatchedRow {
  const inviteId = inviteIdOf(rowId);
  const row: MatchedRow = { rowId, outcome };
  if (inviteId !== undefined) {
    const invite = view.get('appInvites', hubId, inviteId);
    if (invite) row.invite = invite;
  } else if (rowKindOf(rowId) === 'member') {
    const member = view.get('appMembers', hubId, rowId);
    if (member) row.member = member;
  }
  if (exemption) row.exemption = exemption;
  return row;
}

export const MATCH_BY_DIRECTORY_USER = 'standing.memberMatches.directoryUser';

/** The index `standingOfUser` reads (memberMatches by directory user); define once per store. */
export function defineStandingIndexes(store: Store): void {
  store.defineIndex('memberMatches', MATCH_BY_DIRECTORY_USER, (m, hub) => (m.directoryUserId ? [`${hub}\u0000${m.directoryUserId}`] : []));
}

/** One directory user's standing (needs `defineStandingIndexes`): O(their rows). */
export function standingOfUser(view: ReadView, hubId: string, userId: string, now: Date | number | string): PersonStanding {
  const matches = view.lookup('memberMatches', MATCH_BY_DIRECTORY_USER, `${hubId}\u0000${userId}`);
  return decideStanding(matches.map((m) => {
    const exemption = view.get('exemptions', hubId, m.memberId);
    return rowOf(view, hubId, m.memberId, m.outcome, exemptionInForce(exemption, now) ? exemption : undefined);
  }));
}

/**
 * Every directory user's standing in the hub, in one pass: O(rows + users). Rows matching has not
 * decided yet (an invite sent a moment ago) are matched by email, case-insensitively, when exactly
 * one directory user has it, so the answer does not wait for the next matching.
 */
export function standingsOfHub(view: ReadView, hubId: string, now: Date | number | string): Map<string, PersonStanding> {
  const { byRow: exemptions } = exemptionsInForce(view, hubId, now);
  const rowsByUser = new Map<string, MatchedRow[]>();
  const add = (userId: string, row: MatchedRow) => {
    const list = rowsByUser.get(userId);
    if (list) list.push(row);
    else rowsByUser.set(userId, [row]);
  };
  const decided = new Set<string>();
  for (const m of view.list('memberMatches', hubId)) {
    decided.add(m.memberId);
    if (m.directoryUserId) add(m.directoryUserId, rowOf(view, hubId, m.memberId, m.outcome, exemptions.get(m.memberId)));
  }
  const byEmail = new Map<string, string[]>();
  const users = [...view.list('directoryUsers', hubId)];
  for (const u of users) for (const e of new Set(u.emails.map((x) => x.toLowerCase()))) byEmail.set(e, [...(byEmail.get(e) ?? []), u.id]);
  const undecided: Array<[string, string | undefined]> = [];
  for (const m of view.list('appMembers', hubId)) undecided.push([m.id, m.email]);
  for (const i of view.list('appInvites', hubId)) undecided.push([inviteRowId(i.id), i.email]);
  for (const [rowId, email] of undecided) {
    if (decided.has(rowId) || !email) continue;
    const candidates = byEmail.get(email.toLowerCase()) ?? [];
    if (candidates.length === 1) add(candidates[0]!, rowOf(view, hubId, rowId, 'onboarded', exemptions.get(rowId)));
  }
  const out = new Map<string, PersonStanding>();
  for (const u of users) out.set(u.id, decideStanding(rowsByUser.get(u.id) ?? []));
  return out;
}

/** The members view's status of one row: a matched invite shows as `invited`. */
export function rowStatus(outcome: MemberMatchRecord['outcome'], kind: RowKind): 'onboarded' | 'invited' | 'unmatched' | 'guest' | 'exempted' {
  return outcome === 'onboarded' && kind === 'invite' ? 'invited' : outcome;
}

/** The SCIM user extension's published words (scim-server/scim/attributes.ts HUB_ATTRIBUTES). */
export function toScimStatus(standing: Standing): 'exempted' | 'onboarded' | 'pending_invite' | 'guest' | 'unmatched' | 'not_in_hub' {
  switch (standing) {
    case 'invited': case 'invite-lapsed': return 'pending_invite';
    case 'none': return 'not_in_hub';
    default: return standing;
  }
}

function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}
