/**
 * An owner's decisions about one member row (issue "Check for updates", item 2): match it to a
 * directory user (with a hub role), un-match it, exempt it, register a guest, or remove its seat.
 * Each is validated first (bad input never changes anything), staged with its audit entry and a
 * fresh matching of the hub in one transaction, and survives re-imports (decisions live in
 * `matchDecisions`, `exemptions` and `guests`, never in the snapshot a check replaces).
 *
 * Each reads through the caller's `tx` (async) and stages only through it, so it is safe to run again
 * when the store re-runs a transaction.
 */
import { HUB_ROLES, type HubConfigFile } from '../../config/schema.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import type { ExemptionRecord, MemberMatchRecord } from '../app-state/records.ts';
import { matchRows, memberRows, saveRowMatches } from '../matching/hub-matching.ts';
import { emailKey } from '../matching/email-key.ts';
import type { MemberRow } from '../matching/match-members.ts';
import type { Transaction } from '../store/store.ts';
import { AgentError } from '../agent-error.ts';
import { freeTextProblem } from '../safe-text.ts';
import { inviteIdOf } from '../standing/row-ids.ts';
import { removalRunning } from '../plan/removal.ts';
import { untilInstant } from './exemption-until.ts';
import { keptByExemption, releaseKept } from '../safety/approval-kept.ts';

export interface MemberRowRef {
  id: string;
  kind: 'member' | 'invite' | 'partner-user';
  email?: string;
}

export const actorOf = (trigger: Trigger) => trigger.actor ?? trigger.type;

/**
 * What a decision stage staged: nothing to report (done), a refusal (a brake, audited as failed),
 * or `unchanged`: the same decision is in force already (a retried request whose answer was lost),
 * so nothing is written, re-matched or audited again (an entry per retry would read as a second
 * decision, and would move the exemption's `at` and `by` to whoever retried).
 */
export type StageOutcome = void | { refused: AgentError } | { unchanged: string };

/** Finds the row in the hub's snapshot, or says clearly that it is not there. */
export async function findRow(tx: Transaction, hubId: string, memberId: string): Promise<MemberRowRef> {
  const inviteId = inviteIdOf(memberId);
  if (inviteId !== undefined) {
    const invite = await tx.get('appInvites', hubId, inviteId);
    if (invite) return { id: memberId, kind: 'invite', email: invite.email };
  } else if (memberId.startsWith('partner:')) {
    const user = await tx.get('partnerUsers', hubId, memberId.slice('partner:'.length));
    if (user) return { id: memberId, kind: 'partner-user', ...(user.email ? { email: user.email } : {}) };
  } else {
    const member = await tx.get('appMembers', hubId, memberId);
    if (member) return { id: memberId, kind: 'member', ...(member.email ? { email: member.email } : {}) };
  }
  throw new AgentError('not-found', `hub ${hubId}: no member, invite or partner's person "${memberId}" in the last check for updates`);
}

/**
 * Matches the decided rows again with the decision just staged (read through `tx`). Only those
 * rows, reading only what they need (`matchRows`: by key and the directory's email index, which
 * the member service defines): the rest of the hub is unchanged by it, and re-matching 10,000
 * rows per click is waste.
 */
async function rematch(tx: Transaction, hubId: string, trigger: Trigger, now: Date, rows: MemberRow[]): Promise<void> {
  await saveRowMatches(tx, hubId, await matchRows(tx, hubId, now.toISOString(), rows), { trigger });
}

export async function matchToDirectoryUser(tx: Transaction, hub: HubConfigFile, memberId: string, input: { directoryUserId: string; hubRole?: string }, trigger: Trigger, now: Date): Promise<StageOutcome> {
  const row = await findRow(tx, hub.id, memberId);
  if (row.kind === 'partner-user') throw new AgentError('invalid-argument', `hub ${hub.id}: ${memberId} is a partner's person (guest); only our own members and invites can be matched`);
  if (typeof input.directoryUserId !== 'string' || !input.directoryUserId) throw new AgentError('invalid-argument', `hub ${hub.id}: match ${memberId}: directoryUserId is required`);
  const user = await tx.get('directoryUsers', hub.id, input.directoryUserId);
  if (!user) throw new AgentError('not-found', `hub ${hub.id}: match ${memberId}: no directory user "${input.directoryUserId}" on this hub`);
  if (input.hubRole !== undefined && !HUB_ROLES.includes(input.hubRole as never)) {
    throw new AgentError('invalid-argument', `hub ${hub.id}: match ${memberId}: hubRole must be one of ${HUB_ROLES.join(', ')} (got "${input.hubRole}")`);
  }
  const previous = await tx.get('matchDecisions', hub.id, memberId);
  if (previous?.manual && previous.outcome === 'onboarded' && previous.directoryUserId === user.id && previous.hubRole === (input.hubRole || undefined)) {
    return { unchanged: `${row.email ?? memberId} was already matched to directory user ${user.userName}${input.hubRole ? ` as ${input.hubRole}` : ''}; nothing changed` };
  }
  const decision: MemberMatchRecord = { hubId: hub.id, memberId, outcome: 'onboarded', manual: true, directoryUserId: user.id, at: now.toISOString(), ...(input.hubRole ? { hubRole: input.hubRole } : {}) };
  tx.put('matchDecisions', hub.id, memberId, decision);
  appendAudit(tx, {
    hubId: hub.id, trigger, action: 'member-matched', outcome: 'ok',
    subject: { memberId, directoryUserId: user.id, ...(row.email ? { email: row.email } : {}) },
    why: `${actorOf(trigger)} matched ${row.email ?? memberId} to directory user ${user.userName}${input.hubRole ? ` as ${input.hubRole}` : ''}${previous?.directoryUserId ? ` (was ${previous.directoryUserId})` : ''}`,
    detail: { hubRole: input.hubRole, previous: previous?.directoryUserId },
  });
  await rematch(tx, hub.id, trigger, now, [row]);
}

export async function unmatch(tx: Transaction, hub: HubConfigFile, memberId: string, trigger: Trigger, now: Date): Promise<StageOutcome> {
  const row = await findRow(tx, hub.id, memberId);
  if (row.kind === 'partner-user') throw new AgentError('invalid-argument', `hub ${hub.id}: ${memberId} is a partner's person (guest); there is no match to undo`);
  const decided = await tx.get('matchDecisions', hub.id, memberId);
  if (decided?.manual && decided.outcome === 'unmatched') return { unchanged: `${row.email ?? memberId} was already un-matched; nothing changed` };
  const previous = await tx.get('memberMatches', hub.id, memberId);
  tx.put('matchDecisions', hub.id, memberId, { hubId: hub.id, memberId, outcome: 'unmatched', manual: true, at: now.toISOString() });
  appendAudit(tx, {
    hubId: hub.id, trigger, action: 'member-unmatched', outcome: 'ok',
    subject: { memberId, ...(row.email ? { email: row.email } : {}), ...(previous?.directoryUserId ? { directoryUserId: previous.directoryUserId } : {}) },
    why: `${actorOf(trigger)} un-matched ${row.email ?? memberId}${previous?.directoryUserId ? ` from directory user ${previous.directoryUserId}` : ''}; it stays unmatched until matched again`,
  });
  await rematch(tx, hub.id, trigger, now, [row]);
}

export async function exempt(tx: Transaction, hub: HubConfigFile, memberId: string, input: { reason: string; until?: string }, trigger: Trigger, now: Date): Promise<StageOutcome> {
  const row = await findRow(tx, hub.id, memberId);
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (!reason) throw new AgentError('invalid-argument', `hub ${hub.id}: exempt ${memberId}: a reason is required`);
  if (reason.length > 500) throw new AgentError('invalid-argument', `hub ${hub.id}: exempt ${memberId}: reason is ${reason.length} characters; at most 500`);
  // Shown later in the dashboard, the CLI and an IdP attribute (agent/safe-text.ts): refused here
  // too, for a caller that is not the admin API (whose schema refuses it first).
  const problem = freeTextProblem(reason);
  if (problem) throw new AgentError('invalid-argument', `hub ${hub.id}: exempt ${memberId}: the reason ${problem}`);
  let until: string | undefined;
  if (input.until !== undefined) {
    const t = typeof input.until === 'string' ? untilInstant(input.until) : Number.NaN;
    if (Number.isNaN(t)) throw new AgentError('invalid-argument', `hub ${hub.id}: exempt ${memberId}: until must be a date (2026-12-31) or an ISO 8601 date-time; "${String(input.until)}" is not a calendar date or date-time`);
    if (t <= now.getTime()) throw new AgentError('invalid-argument', `hub ${hub.id}: exempt ${memberId}: until ${input.until} is not in the future`);
    until = new Date(t).toISOString();
  }
  const existing = await tx.get('exemptions', hub.id, memberId);
  if (existing && existing.reason === reason && existing.until === until) {
    return { unchanged: `${row.email ?? memberId} was already exempted ("${reason}"${until ? ` until ${until}` : ''}, by ${existing.by}); nothing changed` };
  }
  // A removal of the row already calling the app has looked at exemptions for the last time: an
  // exemption acknowledged now would say "will not remove it" while the seat goes. Refused instead;
  // a queued removal looks again before it calls, and is skipped (forced-removal.ts).
  // The refusal is a decision an owner asked for and did not get: audited as failed (committed
  // alone by the caller, member-service.ts `decide`), as a removal a brake refuses is (owner-removal.ts).
  const removing = await removalRunning(tx, hub.id, memberId);
  if (removing) {
    const refused = new AgentError('conflict', `hub ${hub.id}: exempt ${memberId}: its removal is calling the app now (task ${removing.id}); once it ends, exempt it again if the seat is still there`);
    appendAudit(tx, {
      hubId: hub.id, trigger, action: 'member-exempted', outcome: 'failed', taskId: removing.id,
      subject: { memberId, ...(row.email ? { email: row.email } : {}) },
      why: `${actorOf(trigger)} asked to exempt ${row.email ?? memberId}: refused, its removal (task ${removing.id}) is calling the app now`,
      detail: { reason, ...(until ? { until } : {}) },
    });
    return { refused };
  }
  const record: ExemptionRecord = { hubId: hub.id, memberId, reason, by: actorOf(trigger), at: now.toISOString(), ...(row.email ? { email: row.email } : {}), ...(until ? { until } : {}) };
  tx.put('exemptions', hub.id, memberId, record);
  appendAudit(tx, {
    hubId: hub.id, trigger, action: 'member-exempted', outcome: 'ok',
    subject: { memberId, ...(row.email ? { email: row.email } : {}) },
    why: `${actorOf(trigger)} exempted ${row.email ?? memberId}: "${reason}"${until ? ` until ${until}` : ''}; hubwarden will not manage or remove it`,
    detail: { reason, until },
  });
  // A pending approval holding this seat's removal or downgrade no longer asks an owner for it.
  await releaseKept(tx, hub, keptByExemption(memberId, `exempted by ${actorOf(trigger)} ("${reason}")`), { trigger, now });
  await rematch(tx, hub.id, trigger, now, [row]);
}

/** Ends an exemption before its time (or one without expiry): hubwarden manages the seat again. */
export async function unexempt(tx: Transaction, hub: HubConfigFile, memberId: string, trigger: Trigger, now: Date): Promise<void> {
  const row = await findRow(tx, hub.id, memberId);
  const exemption = await tx.get('exemptions', hub.id, memberId);
  if (!exemption) throw new AgentError('conflict', `hub ${hub.id}: ${memberId} is not exempted; there is no exemption to end`);
  tx.delete('exemptions', hub.id, memberId);
  appendAudit(tx, {
    hubId: hub.id, trigger, action: 'member-unexempted', outcome: 'ok',
    subject: { memberId, ...(row.email ? { email: row.email } : {}) },
    why: `${actorOf(trigger)} ended the exemption of ${row.email ?? memberId} ("${exemption.reason}", by ${exemption.by}); hubwarden manages it again from the directory, removals only after the settle window`,
    detail: { reason: exemption.reason, by: exemption.by, at: exemption.at, ...(exemption.until ? { until: exemption.until } : {}) },
  });
  await rematch(tx, hub.id, trigger, now, [row]);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function registerGuest(tx: Transaction, hub: HubConfigFile, input: { email: string; note?: string }, trigger: Trigger, now: Date): Promise<StageOutcome> {
  const email = typeof input.email === 'string' ? emailKey(input.email) : '';
  if (!EMAIL.test(email)) throw new AgentError('invalid-argument', `hub ${hub.id}: register guest: "${String(input.email)}" is not an email address`);
  if (input.note !== undefined && (typeof input.note !== 'string' || input.note.length > 500)) throw new AgentError('invalid-argument', `hub ${hub.id}: register guest ${email}: note must be text of at most 500 characters`);
  // Registered already with the same note (a retried request): nothing written or audited, as the
  // other decisions' repeats (StageOutcome); a second entry read as a second registration, and
  // the record's `by` and `at` moved to whoever retried.
  const existing = await tx.get('guests', hub.id, email);
  if (existing && existing.note === (input.note || undefined)) return { unchanged: `${email} was already registered as a guest (by ${existing.by}); nothing changed` };
  tx.put('guests', hub.id, email, { hubId: hub.id, email, by: actorOf(trigger), at: now.toISOString(), ...(input.note ? { note: input.note } : {}) });
  const rows = (await memberRows(tx, hub.id)).filter((r) => r.email !== undefined && emailKey(r.email) === email);
  await rematch(tx, hub.id, trigger, now, rows);
  // A guest email takes no seat a directory user holds (by that email, or kept across their email
  // change: agent/matching/match-members.ts): the entry says which stay theirs, and how an owner
  // changes that (un-match the row).
  const kept: string[] = [];
  for (const row of rows) {
    const m = await tx.get('memberMatches', hub.id, row.id);
    if (m?.directoryUserId && (m.outcome === 'onboarded' || m.outcome === 'exempted')) kept.push(`${row.id} (directory user ${m.directoryUserId})`);
  }
  appendAudit(tx, {
    hubId: hub.id, trigger, action: 'guest-registered', outcome: 'ok', subject: { email },
    why: `${actorOf(trigger)} registered ${email} as a guest of hub ${hub.id}${input.note ? `: ${input.note}` : ''}`
      + (kept.length ? `; still a directory user's, not a guest's: ${kept.join(', ')} (un-match a seat to change that)` : ''),
  });
}

