import type { AppInviteRecord, AppMemberRecord, ExemptionRecord, MemberMatchRecord } from '../app-state/records.ts';
import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import type { ReadView } from '../store/store.ts';
import type { WritebackValues } from './attributes.ts';
import { failedInviteUsers } from './invite-failures.ts';
import type { WritebackStateRecord } from './writeback-state.ts';

/**
 * What each directory user of a hub should carry in the IdP (issue 5, item 4). Pure: reads the
 * store view only. Per user, the first that applies:
 *
 * - `exempted`: an owner exempted the app member matched to them (exemption not lapsed).
 * - `onboarded`: matched to an app member (role = the member's app role).
 * - `invited`: matched to a pending invite (role = the invited role). An invite that expired or
 *   was declined and was already re-sent once counts as failed (issue 5, item 3: re-sent once, then reported).
 * - `invite_failed`: the latest invite task for them failed, or the case above.
 * - `removed`: deactivated in the IdP, or they held a seat (last written onboarded/invited/exempted) and no longer do.
 * - `pending`: everyone else (assigned to the hub, no seat yet).
 *
 * Matching is read from `memberMatches` (agent/matching); app members and invites that matching
 * has not decided yet are matched by email, case-insensitively, so write-back does not wait for it.
 */
export function computeWriteback(hubId: string, view: ReadView, now: Date = new Date()): Map<string, WritebackValues> {
  const members = new Map<string, Readonly<AppMemberRecord>>();
  for (const m of view.list('appMembers', hubId)) members.set(m.id, m);
  const invites = new Map<string, Readonly<AppInviteRecord>>();
  for (const i of view.list('appInvites', hubId)) invites.set(`invite:${i.id}`, i);
  const exemptions = new Map<string, Readonly<ExemptionRecord>>();
  for (const e of view.list('exemptions', hubId)) if (!e.until || Date.parse(e.until) > now.getTime()) exemptions.set(e.memberId, e);

  // Row ids (member id, invite:<id>) matched to each directory user.
  const rowsByUser = new Map<string, string[]>();
  const decided = new Set<string>();
  const add = (userId: string, rowId: string) => rowsByUser.set(userId, [...(rowsByUser.get(userId) ?? []), rowId]);
  for (const match of view.list('memberMatches', hubId)) {
    decided.add(match.memberId);
    if (match.directoryUserId && (match.outcome === 'onboarded' || match.outcome === 'exempted')) add(match.directoryUserId, match.memberId);
  }
  const users = [...view.list('directoryUsers', hubId)];
  const byEmail = emailIndex(users);
  const undecided = [...members.values()].map((m) => [m.id, m.email] as const).concat([...invites].map(([rowId, i]) => [rowId, i.email] as const));
  for (const [rowId, email] of undecided) {
    if (decided.has(rowId) || !email) continue;
    const candidates = byEmail.get(email.toLowerCase()) ?? [];
    if (candidates.length === 1) add(candidates[0]!, rowId);
  }

  const failedInvites = failedInviteUsers(view, hubId, users);
  const out = new Map<string, WritebackValues>();
  for (const user of users) {
    const rows = rowsByUser.get(user.id) ?? [];
    const previous = view.get('writebackState', hubId, user.id) as Readonly<WritebackStateRecord> | undefined;
    out.set(user.id, valuesFor(user, rows, { members, invites, exemptions, matches: view, hubId }, failedInvites.has(user.id), previous?.written?.status));
  }
  return out;
}

interface Lookup {
  members: Map<string, Readonly<AppMemberRecord>>;
  invites: Map<string, Readonly<AppInviteRecord>>;
  exemptions: Map<string, Readonly<ExemptionRecord>>;
  matches: ReadView;
  hubId: string;
}

const SEATED = new Set(['onboarded', 'invited', 'exempted']);

function valuesFor(user: Readonly<DirectoryUserRecord>, rows: string[], l: Lookup, inviteFailed: boolean, lastStatus: string | undefined): WritebackValues {
  const member = rows.map((r) => l.members.get(r)).find((m) => m !== undefined);
  const invite = rows.map((r) => l.invites.get(r)).find((i) => i !== undefined);
  const exemption = rows.map((r) => l.exemptions.get(r)).find((e) => e !== undefined);
  const exemptedMatch = rows.some((r) => (l.matches.get('memberMatches', l.hubId, r) as Readonly<MemberMatchRecord> | undefined)?.outcome === 'exempted');
  const heldRole = member?.role ?? (invite?.status === 'pending' ? invite.role : '');

  if (exemption || exemptedMatch) return { status: 'exempted', role: heldRole, exemption: exemption?.reason ?? '' };
  if (!user.active) return { status: 'removed', role: '', exemption: '' };
  if (member) return { status: 'onboarded', role: member.role, exemption: '' };
  if (invite?.status === 'pending') return { status: 'invited', role: invite.role, exemption: '' };
  if (inviteFailed || (invite && (invite.status === 'expired' || invite.status === 'declined') && invite.resendCount >= 1)) {
    return { status: 'invite_failed', role: '', exemption: '' };
  }
  if (invite && (invite.status === 'expired' || invite.status === 'declined')) return { status: 'invited', role: invite.role, exemption: '' };
  if (lastStatus === 'removed' || (lastStatus !== undefined && SEATED.has(lastStatus))) return { status: 'removed', role: '', exemption: '' };
  return { status: 'pending', role: '', exemption: '' };
}

function emailIndex(users: ReadonlyArray<Readonly<DirectoryUserRecord>>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const u of users) {
    for (const e of new Set(u.emails.map((x) => x.toLowerCase()))) out.set(e, [...(out.get(e) ?? []), u.id]);
  }
  return out;
}
