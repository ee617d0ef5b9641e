import { markedNotApplied } from '../../../connectors/sdk/connector-error.ts';
import type { HubConnector, PersonReading } from '../../../connectors/sdk/connector.ts';
import type { AppMember } from '../../../connectors/sdk/hub-model.ts';
import { appendAudit } from '../../audit/audit-log.ts';
import { replanPerson } from '../../dispatch/replan-person.ts';
import type { Operation, PlanResult } from '../../plan/operation.ts';
import { emailKey } from '../../matching/email-key.ts';
import { inviteRowId } from '../../standing/row-ids.ts';
import type { Transaction } from '../../store/store.ts';
import { enqueueTask, updateTask } from '../enqueue.ts';
import type { TaskAuditInput, TaskContext, TaskOutcome } from '../handler.ts';
import { isFinished, type TaskRecord } from '../task-record.ts';
import { applyPersonReading } from './person-refresh.ts';
import { recordInSnapshot } from './snapshot-update.ts';

type InviteOp = Extract<Operation, { kind: 'invite' }>;

/** What settling one invite of unknown outcome found, what it says, and what it stages. */
interface Settled {
  found: 'invite' | 'member' | 'none';
  audits: TaskAuditInput[];
  stage(tx: Transaction): Promise<void>;
}

/** How often an invite waiting for an earlier one's running attempt looks again. */
export const SETTLE_POLL_MS = 1_000;

/**
 * Settling an invite whose outcome is unknown (unsettled-invites.ts) by looking it up in the app:
 * its pending invitations at the email (Meta: pending_users?email=) and its seats there, in case it
 * was accepted meanwhile (business_users), through `readPerson`
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users,
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users).
 *
 * Before a person is invited at a changed email (`settleBeforeInvite`, the new invite's task):
 * - a pending invitation at the old email is recorded as theirs (matched), as an invite whose
 *   outcome was known is, and they are re-planned: no new invite;
 * - a seat at the old email (the invite was accepted) is matched to the person and they are
 *   re-planned: no new invite; the usual plan brings the seat to their grant;
 * - neither: the new invite goes out;
 * - while the app cannot answer, the new invite waits (the look-up's error is the attempt's: the
 *   retry table backs off, and nothing was sent).
 * An invite task whose own plan no longer asks for it settles itself before it ends
 * (`settleOwnInvite`): it must not end as "no longer needed" with its invite possibly made and
 * unrecorded.
 */
async function settle(ctx: TaskContext, connector: HubConnector, task: Readonly<TaskRecord>, earlier: InviteOp, newEmail: string | undefined): Promise<Settled> {
  const email = earlier.email.toLowerCase();
  const person = earlier.directoryUserId;
  const hubId = task.hubId;
  const now = ctx.now();
  let reading: PersonReading;
  try {
    reading = await connector.readPerson!({ email });
  } catch (err) {
    // The look-up failed: the new invite was not sent (the retry table decides when to try again).
    throw markedNotApplied(err);
  }
  const member = reading.members.find((m) => m.email !== undefined && emailKey(m.email) === emailKey(email)) ?? reading.members[0];
  const subject = { email, ...(person ? { directoryUserId: person } : {}) };
  const because = newEmail ? `sent before ${person ?? 'the person'}'s email changed to ${newEmail}` : 'no longer planned';
  if (member) return seatFound(task, earlier, member, reading, because, now);
  const pending = reading.invites.filter((i) => i.status === 'pending');
  if (pending.length === 0) {
    return {
      found: 'none', stage: async () => {},
      audits: [{ action: 'invite', subject, outcome: 'skipped', why: `invite ${email} (${because}): its outcome was unknown; looked up, the app holds no invitation or seat at that email (not made, or cancelled since)`, detail: { settled: true } }],
    };
  }
  // Recorded as a sent invite would be (theirs, matched), and the person re-planned, so whatever
  // the plan now wants of it goes its usual way (a cancellation waits out the settle window, and
  // so on). Also when their email changed since: an invite whose outcome was known stays theirs
  // at the old address (snapshot-update.ts `recordInvitedMatch`, test/agent-e2e/email-change.test.ts),
  // and one found after the fact is treated the same, not cancelled and sent again.
  const found = pending[0]!;
  return {
    found: 'invite',
    audits: [{ action: 'invite', subject: { ...subject, memberId: inviteRowId(found.id) }, outcome: 'already-done', why: `invite ${email} (${because}): its outcome was unknown; looked up, the app holds its pending invitation (${found.id}), recorded as theirs${newEmail ? ': no invitation at the new email' : ''}`, detail: { settled: true, inviteId: found.id } }],
    async stage(tx) {
      await recordInSnapshot(tx, hubId, earlier, { result: 'already-done', inviteId: found.id }, now);
      if (person) await replan(tx, task, person, `re-evaluate ${person}: their invite of unknown outcome was found pending`, now);
    },
  };
}

/** The invite was accepted: the seat is recorded and matched to the person, who is re-planned. */
function seatFound(task: Readonly<TaskRecord>, earlier: InviteOp, member: AppMember, reading: PersonReading, because: string, now: Date): Settled {
  const email = earlier.email.toLowerCase();
  const person = earlier.directoryUserId;
  const hubId = task.hubId;
  return {
    found: 'member',
    audits: [{ action: 'invite', subject: { email, ...(person ? { directoryUserId: person } : {}), memberId: member.id }, outcome: 'already-done',
      why: `invite ${email} (${because}): its outcome was unknown; looked up, it was accepted: seat ${member.id}${person ? ` matched to ${person}` : ''}, no new invite`, detail: { settled: true, memberId: member.id } }],
    async stage(tx) {
      await applyPersonReading(tx, { hubId, email, assets: [], reading, now });
      if (!person) return;
      const match = await tx.get('memberMatches', hubId, member.id);
      // An owner's match or a disputed row stays as it is (the plan leaves those to an owner).
      if (!match || (match.outcome === 'unmatched' && !match.manual && !match.candidates?.length)) {
        tx.put('memberMatches', hubId, member.id, { hubId, memberId: member.id, outcome: 'onboarded', manual: false, directoryUserId: person,
          reason: `matched by directory user; accepted the invite sent to ${email} before their email changed in the IdP`, at: now.toISOString() });
      }
      await replan(tx, task, person, `re-evaluate ${person}: their invite of unknown outcome was accepted (seat ${member.id})`, now);
    },
  };
}

async function replan(tx: Transaction, task: Readonly<TaskRecord>, person: string, summary: string, now: Date): Promise<void> {
  await enqueueTask(tx, { hubId: task.hubId, ...replanPerson({ directoryUserId: person }, task.trigger, summary), reuse: 'unstarted', now });
}

const opOf = (t: Readonly<TaskRecord>) => (t.payload as { op: InviteOp }).op;

/**
 * Before `op` (an invite of the person at their current email) is sent: the person's unsettled
 * invites at other emails (`unsettled`: the index lookup, read with the re-plan) are settled
 * first. An unfinished one settles itself (this one waits for it); one that gave up (failed) is
 * settled here. Returns the outcome to end with instead of inviting (waiting, or no invite needed:
 * the earlier one was accepted), or undefined to invite. What was settled here is committed before
 * the invite is sent, with its audit entries, so a failed invite call does not lose it.
 */
export async function settleBeforeInvite(task: Readonly<TaskRecord>, ctx: TaskContext, op: InviteOp, unsettled: ReadonlyArray<Readonly<TaskRecord>>): Promise<TaskOutcome | undefined> {
  const email = emailKey(op.email);
  // The same email's earlier tasks need nothing: this invite is not a clean first attempt, so it looks first (write/invites.ts).
  const others = unsettled.filter((t) => t.id !== task.id && !t.settled && emailKey(opOf(t).email) !== email);
  if (others.length === 0 || !ctx.connector?.readPerson) return undefined;
  // An earlier task still unfinished settles itself when it runs next (settleOwnInvite): its
  // re-plan no longer asks for it. This one waits for it, and wakes it from a back-off so the
  // person is not left waiting minutes. One settler per earlier invite: two at once each found the
  // invitation and recorded and audited it twice.
  const unfinished = others.filter((t) => !isFinished(t));
  if (unfinished.length > 0) {
    const now = ctx.now();
    await ctx.store.transact(async (tx) => {
      for (const t of unfinished) {
        const current = await tx.get('tasks', t.hubId, t.id);
        if (current?.status === 'waiting' && current.waitReason === 'backoff' && current.nextRunAt && Date.parse(current.nextRunAt) > now.getTime()) {
          await updateTask(tx, current, { nextRunAt: now.toISOString() }, now);
        }
      }
    });
    return { status: 'waiting', reason: `waits for an earlier invite of ${op.directoryUserId} to settle (${unfinished[0]!.summary})`, until: new Date(now.getTime() + SETTLE_POLL_MS).toISOString(), notApplied: true };
  }
  const settled: Array<{ task: Readonly<TaskRecord>; s: Settled }> = [];
  for (const t of others) settled.push({ task: t, s: await settle(ctx, ctx.connector, task, opOf(t), email) });
  const at = ctx.now().toISOString();
  await ctx.store.transact(async (tx) => {
    for (const { task: t, s } of settled) {
      // Settled meanwhile by another attempt of this task (its lease lapsed while it read, and
      // another replica took the task over and settled too): that one recorded and audited it.
      // Staged again, the person's trail showed the earlier invite settled twice.
      const current = await tx.get('tasks', t.hubId, t.id);
      if (current?.settled) continue;
      await s.stage(tx);
      if (current) tx.put('tasks', t.hubId, t.id, { ...current, settled: { at, found: s.found, by: task.id } });
      for (const a of s.audits) appendAudit(tx, { hubId: task.hubId, trigger: task.trigger, taskId: task.id, at, ...a });
    }
  });
  const found = settled.find(({ s }) => s.found !== 'none')?.s.found;
  if (found) {
    const what = found === 'member' ? 'was accepted (their seat is updated instead)' : 'is pending (it stays theirs)';
    ctx.audit({ action: 'invite', subject: { email, ...(op.directoryUserId ? { directoryUserId: op.directoryUserId } : {}) }, outcome: 'skipped', why: `${op.summary}: not done, the person's earlier invite ${what}` });
    return { status: 'completed', result: { outcome: 'superseded', held: `an earlier invite of unknown outcome ${found === 'member' ? 'was accepted' : 'is pending'}` } };
  }
  return undefined;
}

/**
 * An invite task whose plan no longer asks for it, with an earlier attempt of unknown outcome:
 * settles its own invite before it ends. `current`: the person's plan now (when it asks for an
 * invite of the same person at another email, the audit says so). What it finds is recorded as
 * `settleBeforeInvite` would, and the person's re-plan decides.
 */
export async function settleOwnInvite(task: Readonly<TaskRecord>, ctx: TaskContext, op: InviteOp, current: PlanResult): Promise<TaskOutcome | undefined> {
  if (!ctx.connector?.readPerson) return undefined;
  // Settled meanwhile by the person's invite at their new email (settleBeforeInvite): nothing left to look up.
  if ((await ctx.store.get('tasks', task.hubId, task.id))?.settled) return undefined;
  const email = emailKey(op.email);
  const moved = current.operations.find((o): o is InviteOp => o.kind === 'invite' && o.directoryUserId === op.directoryUserId && emailKey(o.email) !== email);
  const s = await settle(ctx, ctx.connector, task, op, moved?.email.toLowerCase());
  for (const a of s.audits) ctx.audit(a);
  return { status: 'completed', result: { outcome: 'settled', found: s.found }, commit: (tx) => s.stage(tx) };
}
