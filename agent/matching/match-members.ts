/**
 * Matching: how each person who holds (or was offered) a seat in the app relates to the hub's
 * directory (issue "Check for updates", item 2). A pure function: no store, no clock; the caller
 * passes `now`, so the table tests pin every case.
 *
 * Precedence, highest first:
 *   1. an owner's exemption that has not lapsed → `exempted` (never managed, never removed);
 *   2. an owner's manual decision (match to a directory user, or un-match) → survives re-imports;
 *   3. a partner's own person → `guest` (they belong to another business, not to our directory);
 *   4. email equal, case-insensitively, to an email of exactly one directory user → `onboarded`;
 *      more than one → `unmatched` and "disputed", with the candidates kept for the owner, unless
 *      exactly one of them is active (the others deactivated; a deleted user has no record):
 *      `onboarded` to that one (a rehire, `SOLE_ACTIVE`), except while the removal of the seat
 *      for the user it was matched to is in flight (`REMOVAL_IN_FLIGHT`: kept theirs until removed);
 *      no one → the directory user an earlier automatic match named (`previous`) while that
 *      user still exists: the IdP changed their email, the app still files the row under the old
 *      one, and the seat is still theirs, even when the email is also registered as a guest's
 *      (as a seat whose email names a directory user is); another user's email claiming the row makes it
 *      disputed, with both as candidates, until an owner decides;
 *   5. an email an owner registered as guest → `guest` (a row no directory user claims: a guest
 *      registration names an email, not a seat; an owner takes a seat from a directory user by
 *      un-matching that row, step 2);
 *   6. otherwise `unmatched`.
 * A lapsed exemption no longer counts: the member returns to matching and the exemption is
 * returned in `lapsedExemptions` so the caller reports (audits) and deletes it.
 */
import { exemptionInForce } from '../standing/exemption.ts';
import type { ExemptionRecord, GuestRecord, MemberMatchRecord } from '../app-state/records.ts';
import { emailKey } from './email-key.ts';
import { claimantAmong } from './claimant.ts';
import { inFlightKey } from '../plan/removal-in-flight.ts';

/** One row of the members table: an app member, a pending invite, or a partner's person. */
export interface MemberRow {
  /** App member id, `invite:<inviteId>`, or `partner:<businessId>:<userId>` (MemberMatchRecord key). */
  id: string;
  kind: 'member' | 'invite' | 'partner-user';
  email?: string;
}

export interface DirectoryIdentity {
  id: string;
  emails: readonly string[];
  /**
   * Deactivated in the directory (SCIM `active` false, RFC 7643 §4.1.1; not merely suspended or
   * offboarded: `isDeactivatedUser`): the person claims no seat by email any more. Absent: claims.
   */
  deactivated?: true;
  /** Not active in the directory for any reason (deactivated, suspended, offboarded: `isActiveUser` false). */
  inactive?: true;
}

export interface MatchingInput {
  hubId: string;
  /** ISO date-time; exemptions with `until` at or before it have lapsed. */
  now: string;
  rows: readonly MemberRow[];
  directoryUsers: readonly DirectoryIdentity[];
  guests: readonly Pick<GuestRecord, 'email'>[];
  exemptions: readonly ExemptionRecord[];
  /** Owners' decisions: memberMatches records with `manual: true`. */
  decisions: readonly MemberMatchRecord[];
  /** The stored matches (memberMatches) of these rows; automatic ones keep a row with its person. */
  previous?: readonly MemberMatchRecord[];
  /**
   * Directory users the IdP deleted whose seats are still to be removed (departedUsers): an
   * earlier automatic match to one of them stays, so the plan still removes the seat.
   */
  departedUserIds?: readonly string[];
  /**
   * (row, directory user) pairs whose removal is in flight (agent/plan/removal-in-flight.ts,
   * keys by `inFlightKey`): the row stays matched to that user while no other active user's claim
   * may take it over.
   */
  removalsInFlight?: ReadonlySet<string>;
  /**
   * Member row ids the app also lists as system users (the hub's own API identity: a TikTok hub's
   * `tiktok.tokenUserId`, an ordinary member row of the Business Center). Never a person's seat.
   */
  systemUserIds?: ReadonlySet<string>;
}

export interface MatchingResult {
  /** One per row, in row order. */
  matches: MemberMatchRecord[];
  lapsedExemptions: ExemptionRecord[];
}

/** Lower-cased email → directory user ids having it (any of their emails). */
export function directoryEmailIndex(users: readonly DirectoryIdentity[]): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const user of users) {
    for (const email of new Set(user.emails.map(emailKey).filter(Boolean))) {
      const ids = index.get(email);
      if (ids) ids.push(user.id);
      else index.set(email, [user.id]);
    }
  }
  return index;
}

/** Why a row is matched to a directory user none of whose emails it has. */
export const EMAIL_CHANGED = 'matched by directory user; email changed in the IdP';
/** Why a row is matched to a directory user the IdP deleted. */
export const DEPARTED = 'matched by directory user; deleted in the IdP, seat to be removed';
/** Why a row is matched to the one active directory user among several having its email. */
export const SOLE_ACTIVE = 'matched by email; the other directory users with it are deactivated';
/** Why a member row is matched to nobody whatever its email: it is a system user. */
export const SYSTEM_USER = 'a system user (the hub\'s own API identity): never matched to a directory person';
/** Why a row stays matched to a deactivated or deleted user though an active user has its email. */
export const REMOVAL_IN_FLIGHT = 'kept for the directory user it was matched to (deactivated or deleted): its removal is in flight; the active user with this email is invited afresh once it is removed';

export function matchMembers(input: MatchingInput): MatchingResult {
  const byEmail = directoryEmailIndex(input.directoryUsers);
  const directoryIds = new Set(input.directoryUsers.map((u) => u.id));
  const departedIds = new Set((input.departedUserIds ?? []).filter((id) => !directoryIds.has(id)));
  const deactivatedIds = new Set(input.directoryUsers.filter((u) => u.deactivated).map((u) => u.id));
  const inactiveIds = new Set(input.directoryUsers.filter((u) => u.inactive || u.deactivated).map((u) => u.id));
  const inFlight = input.removalsInFlight ?? new Set<string>();
  const guestEmails = new Set(input.guests.map((g) => emailKey(g.email)));
  const exemptions = new Map(input.exemptions.map((e) => [e.memberId, e]));
  const decisions = new Map(input.decisions.filter((d) => d.manual).map((d) => [d.memberId, d]));
  // Who an earlier automatic match said the row is (an exempted row's record keeps that too), or
  // who disputed it: a dispute stays until an owner decides, not until one side's email moves on.
  const earlier = new Map<string, readonly string[]>();
  // Only who an earlier match named (not a dispute's candidates) keeps a row for a deleted user.
  const matchedTo = new Map<string, string>();
  for (const p of input.previous ?? []) {
    if (p.directoryUserId && (p.outcome === 'exempted' || (p.outcome === 'onboarded' && !p.manual))) {
      earlier.set(p.memberId, [p.directoryUserId]);
      matchedTo.set(p.memberId, p.directoryUserId);
    } else if ((p.outcome === 'unmatched' && !p.manual) || p.outcome === 'exempted') {
      if (p.candidates?.length) earlier.set(p.memberId, p.candidates);
    }
  }
  const lapsedExemptions: ExemptionRecord[] = [];
  const base = { hubId: input.hubId, at: input.now };

  /** Steps 2–6: what the row matches when no exemption applies. */
  const matchOf = (row: MemberRow): MemberMatchRecord => {
    // A system user listed among the members (an app whose API identity is an ordinary member
    // row) is no person's seat, as system users kept apart are not (Meta's system users overview,
    // https://developers.facebook.com/docs/business-management-apis/system-users/overview):
    // matched by its email (an admin who authorized the token with their own account), the
    // person was reported onboarded on the hub's API identity.
    if (row.kind === 'member' && input.systemUserIds?.has(row.id)) return { ...base, memberId: row.id, outcome: 'unmatched', manual: false, reason: SYSTEM_USER };
    const decision = decisions.get(row.id);
    // A manual match to a directory user that has since been deleted no longer holds: fall through.
    if (decision && (decision.outcome !== 'onboarded' || (decision.directoryUserId && directoryIds.has(decision.directoryUserId)))) {
      return withoutUndefined({ ...base, memberId: row.id, outcome: decision.outcome, manual: true, directoryUserId: decision.directoryUserId, hubRole: decision.hubRole });
    }
    const email = row.email === undefined ? undefined : emailKey(row.email);
    const candidates = email ? byEmail.get(email) ?? [] : [];
    // ...except while the deleted user's departed record says a seat of theirs is still to be
    // removed (SCIM DELETE, RFC 7644 §3.6), as for an automatic match below. An owner matches by
    // hand the seats whose email names no directory user (a personal address in the app), so
    // falling through left such a seat `unmatched`: not governed, its removal (a report, the
    // removal window) dropped, the departed record retired, and the leaver kept the seat. Only
    // while no live user's email names the row (the IdP deleted and re-created the person: the
    // row is theirs by email) and no owner registered it as a guest's. No hub role: the user is gone.
    if (decision?.outcome === 'onboarded' && decision.directoryUserId && departedIds.has(decision.directoryUserId) && candidates.length === 0 && !(email && guestEmails.has(email))) {
      return { ...base, memberId: row.id, outcome: 'onboarded', manual: true, directoryUserId: decision.directoryUserId, reason: DEPARTED };
    }
    if (row.kind === 'partner-user') return { ...base, memberId: row.id, outcome: 'guest', manual: false };
    // A rehire (the IdP deactivated or deleted the leaver's account and created another with the
    // same email) while the leaver's removal of this seat is in flight (its task queued or running,
    // queued before the rehire's account was created; not a deprovisioning report's item nor a
    // removal held for approval: an owner has not decided those, agent/plan/removal-in-flight.ts):
    // the seat stays the leaver's until it is
    // removed, and the rehire is invited afresh per their own groups. Given to the rehire at once,
    // the removal's re-plan no longer asked for it and the rehire inherited the leaver's seat,
    // role and assets. Only for the user an earlier automatic match named, no longer active (a
    // leaver action's offboarding or a suspension too: their removal is decided already).
    const leaving = matchedTo.get(row.id);
    if (leaving !== undefined && (inactiveIds.has(leaving) || !directoryIds.has(leaving)) && inFlight.has(inFlightKey(row.id, leaving)) && candidates.some((id) => id !== leaving)) {
      return { ...base, memberId: row.id, outcome: 'onboarded', manual: false, directoryUserId: leaving, reason: REMOVAL_IN_FLIGHT };
    }
    // A seat stays with the directory user it was matched to when the IdP changes their email (a
    // SCIM PATCH/PUT of `emails`, RFC 7644 §3.5.1–3.5.2): the app keeps the row under the old email
    // (an invite stays filed under the email it was sent to, and a member's own email changes only
    // once the person verifies it, `pending_email`:
    // https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users).
    // Matched by email alone, the seat became "unmatched" (so not removed when they leave) and they
    // were invited again at the new address. Only while that user exists; another user's email
    // claiming the row disputes it. A registered guest email does not take it over, as it does not
    // take a seat whose email names a directory user: a guest registration names an email, not a
    // seat, and one made before the change (the person was an outside collaborator before they
    // were hired) or for the address the IdP let go turned the person's seat into a guest's on
    // their email change: hidden from their write-back, never removed when they leave. An owner
    // who means the seat to be no directory user's un-matches that row (step 2, per seat).
    //
    // A user the IdP deleted (SCIM DELETE, RFC 7644 §3.6) keeps the rows matched to them while
    // their departed record says a seat of theirs is still to be removed: that record holds only
    // their last emails, so a seat still under an older one, its removal waiting (an owner's
    // report, the removal window), became unmatched at the next check and was never removed.
    //
    // A disputed row is not "theirs": one of its candidates being deleted never makes the seat
    // one to remove (it may be the other candidate's, the person it was first matched to), and
    // `matchRows` keeps only an earlier match for a deleted user too.
    const departed = matchedTo.get(row.id);
    if (departed !== undefined && departedIds.has(departed) && candidates.length === 0 && !(email && guestEmails.has(email))) return { ...base, memberId: row.id, outcome: 'onboarded', manual: false, directoryUserId: departed, reason: DEPARTED };
    const was = (earlier.get(row.id) ?? []).filter((id) => directoryIds.has(id) && !candidates.includes(id));
    if (was.length > 0) {
      if (candidates.length === 0 && was.length === 1) return { ...base, memberId: row.id, outcome: 'onboarded', manual: false, directoryUserId: was[0], reason: EMAIL_CHANGED };
      return { ...base, memberId: row.id, outcome: 'unmatched', manual: false, candidates: [...new Set([...was, ...candidates])].sort() };
    }
    if (candidates.length === 1) return { ...base, memberId: row.id, outcome: 'onboarded', manual: false, directoryUserId: candidates[0] };
    // Several users have the email, and all but one are deactivated (a leaver and their rehire):
    // the seat is the active one's. Left disputed, it waited for an owner's hand match, the
    // rehire was neither governed nor invited, and the leaver's deactivation removed nothing. Two
    // or more active (or none) stay disputed: an owner decides.
    const claimant = candidates.length > 1 ? claimantAmong(candidates, (id) => deactivatedIds.has(id)) : undefined;
    if (claimant !== undefined) return { ...base, memberId: row.id, outcome: 'onboarded', manual: false, directoryUserId: claimant, reason: SOLE_ACTIVE };
    if (candidates.length > 1) return { ...base, memberId: row.id, outcome: 'unmatched', manual: false, candidates: [...candidates].sort() };
    if (email && guestEmails.has(email)) return { ...base, memberId: row.id, outcome: 'guest', manual: false };
    return { ...base, memberId: row.id, outcome: 'unmatched', manual: false };
  };

  const matches = input.rows.map((row): MemberMatchRecord => {
    const match = matchOf(row);
    const exemption = exemptions.get(row.id);
    if (exemption && !exemptionInForce(exemption, input.now)) lapsedExemptions.push(exemption);
    else if (exemption) {
      // Keep who the member is (write-back reports `exempted` on that directory user), or, for a
      // disputed row, who disputes it (the next matching reads the dispute back from this record:
      // dropped, an exemption ended or lapsed gave the seat to the one candidate left with its
      // email, the dispute no owner decided gone); drop the rest.
      return withoutUndefined({ ...base, memberId: row.id, outcome: 'exempted', manual: true, directoryUserId: match.directoryUserId, hubRole: match.hubRole, reason: match.reason, candidates: match.directoryUserId === undefined && match.candidates?.length ? match.candidates : undefined });
    }
    return match;
  });
  return { matches, lapsedExemptions };
}

/** Store records carry no undefined-valued keys (agent/store/collections.ts). */
export function withoutUndefined<T extends object>(record: T): T {
  // Keys, not entries: a check for updates calls this for every snapshot record (25,000 at
  // 10,000 members), and an [key, value] array per field is most of its cost.
  const out = {} as Record<string, unknown>;
  const source = record as Record<string, unknown>;
  for (const k of Object.keys(source)) {
    const v = source[k];
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}
