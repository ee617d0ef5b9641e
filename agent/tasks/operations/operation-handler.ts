import type { Operation, OperationKind } from '../../plan/operation.ts';
import { emailKey } from '../../matching/email-key.ts';
import { planPerson } from '../../plan/plan-hub.ts';
import { lastAdminHold } from '../../plan/removal.ts';
import { classify } from '../../safety/classify.ts';
import { ensureRemovalPass, scheduleRemovals, settleWindowOpenSince } from '../../safety/schedule-removals.ts';
import { noteDeferred } from '../../safety/deferred-removals.ts';
import { roleRulesOfHub } from '../../grants/role-rules.ts';
import type { TaskContext, TaskHandler, TaskOutcome } from '../handler.ts';
import { TASK_KEY_INDEX, taskKeyOf, type TaskRecord } from '../task-record.ts';
import { callApp } from './call-app.ts';
import type { OperationPayload } from './enqueue-operation.ts';
import { subjectOf } from './audit-subject.ts';
import { configCause } from './config-cause.ts';
import { forcedRemovalVoid } from './forced-removal.ts';
import { recordInSnapshot } from './snapshot-update.ts';
import { replanRehireAfterRemoval } from './rehire-after-removal.ts';
import { recoverStaleView, staleViewOf } from './stale-view.ts';
import { settleBeforeInvite, settleOwnInvite } from './settle-invite.ts';
import { settleOwnRemoval } from './settle-removal.ts';
import { REFUSAL_HOLD_MS, holdsLaterTasks } from './refusal-hold.ts';
import { earlierAttemptUnknown, earlierResendUnknown, unsettledInviteFor } from './unsettled-invites.ts';
import { OPERATION_KINDS } from '../retry-rule.ts';
import { alreadyDoneMayBeOurs, notDoneMayHaveBeenMade } from './unknown-outcome.ts';
import { lostAnswerAudit } from './lost-answer.ts';

export { OPERATION_KINDS };

/**
 * May the connector skip its look-up for an existing invite (one Graph call per invite)? Only on
 * a clean first attempt: every earlier attempt of the task was refused by Meta or sent nothing
 * (a code 17 at the invite limit, say: none was interrupted or ended without knowing whether it
 * reached Meta), no earlier task for the same change made an attempt that did not complete
 * (a POST that timed out may have landed), and the snapshot is a complete listing (the re-plan
 * just before the call found no invite or seat for the email in it). Anything else looks first.
 * The key index is defined by the TaskRunner, which is what runs every handler.
 */
export async function cleanFirstAttempt(task: Readonly<TaskRecord>, ctx: TaskContext): Promise<boolean> {
  if (ctx.interrupted || (task.attemptsRefused ?? 0) !== task.attempts - 1) return false;
  // Both read at once: on PostgreSQL each read is a round trip on the way to the invite.
  const [imported, sameChange] = await Promise.all([
    ctx.store.get('appImports', task.hubId, task.hubId),
    ctx.store.lookup('tasks', TASK_KEY_INDEX, taskKeyOf(task.hubId, task.idempotencyKey)),
  ]);
  return imported?.complete === true && !sameChange.some((t) => t.id !== task.id && t.attempts > 0 && t.status !== 'completed');
}

/** How long a refusal holds the same invite (refusal-hold.ts). */
export { REFUSAL_HOLD_MS };

/**
 * The earlier task of the same invite, within REFUSAL_HOLD_MS, that failed because the app says
 * the email holds a seat (stale-view.ts `seatNotFound`), or that the app refused for good
 * (`invalid-argument` with the app's own code: Meta's code 100, a permanent code of TikTok's) for
 * the same request as `op` (email, role, assets), and the reason it holds `op`. Without the second,
 * every check for updates re-planned the seatless person and sent the refused invite again,
 * audited `failed` again, each hour without end; a request changed since (the hub's role for the
 * group fixed) is sent. A failed task an owner retried (retry-task.ts) holds nothing.
 */
async function refusedEarlier(task: Readonly<TaskRecord>, ctx: TaskContext, op: Operation): Promise<{ failed: Readonly<TaskRecord>; why: string } | undefined> {
  const same = await ctx.store.lookup('tasks', TASK_KEY_INDEX, taskKeyOf(task.hubId, task.idempotencyKey));
  const now = ctx.now().getTime();
  const failed = same.find((t) => t.id !== task.id && holdsLaterTasks(t, now)
    && (t.lastError?.kind === 'conflict' || sameRequest((t.payload as OperationPayload).op, op)));
  return failed ? { failed, why: `refused earlier (task ${failed.id}): ${failed.lastError!.message}` } : undefined;
}

/**
 * The outcome of a task `refusedEarlier` holds. The hold is audited once per failed task, the first
 * time it holds a later task (the plan runs hourly: an entry each hour buried the person's trail),
 * naming the failed task, its reason, when the hold ends and how an owner ends it sooner; the
 * failed task records it (`holdAudited`, its `updatedAt` kept: the hold counts from it), and later
 * holds by it write nothing.
 */
function heldByRefusal(ctx: TaskContext, op: Operation, { failed, why }: { failed: Readonly<TaskRecord>; why: string }): TaskOutcome {
  const result = { status: 'completed' as const, result: { outcome: 'superseded', held: why } };
  if (failed.holdAudited) return result;
  const until = new Date(Date.parse(failed.updatedAt) + REFUSAL_HOLD_MS).toISOString();
  ctx.audit({
    action: op.kind, subject: subjectOf(op), outcome: 'skipped', detail: { heldBy: failed.id, until },
    why: `${op.summary}: not done, held by failed task ${failed.id} (${failed.lastError!.message}) until ${until}, or until an owner retries that task once the cause is fixed (hubwarden tasks retry ${failed.hubId} ${failed.id} --reason …); later holds by it are not audited again`,
  });
  return { ...result, commit: async (tx) => {
    const now = await tx.get('tasks', failed.hubId, failed.id);
    if (now && !now.holdAudited) tx.put('tasks', failed.hubId, failed.id, { ...now, holdAudited: ctx.now().toISOString() });
  } };
}

/** Whether two invites ask the app for the same thing (the address compared as matching compares it: emailKey). */
function sameRequest(a: Operation | undefined, b: Operation): boolean {
  const ask = (o: Operation) => o.kind === 'invite' || o.kind === 'reinvite'
    ? JSON.stringify([o.kind, emailKey(o.email), o.role, [...(o.assets ?? [])].map((x) => JSON.stringify(x)).sort()]) : undefined;
  const asked = a === undefined ? undefined : ask(a);
  return asked !== undefined && asked === ask(b);
}

/**
 * Runs one planned app change. Just before calling the app it re-plans the person from the
 * current state: an operation the desired state no longer asks for (the person was re-added
 * during the settle window, reactivated before an owner applied a report, the invite was
 * already recorded) is skipped rather than done. When the app refuses it because the app moved
 * under the plan (stale-view.ts), the person is re-read and re-planned and the corrected
 * operations run instead.
 */
export function operationHandler(kind: OperationKind): TaskHandler {
  return {
    kind,
    async run(task, ctx) {
      const { op: queued, force, directoryVersion } = task.payload as OperationPayload;
      let op = queued;
      const hub = ctx.hub;
      const connector = ctx.connector;
      if (!hub || !connector) return { status: 'failed', error: { kind: 'invalid-argument', message: `${op.summary}: hub ${task.hubId} is not configured` } };
      // Read with the re-plan's first reads (one round trip on PostgreSQL, not one more after it).
      const clean = op.kind === 'invite' ? cleanFirstAttempt(task, ctx) : Promise.resolve(false);
      clean.catch(() => {}); // not awaited when the re-plan finds the invite no longer needed
      if (force) {
        const exempted = await forcedRemovalVoid(ctx.store, task.hubId, op, directoryVersion, ctx.now());
        if (exempted) {
          // An earlier attempt may have made it before the exemption, reactivation or rematch: looked up first.
          const removed = (op.kind === 'remove-member' || op.kind === 'cancel-invite') && earlierAttemptUnknown(task) ? await settleOwnRemoval(task, ctx, op, exempted) : undefined;
          if (removed) return removed;
          const maybe = notDoneMayHaveBeenMade(task, op, connector);
          ctx.audit({ action: op.kind, subject: subjectOf(op), why: `${op.summary}: not done, ${exempted}${maybe?.note ?? ''}`, outcome: 'skipped', ...(maybe ? { detail: maybe.detail } : {}) });
          return { status: 'completed', result: { outcome: 'superseded', held: exempted } };
        }
      } else {
        const person = { directoryUserIds: op.directoryUserId ? [op.directoryUserId] : [], emails: op.email ? [op.email] : [] };
        // An invite asks, with the re-plan's reads, for the person's invites of unknown outcome
        // (one index lookup): one at an older email is settled before this one goes out.
        const [current, unsettled] = await Promise.all([
          planPerson(ctx.store, hub, person, { now: ctx.now() }),
          op.kind === 'invite' && op.directoryUserId ? unsettledInviteFor(ctx.store, task.hubId, op.directoryUserId) : [],
        ]);
        const planned = current.operations.find((o) => o.key === queued.key);
        // Not asked for any more, but an earlier attempt may have made the invite: settled first.
        const own = !planned && queued.kind === 'invite' && earlierAttemptUnknown(task) ? await settleOwnInvite(task, ctx, queued, current) : undefined;
        if (own) return own;
        // The same for a removal: the seat or invite may be gone already, and the person back in a team.
        const removed = !planned && (queued.kind === 'remove-member' || queued.kind === 'cancel-invite') && earlierAttemptUnknown(task) ? await settleOwnRemoval(task, ctx, queued) : undefined;
        if (removed) return removed;
        if (!planned) {
          const held = current.held.find((h) => h.operation.key === queued.key);
          const maybe = notDoneMayHaveBeenMade(task, queued, connector);
          ctx.audit({ action: queued.kind, subject: subjectOf(queued), why: `${queued.summary}: not done, ${held ? held.why : 'no longer needed (the directory or the app changed since it was planned)'}${maybe?.note ?? ''}`, outcome: 'skipped', ...(maybe ? { detail: maybe.detail } : {}) });
          return { status: 'completed', result: { outcome: 'superseded', ...(held ? { held: held.why } : {}) } };
        }
        // A key names the change, not its direction: an asset's tasks or a role changed by hand
        // while a grant waited turn the same key into a downgrade, a reactivation turns a
        // deprovisioning removal into a settle one. Run here, it skipped its lane (the settle
        // window, the threshold, the deprovisioning report): handed to that lane instead.
        const lane = classify(planned);
        if (lane !== 'now' && lane !== classify(queued)) {
          ctx.audit({ action: planned.kind, subject: subjectOf(planned), outcome: 'pending', detail: { effect: planned.effect, reason: planned.reason },
            why: `${planned.summary}: not done now: queued as a ${queued.effect} (${queued.reason}), it has become a ${planned.effect} (${planned.reason}) and waits its safety lane (${lane === 'settle' ? 'the settle window and removal threshold' : 'deprovisioning'})` });
          return { status: 'completed', result: { outcome: 'superseded', deferredTo: lane }, commit: async (tx) => {
            await scheduleRemovals(tx, hub, lane, task.trigger, ctx.now());
            noteDeferred(tx, hub.id, lane, planned, task.id, ctx.now());
          } };
        }
        // Queued before a change whose settle window is still open (it waited on a rate limit, say):
        // it waits for that window, as the settle pass does, and that pass plans it again.
        if (lane === 'settle' && await settleWindowOpenSince(ctx.store, hub, task.createdAt, ctx.now())) {
          ctx.audit({ action: planned.kind, subject: subjectOf(planned), outcome: 'pending', detail: { effect: planned.effect, reason: planned.reason },
            why: `${planned.summary}: not done now: the directory changed since it was queued, and it waits the settle window (${hub.safety.settleSeconds}s) and removal threshold again` });
          // The settle pass closes that pending entry if it no longer plans the change (deferred-removals.ts).
          // It may have started since it was read: then a new pass is made sure of.
          return { status: 'completed', result: { outcome: 'superseded', deferredTo: lane }, commit: async (tx) => {
            await ensureRemovalPass(tx, hub, lane, task.trigger, ctx.now());
            noteDeferred(tx, hub.id, lane, planned, task.id, ctx.now());
          } };
        }
        // What the desired state asks for now, under the same key: an invite's key names the
        // person, not the role, so a group change made while it waited (queued behind Meta's
        // invite limit, say) is in the new plan's role, and the queued payload's would be stale.
        op = planned;
        // Refused earlier because the email holds a seat no re-read found (stale-view.ts), or
        // refused for good for the same request: sent again at every check, it was refused and
        // audited again each time. That failed task (hub health counts it failing while it holds) stands for
        // this one for a week from its failure (REFUSAL_HOLD_MS), or until an owner retries it
        // (retry-task.ts: `POST /hubs/{hubId}/tasks/{taskId}/retry`, `hubwarden tasks retry`);
        // the first hold by it is audited (heldByRefusal).
        const refused = op.kind === 'invite' || op.kind === 'reinvite' ? await refusedEarlier(task, ctx, op) : undefined;
        if (refused) return heldByRefusal(ctx, op, refused);
        const instead = op.kind === 'invite' ? await settleBeforeInvite(task, ctx, op, unsettled) : undefined;
        if (instead) return instead;
      }
      // The last admin is never removed or demoted, counting the other admins' removals queued
      // since this one was checked (removal.ts `lastAdminHold`): forced or planned alike.
      const lastAdmin = await lastAdminHold(ctx.store, task.hubId, op, roleRulesOfHub(hub), ctx.now());
      if (lastAdmin) {
        const maybe = notDoneMayHaveBeenMade(task, op, connector);
        ctx.audit({ action: op.kind, subject: subjectOf(op), why: `${op.summary}: not done, ${lastAdmin} (another admin's removal or demotion is queued or running)${maybe?.note ?? ''}`, outcome: 'skipped', detail: { reason: op.reason, ...maybe?.detail } });
        return { status: 'completed', result: { outcome: 'superseded', held: lastAdmin } };
      }
      const firstAttempt = await clean;
      // A re-send an earlier attempt may have made (its invite's answer lost): told from the task
      // records, which every replica and a restarted process read alike.
      const earlierUnknown = op.kind === 'reinvite' && (ctx.interrupted || await earlierResendUnknown(task, ctx.store));
      const started = Date.now();
      let res;
      try {
        res = await callApp(connector, op, { firstAttempt, earlierAttemptUnknown: earlierUnknown });
      } catch (err) {
        const why = staleViewOf(op, err);
        if (!why || !connector.readPerson) {
          // Sent, its answer lost: audited now, `unknown` (lost-answer.ts), with the attempt's end.
          const lost = lostAnswerAudit(op, err, task.attempts);
          if (lost) ctx.audit(lost);
          throw err;
        }
        return recoverStaleView({ task, ctx, hub, connector, op, error: err as Error, why, subjectOf });
      }
      const ms = Date.now() - started;
      // A change the hub's rules decided names the config revision that last changed them.
      const cause = configCause(op, force === true, ctx.configRevision);
      const ours = res.result === 'done' ? undefined : alreadyDoneMayBeOurs(task);
      ctx.audit({
        action: op.kind, subject: subjectOf(op), why: `${op.summary} (${op.reason}${cause.note})${ours?.note ?? ''}`, outcome: res.result === 'done' ? 'ok' : 'already-done',
        detail: { effect: op.effect, reason: op.reason, grantedBy: op.grantedBy, ms, attempt: task.attempts, ...(res.inviteId ? { inviteId: res.inviteId } : {}), ...cause.detail, ...ours?.detail },
      });
      // A removal's outcome and the re-plan of the rehire it frees the email for commit together.
      return { status: 'completed', result: res, commit: async (tx) => {
        await recordInSnapshot(tx, task.hubId, op, res, ctx.now());
        await replanRehireAfterRemoval(tx, task.hubId, op, task.id, ctx.now());
      } };
    },
  };
}

export const operationHandlers: TaskHandler[] = OPERATION_KINDS.map(operationHandler);
