import type { AppInviteRecord, AppMemberRecord, MemberMatchRecord } from '../app-state/records.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import type { Transaction } from '../store/store.ts';
import { isFinished } from '../tasks/task-record.ts';
import { inviteRowId } from '../standing/row-ids.ts';
import { emailKey } from '../matching/email-key.ts';
import '../safety/reports.ts'; // the `reports` collection
import { openReportsOf } from '../safety/held-indexes.ts';
import type { DepartedUserRecord } from './departed-user.ts';

/** The audit action of a departed-user record retired. */
export const DEPARTED_RETIRED = 'departed-user-retired';

export interface RetireInput {
  /** Whether the listing just saved read every member and invite (appImports.complete). */
  complete: boolean;
  /** When that listing started (ISO): only a listing begun after the departure speaks for it. */
  startedAt: string;
  members: readonly Pick<AppMemberRecord, 'id' | 'email'>[];
  invites: readonly Pick<AppInviteRecord, 'id' | 'email'>[];
  /** The rows' matches as just saved (matching keeps a row matched to a departed user while their record exists). */
  matches: readonly Pick<MemberMatchRecord, 'memberId' | 'outcome' | 'directoryUserId' | 'candidates'>[];
  trigger: Trigger;
  taskId?: string;
  now: string;
}

/**
 * Retires, in a transaction of its own right after a check for updates saves its snapshot (not
 * inside that save: the tasks read here would make it conflict), the departed-user records (departed-user.ts)
 * that have done their job. A record exists so that the seats a deleted user (SCIM DELETE,
 * RFC 7644 §3.6) held when they left are still removed, found by their emails or their match; it
 * is forgotten when the last such removal completes (tasks/operations/snapshot-update.ts). But a
 * person with no seat left (the common Entra leaver: the seat went at deactivation, the hard
 * delete comes 30 days later, https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works#deprovisioning)
 * has no removal to complete: the record stayed for ever, every whole-hub plan read it, and a seat
 * added later under that address (a new hire reusing it, an owner re-adding someone on purpose)
 * was removed as "deleted in the directory", where an unmatched member is an owner's to decide.
 *
 * A record is retired only on a complete picture: a complete listing (no removal, and no
 * retirement, without one) that started after the person left, in which no member or invite row
 * is theirs (matched to them, or under one of their emails and matched to no one else), while no
 * unfinished task and no open deprovisioning report item names them (a removal queued, waiting
 * for an owner or running: the row may be gone from the listing before the task records it).
 * Each retirement is audited. Returns the directory user ids retired.
 */
export async function retireDeparted(tx: Transaction, hubId: string, input: RetireInput): Promise<string[]> {
  if (!input.complete) return [];
  const records: Array<Readonly<DepartedUserRecord>> = [];
  for await (const d of tx.list('departedUsers', hubId)) if (d.at < input.startedAt) records.push(d);
  if (records.length === 0) return [];

  const matchOf = new Map(input.matches.map((m) => [m.memberId, m]));
  /** Directory user ids that rows name, and each row email with who else holds it. */
  const named = new Set<string>();
  for (const m of input.matches) {
    if (m.directoryUserId) named.add(m.directoryUserId);
    for (const c of m.candidates ?? []) named.add(c);
  }
  const rowEmails = new Map<string, Array<string | undefined>>();
  const addRow = (rowId: string, email: string | undefined) => {
    const e = email === undefined ? undefined : emailKey(email);
    if (!e) return;
    const owners = rowEmails.get(e) ?? [];
    owners.push(matchOf.get(rowId)?.directoryUserId);
    rowEmails.set(e, owners);
  };
  for (const m of input.members) addRow(m.id, m.email);
  for (const i of input.invites) addRow(inviteRowId(i.id), i.email);
  const holdsRow = (d: Readonly<DepartedUserRecord>) =>
    named.has(d.directoryUserId) ||
    d.emails.some((e) => (rowEmails.get(emailKey(e)) ?? []).some((owner) => owner === undefined || owner === d.directoryUserId));

  const idle = records.filter((d) => !holdsRow(d));
  if (idle.length === 0) return [];
  const busy = await peopleWithWork(tx, hubId);
  const retired: string[] = [];
  for (const d of idle) {
    if (busy.ids.has(d.directoryUserId) || d.emails.some((e) => busy.emails.has(emailKey(e)))) continue;
    tx.delete('departedUsers', hubId, d.directoryUserId);
    appendAudit(tx, {
      hubId, trigger: input.trigger, ...(input.taskId ? { taskId: input.taskId } : {}), action: DEPARTED_RETIRED, at: input.now,
      subject: { directoryUserId: d.directoryUserId, ...(d.emails[0] ? { email: d.emails[0] } : {}) },
      why: `${d.userName || d.directoryUserId}, deleted in the directory at ${d.at}: a complete check for updates lists no seat or invite of theirs and no removal for them is pending; `
        + 'their emails no longer identify seats to remove (a seat added under them later is unmatched, for an owner to decide)',
      outcome: 'ok', detail: { departedAt: d.at, emails: d.emails.length },
    });
    retired.push(d.directoryUserId);
  }
  return retired;
}

/**
 * The people named by the hub's unfinished tasks (an operation's directory user and email, a
 * re-plan's person) and by its open deprovisioning reports' unapplied items (by index: not the
 * applied ones, held-indexes.ts). `taskKeys` holds one
 * record per unfinished task (tasks/enqueue.ts), so this reads the outstanding work, not history.
 */
async function peopleWithWork(tx: Transaction, hubId: string): Promise<{ ids: Set<string>; emails: Set<string> }> {
  const ids = new Set<string>();
  const emails = new Set<string>();
  const note = (id: unknown, ...mails: unknown[]) => {
    if (typeof id === 'string' && id) ids.add(id);
    for (const e of mails) if (typeof e === 'string' && e) emails.add(emailKey(e));
  };
  const taskIds: string[] = [];
  for await (const k of tx.list('taskKeys', hubId)) taskIds.push(k.taskId);
  const tasks = taskIds.length > 0 ? await tx.getMany('tasks', hubId, taskIds) : [];
  for (const t of tasks) {
    if (!t || isFinished(t)) continue;
    const p = (t.payload ?? {}) as { op?: { directoryUserId?: unknown; email?: unknown }; directoryUserId?: unknown; emails?: unknown };
    note(p.op?.directoryUserId, p.op?.email);
    note(p.directoryUserId, ...(Array.isArray(p.emails) ? p.emails : []));
    // A follow-up queued when the running task ends (a re-plan of the person).
    const f = (t.followUp?.payload ?? {}) as { directoryUserId?: unknown; emails?: unknown };
    note(f.directoryUserId, ...(Array.isArray(f.emails) ? f.emails : []));
  }
  for (const r of await openReportsOf(tx, hubId)) {
    for (const i of r.items) if (!i.appliedAt) note(i.directoryUserId, i.email);
  }
  return { ids, emails };
}
