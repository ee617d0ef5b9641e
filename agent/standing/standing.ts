import type { AppInviteRecord, AppMemberRecord, ExemptionRecord, MemberMatchRecord } from '../app-state/records.ts';
import { collect, type ReadView, type Store } from '../store/store.ts';
import { INDEX, isDeactivatedUser, matchingEmailsOf, type DirectoryUserRecord } from '../desired-state/directory-records.ts';
import { exemptionInForce, exemptionsInForce } from './exemption.ts';
import { inviteIdOf, inviteRowId, rowKindOf, type RowKind } from './row-ids.ts';
import { offerStatusAt, type OfferRecord } from '../offers/offer-record.ts';
import { emailKey } from '../matching/email-key.ts';
import { claimantAmong } from '../matching/claimant.ts';
import { inviteStatusAt } from '../app-state/invite-status.ts';

/**
 * A person's standing in a hub, decided in one place. The members view, write-back, the SCIM
 * user extension and the plan's exemption rule all read it; each surface only renames the
 * result into its published words (`toScimStatus`, write-back's attributes, `rowStatus`).
 *
 * Standing, the first that applies to the rows matched to the directory user:
 * - `exempted`: an exemption in force on one of the rows, or matching said exempted;
 * - `onboarded`: an app member matched to them;
 * - `invited`: a pending invite matched to them; `invite-lapsed`: an expired or declined one (or
 *   one past the expiry hubwarden knows at `now`, as the members view counts it: inviteStatusAt);
 * - `guest` / `unmatched`: a row an owner matched to them with that outcome;
 * - `offered`: no row, and an open offer (a claim team's seat, agent/offers) waits for their claim;
 * - `unmatched` too: no row, and they are a candidate of a row matching left disputed (several
 *   directory users claim its email, match-members.ts): the seat may be theirs, an owner decides;
 * - `none`: no row.
 */
export type Standing = 'exempted' | 'onboarded' | 'invited' | 'invite-lapsed' | 'guest' | 'unmatched' | 'offered' | 'none';

export interface PersonStanding {
  standing: Standing;
  /** The app role held: the member's, else a pending invite's; none for `invite-lapsed` (see `invite.role`). */
  appRole?: string;
  /** The exemption in force, when exempted by one. */
  exemption?: Readonly<ExemptionRecord>;
  /** The invite behind `invited` / `invite-lapsed` (status, re-sends). */
  invite?: Readonly<AppInviteRecord>;
  /** The member row ids matched to the person (member id, `invite:<id>`). */
  rows: string[];
  /** A candidate of a row matching left disputed (not among `rows`: no one's yet), whatever else they hold. */
  disputedCandidate?: true;
}

/** One row matched to a person, with what the snapshot holds for it. */
export interface MatchedRow {
  rowId: string;
  outcome: MemberMatchRecord['outcome'];
  member?: Readonly<AppMemberRecord>;
  invite?: Readonly<AppInviteRecord>;
  exemption?: Readonly<ExemptionRecord>;
}

/**
 * Pure: the standing of a person from their matched rows (exemptions already filtered to those in
 * force), whether an open offer waits for them, and whether they are a candidate of a disputed
 * row (`disputedCandidate`: the row is not matched to them, so it is not among `rows`). `now`: an
 * invite recorded pending past its expiry is lapsed (without it, the recorded status stands).
 */
export function decideStanding(rows: readonly MatchedRow[], openOffer = false, disputedCandidate = false, now?: Date | number | string): PersonStanding {
  const s = standingOf(rows, openOffer, disputedCandidate, now === undefined ? undefined : new Date(now).toISOString());
  return disputedCandidate ? { ...s, disputedCandidate: true } : s;
}

function standingOf(rows: readonly MatchedRow[], openOffer: boolean, disputedCandidate: boolean, now: string | undefined): PersonStanding {
  const ids = rows.map((r) => r.rowId);
  const live = (i: Readonly<AppInviteRecord> | undefined) => i !== undefined && (now === undefined ? i.status : inviteStatusAt(i, now)) === 'pending';
  const member = rows.find((r) => r.member)?.member;
  const pending = rows.find((r) => live(r.invite))?.invite;
  const heldRole = member?.role ?? pending?.role;
  const exempt = rows.find((r) => r.exemption || r.outcome === 'exempted');
  if (exempt) return strip({ standing: 'exempted', appRole: heldRole, exemption: rows.find((r) => r.exemption)?.exemption, rows: ids });
  const seated = rows.filter((r) => r.outcome === 'onboarded');
  const seat = seated.find((r) => r.member);
  if (seat) return { standing: 'onboarded', appRole: seat.member!.role, rows: ids };
  const invite = seated.find((r) => live(r.invite))?.invite ?? seated.find((r) => r.invite)?.invite
    ?? rows.find((r) => r.outcome === 'unmatched' && r.invite)?.invite;
  // A lapsed invite holds no seat and no invitation is pending: no role is held (the role it was
  // sent with stays on `invite`). Write-back clears it for `lapsed` (docs/writeback-values.md);
  // the SCIM extension showed it, as if the person held it.
  if (invite) return live(invite) ? { standing: 'invited', appRole: invite.role, invite, rows: ids } : { standing: 'invite-lapsed', invite, rows: ids };
  const other = rows.find((r) => r.outcome === 'guest') ?? rows.find((r) => r.outcome === 'unmatched');
  if (other) return strip({ standing: other.outcome as 'guest' | 'unmatched', appRole: heldRole, rows: ids });
  if (openOffer) return { standing: 'offered', rows: ids };
  // Not `none`: the SCIM extension said not_in_hub of a seat still in the app, while write-back
  // kept what it last wrote (writeback/compute.ts) until an owner decides.
  return { standing: disputedCandidate ? 'unmatched' : 'none', rows: ids };
}

/** The snapshot's records of one row (`records` finds them by key), with its exemption when in force at `now`. */
function rowOf(records: RowRecords, rowId: string, outcome: MemberMatchRecord['outcome'], exemption: Readonly<ExemptionRecord> | undefined): MatchedRow {
  const inviteId = inviteIdOf(rowId);
  const row: MatchedRow = { rowId, outcome };
  if (inviteId !== undefined) {
    const invite = records.invite(inviteId);
    if (invite) row.invite = invite;
  } else if (rowKindOf(rowId) === 'member') {
    const member = records.member(rowId);
    if (member) row.member = member;
  }
  if (exemption) row.exemption = exemption;
  return row;
}

interface RowRecords {
  member(id: string): Readonly<AppMemberRecord> | undefined;
  invite(id: string): Readonly<AppInviteRecord> | undefined;
}

/** The member and invite records of some rows, read by key. */
async function recordsOfRows(view: ReadView, hubId: string, rowIds: readonly string[]): Promise<RowRecords> {
  const members = new Map<string, Readonly<AppMemberRecord>>();
  const invites = new Map<string, Readonly<AppInviteRecord>>();
  for (const rowId of rowIds) {
    const inviteId = inviteIdOf(rowId);
    if (inviteId !== undefined) {
      const invite = await view.get('appInvites', hubId, inviteId);
      if (invite) invites.set(inviteId, invite);
    } else if (rowKindOf(rowId) === 'member') {
      const member = await view.get('appMembers', hubId, rowId);
      if (member) members.set(rowId, member);
    }
  }
  return { member: (id) => members.get(id), invite: (id) => invites.get(id) };
}

/**
 * `${hubId}\0${directoryUserId}` → the member rows matched to that directory user. One index for
 * standing and the plan (person-input.ts): until 2026-12 each defined its own with the same keys,
 * so every match was filed twice (9,000 index entries more in a 10,000-member hub's first check).
 * The retired name's entries stay in a PostgreSQL store until deleted (docs/operations.md).
 */
export const MATCH_BY_DIRECTORY_USER = 'memberMatches.directoryUser';
export const OFFER_BY_DIRECTORY_USER = 'standing.offers.directoryUser';

/**
 * `${hubId}\0${directoryUserId}` → the automatic matches disputing a row between that directory
 * user and others (match-members.ts): a candidate's standing is `unmatched`, not `none`, and their
 * own plan sees the row (person-input.ts). One index for both.
 */
export const DISPUTED_BY_CANDIDATE = 'memberMatches.candidate';

/**
 * The disputed-rows index (see DISPUTED_BY_CANDIDATE). Disputed rows only (rare): a row matched
 * to a person whose email then changed in the IdP, and claimed by another user's email since, is
 * still possibly theirs. The key function's text is the one the plan defined it with before
 * (a PostgreSQL store rebuilds an index whose key function changed, indexes.ts).
 */
export function defineDisputeIndex(store: Store): void {
  store.defineIndex('memberMatches', DISPUTED_BY_CANDIDATE, (m, hub) => (m.outcome === 'unmatched' && !m.manual ? (m.candidates ?? []).map((c) => `${hub}\u0000${c}`) : []));
}

/** The member-matches index by directory user (see MATCH_BY_DIRECTORY_USER). */
export function defineMatchIndex(store: Store): void {
  store.defineIndex('memberMatches', MATCH_BY_DIRECTORY_USER, (m, hub) => (m.directoryUserId ? [`${hub}\u0000${m.directoryUserId}`] : []));
}

/** `${hubId}\0${emailKey(email)}` → app members / invites (the plan's PERSON_INDEX names them too). */
export const MEMBER_BY_EMAIL = 'appMembers.email';
export const INVITE_BY_EMAIL = 'appInvites.email';

/** The app members' and invites' email indexes (the plan's and standing's). */
export function defineRowEmailIndexes(store: Store): void {
  // `uses`: a PostgreSQL store rebuilds both when emailKey changes (store/postgres/indexes.ts).
  store.defineIndex('appMembers', MEMBER_BY_EMAIL, (m, hub) => (m.email ? [`${hub}\u0000${emailKey(m.email)}`] : []), { uses: [emailKey] });
  store.defineIndex('appInvites', INVITE_BY_EMAIL, (i, hub) => [`${hub}\u0000${emailKey(i.email)}`], { uses: [emailKey] });
}

/**
 * The indexes `standingOfUser` reads (memberMatches and offers by directory user, members and
 * invites by email); define once per store, with `defineDirectoryIndexes`.
 */
export function defineStandingIndexes(store: Store): void {
  defineMatchIndex(store);
  defineRowEmailIndexes(store);
  store.defineIndex('offers', OFFER_BY_DIRECTORY_USER, (o, hub) => [`${hub}\u0000${o.directoryUserId}`]);
  defineDisputeIndex(store);
}

/** A row matching left disputed between several directory users (match-members.ts), an owner to decide. */
export const isDisputed = (m: Readonly<MemberMatchRecord>): boolean => m.outcome === 'unmatched' && !m.manual && (m.candidates?.length ?? 0) > 0;

const isOpen = (now: Date | number | string) => (o: Readonly<OfferRecord>) => offerStatusAt(o, now) === 'offered';

/** One directory user's standing (needs `defineStandingIndexes`): O(their rows), read by index and key. */
export async function standingOfUser(view: ReadView, hubId: string, userId: string, now: Date | number | string, user?: Readonly<DirectoryUserRecord>): Promise<PersonStanding> {
  // The lookups at once: outside a transaction each is a database round trip. `user`, when the
  // caller holds the record (a SCIM response), spares reading it before its emails' rows.
  const [matches, offers, disputes, byEmail] = await Promise.all([
    view.lookup('memberMatches', MATCH_BY_DIRECTORY_USER, `${hubId}\u0000${userId}`),
    view.lookup('offers', OFFER_BY_DIRECTORY_USER, `${hubId}\u0000${userId}`),
    view.lookupFields('memberMatches', DISPUTED_BY_CANDIDATE, `${hubId}\u0000${userId}`, ['memberId']),
    (user ? Promise.resolve(user) : view.get('directoryUsers', hubId, userId)).then((u) => (u ? rowsByEmailOf(view, hubId, u) : [])),
  ]);
  const undecided = await undecidedRowsOf(view, hubId, userId, byEmail, new Set(matches.map((m) => m.memberId)));
  const records = await recordsOfRows(view, hubId, [...matches.map((m) => m.memberId), ...undecided]);
  const rows: MatchedRow[] = [];
  const row = async (rowId: string, outcome: MemberMatchRecord['outcome']) => {
    const exemption = await view.get('exemptions', hubId, rowId);
    rows.push(rowOf(records, rowId, outcome, exemptionInForce(exemption, now) ? exemption : undefined));
  };
  for (const m of matches) await row(m.memberId, m.outcome);
  for (const rowId of undecided) await row(rowId, 'onboarded');
  return decideStanding(rows, offers.some(isOpen(now)), disputes.length > 0, now);
}

/**
 * The rows matching has not decided yet (no memberMatches record: an invite the agent sent a
 * moment ago, `pending:<email>` or Meta's id, agent/tasks/operations/snapshot-update.ts) that
 * carry one of the user's matching emails, when no other directory user claims that email (`claimantOf`): the rule
 * `standingsOfHub` applies, so the user's standing (SCIM extension, My access) and the hub's
 * (write-back) agree that a sent invite is `invited` (README "Try it", docs/writeback.md): Meta
 * answers the invite's POST at once and the invitation is pending from then on
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users).
 * Members first, then invites, as `standingsOfHub` adds them.
 */
async function undecidedRowsOf(view: ReadView, hubId: string, userId: string, found: readonly RowsByEmail[], matched: ReadonlySet<string>): Promise<string[]> {
  const candidates: Array<[string, string]> = [];
  for (const kind of ['members', 'invites'] as const) {
    for (const f of found) for (const rowId of f[kind]) if (!matched.has(rowId) && !candidates.some(([r]) => r === rowId)) candidates.push([rowId, f.email]);
  }
  if (candidates.length === 0) return [];
  const decided = await view.hasMany('memberMatches', hubId, candidates.map(([r]) => r));
  const undecided = candidates.filter((_, n) => !decided[n]);
  // Each email's holder once per pass: a member and an invite often carry the same email.
  const emails = [...new Set(undecided.map(([, email]) => email))];
  const holders = new Map(await Promise.all(emails.map(async (email) => [email, await claimantOfEmail(view, hubId, email)] as const)));
  return undecided.filter(([, email]) => holders.get(email) === userId).map(([rowId]) => rowId);
}

interface RowsByEmail {
  email: string;
  members: string[];
  invites: string[];
}

/** The member and invite row ids carrying each of the user's matching emails (trimmed, lower-cased). */
function rowsByEmailOf(view: ReadView, hubId: string, user: Readonly<DirectoryUserRecord>): Promise<RowsByEmail[]> {
  const emails = [...new Set(matchingEmailsOf(user).map(emailKey))].filter((e) => e !== '');
  return Promise.all(emails.map(async (email) => {
    const key = `${hubId}\u0000${email}`;
    const [members, invites] = await Promise.all([view.lookup('appMembers', MEMBER_BY_EMAIL, key), view.lookup('appInvites', INVITE_BY_EMAIL, key)]);
    return { email, members: members.map((m) => m.id), invites: invites.map((i) => inviteRowId(i.id)) };
  }));
}

/**
 * The directory user whose matching emails include `email` (lower-cased, `emailKey`) and who claims
 * it (`claimantOf`), or undefined: whose an undecided row carrying the email is. Standing counts
 * such a row only for this user, and My access lists it only for them (agent/access/my-access.ts).
 */
export async function claimantOfEmail(view: ReadView, hubId: string, email: string): Promise<string | undefined> {
  const key = `${hubId}\u0000${email}`;
  const [byEmail, byUserName] = await Promise.all([view.lookup('directoryUsers', INDEX.userByEmail, key), view.lookup('directoryUsers', INDEX.userByUserName, key)]);
  const holders = new Map<string, Readonly<DirectoryUserRecord>>();
  for (const u of [...byEmail, ...byUserName]) if (matchingEmailsOf(u).some((e) => emailKey(e) === email)) holders.set(u.id, u);
  return claimantOf([...holders.values()]);
}

/**
 * Whose a row not matched yet is, of the directory users having its email: the only one, or the
 * only one of several the IdP has not deactivated (a leaver and their rehire), as matching
 * (match-members.ts `SOLE_ACTIVE`) and the plan (plan.ts, an email only one user claims) decide.
 * Counting the deactivated leaver too, the invite the plan had just sent the rehire was no one's
 * here: write-back, the SCIM extension and My access said the rehire had no seat while the plan
 * counted them invited.
 */
function claimantOf(holders: ReadonlyArray<Readonly<DirectoryUserRecord>>): string | undefined {
  return claimantAmong(holders, isDeactivatedUser)?.id;
}

/**
 * Every directory user's standing in the hub, in one pass: O(rows + users), one listing of each
 * collection it needs. Rows matching has not decided yet (an invite sent a moment ago) are
 * matched by email, case-insensitively, when exactly one directory user claims it (`claimantOf`), so the answer
 * does not wait for the next matching.
 */
export async function standingsOfHub(view: ReadView, hubId: string, now: Date | number | string): Promise<Map<string, PersonStanding>> {
  const { byRow: exemptions } = await exemptionsInForce(view, hubId, now);
  // The snapshot's members and invites, by key (each matched row's record, without a read per row).
  const members = new Map<string, Readonly<AppMemberRecord>>();
  for await (const m of view.list('appMembers', hubId)) members.set(m.id, m);
  const invites = new Map<string, Readonly<AppInviteRecord>>();
  for await (const i of view.list('appInvites', hubId)) invites.set(i.id, i);
  const records: RowRecords = { member: (id) => members.get(id), invite: (id) => invites.get(id) };
  const rowsByUser = new Map<string, MatchedRow[]>();
  const add = (userId: string, row: MatchedRow) => {
    const list = rowsByUser.get(userId);
    if (list) list.push(row);
    else rowsByUser.set(userId, [row]);
  };
  const decided = new Set<string>();
  const candidates = new Set<string>();
  for await (const m of view.list('memberMatches', hubId)) {
    decided.add(m.memberId);
    if (m.directoryUserId) add(m.directoryUserId, rowOf(records, m.memberId, m.outcome, exemptions.get(m.memberId)));
    if (isDisputed(m)) for (const c of m.candidates!) candidates.add(c);
  }
  const byEmail = new Map<string, Array<Readonly<DirectoryUserRecord>>>();
  const users = await collect(view.list('directoryUsers', hubId));
  // The emails matching uses (agent/matching: a userName when no email was sent; trimmed, lower-cased).
  for (const u of users) for (const e of new Set(matchingEmailsOf(u).map(emailKey))) byEmail.set(e, [...(byEmail.get(e) ?? []), u]);
  const undecided: Array<[string, string | undefined]> = [];
  for (const m of members.values()) undecided.push([m.id, m.email]);
  for (const i of invites.values()) undecided.push([inviteRowId(i.id), i.email]);
  for (const [rowId, email] of undecided) {
    if (decided.has(rowId) || !email) continue;
    const holder = claimantOf(byEmail.get(emailKey(email)) ?? []);
    if (holder !== undefined) add(holder, rowOf(records, rowId, 'onboarded', exemptions.get(rowId)));
  }
  const offered = new Set<string>();
  for await (const o of view.list('offers', hubId)) if (isOpen(now)(o)) offered.add(o.directoryUserId);
  const out = new Map<string, PersonStanding>();
  for (const u of users) out.set(u.id, decideStanding(rowsByUser.get(u.id) ?? [], offered.has(u.id), candidates.has(u.id), now));
  return out;
}

/**
 * The members view's status of one row: a matched invite shows as `invited` while pending, and as
 * `lapsed` once it is not (`invitePending` false: expired, declined, gone from the app's pending
 * invites; the standing's `invite-lapsed`). A lapsed invite holds no seat: counted apart.
 */
export function rowStatus(outcome: MemberMatchRecord['outcome'], kind: RowKind, invitePending = true): 'onboarded' | 'invited' | 'lapsed' | 'unmatched' | 'guest' | 'exempted' {
  if (outcome === 'onboarded' && kind === 'invite') return invitePending ? 'invited' : 'lapsed';
  return outcome;
}

/**
 * The SCIM user extension's published words (scim-server/scim/attributes.ts HUB_ATTRIBUTES). A
 * lapsed invite is `lapsed`, as in the members view (`rowStatus`): no seat, and no invitation
 * pending; published as `pending_invite` before, an IdP's rule on it took it for one.
 */
export function toScimStatus(standing: Standing): 'exempted' | 'onboarded' | 'pending_invite' | 'lapsed' | 'guest' | 'unmatched' | 'offered' | 'not_in_hub' {
  switch (standing) {
    case 'invited': return 'pending_invite';
    case 'invite-lapsed': return 'lapsed';
    case 'none': return 'not_in_hub';
    default: return standing;
  }
}

function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}
