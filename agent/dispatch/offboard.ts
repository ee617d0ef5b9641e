import type { HubConfigFile } from '../../config/schema.ts';
import { memberRowOf, type HeldOperation, type Operation } from '../plan/operation.ts';
import { cancelInviteOperation, guardRemovals, removalFactsOf, removeMemberOperation } from '../plan/removal.ts';
import { roleRulesOfHub } from '../grants/role-rules.ts';
import { PERSON_INDEX } from '../plan/person-input.ts';
import type { ReadView, Transaction } from '../store/store.ts';
import type { TaskHandler, TaskOutcome } from '../tasks/handler.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { ACCESS_REMOVAL_LABEL, judgeRemovalThreshold } from '../safety/judge-threshold.ts';
import { recordAccessRemovals } from '../safety/removal-window.ts';
import { addToReport } from '../safety/reports.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { enqueueOperation } from '../tasks/operations/enqueue-operation.ts';
import { subjectOf } from '../tasks/operations/audit-subject.ts';
import { findPerson, hubsOfTrigger, type PersonRef } from './find-person.ts';
import { ambiguousPerson, ambiguousText } from './ambiguous-person.ts';
import { inviteIdOf, inviteRowId } from '../standing/row-ids.ts';
import { holdOffboarded } from './offboard-hold.ts';
import { emailKey } from '../matching/email-key.ts';
import { haltedOutcome, haltOffboard, joinedHalt, judgeOffboard, pendingOffboardOf, type HaltedOffboard, type OffboardHalt } from './offboard-brake.ts';

/** Whether the row is met for the first time (and note it). */
function once(seen: Set<string>, rowId: string): boolean {
  if (seen.has(rowId)) return false;
  seen.add(rowId);
  return true;
}

/**
 * The seats of one person on one hub, as removal operations: a leaver workflow (Entra lifecycle
 * task, Okta Workflows, `hubwarden offboard`) removes them now, without waiting for the IdP to
 * deactivate the account. Built and checked like every removal (agent/plan/removal.ts): exempted
 * rows, system users, the last admin and an incomplete listing come back as `held`, with why.
 */
export async function offboardOperations(view: ReadView, hub: HubConfigFile, emails: string[], directoryUserId: string | undefined, now: Date): Promise<{ operations: Operation[]; held: HeldOperation[] }> {
  const ops: Operation[] = [];
  const why = { reason: 'deactivated' as const, because: 'offboarded', ...(directoryUserId ? { directoryUserId } : {}) };
  const seen = new Set<string>();
  const notTheirs: HeldOperation[] = [];
  // A row found by email is the person's unless its match says otherwise (see `otherOwner`).
  const byEmail = async (rowId: string, op: Operation) => {
    const other = await otherOwner(view, hub.id, rowId, directoryUserId);
    if (other) notTheirs.push({ operation: op, why: other });
    else ops.push(op);
  };
  for (const email of new Set(emails.map(emailKey))) {
    for (const m of await view.lookup('appMembers', PERSON_INDEX.memberByEmail, `${hub.id}\u0000${email}`)) if (once(seen, m.id)) await byEmail(m.id, removeMemberOperation({ ...m, email }, why));
    for (const i of await view.lookup('appInvites', PERSON_INDEX.inviteByEmail, `${hub.id}\u0000${email}`)) {
      if (i.status === 'pending' && once(seen, inviteRowId(i.id))) await byEmail(inviteRowId(i.id), cancelInviteOperation(i, why));
    }
  }
  // The rows matched to the person are theirs whatever email they carry: the IdP may have changed
  // the person's email (SCIM PATCH/PUT of `emails`, RFC 7644 §3.5.2) while the app still files the
  // seat under the old one (an invite under the email it was sent to:
  // https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users).
  // By email alone, a leaver workflow left that seat in place and reported the person offboarded.
  if (directoryUserId) {
    for (const match of await view.lookup('memberMatches', PERSON_INDEX.matchByDirectoryUser, `${hub.id}\u0000${directoryUserId}`)) {
      if (match.outcome !== 'onboarded' && match.outcome !== 'exempted') continue;
      if (!once(seen, match.memberId)) continue;
      const inviteId = inviteIdOf(match.memberId);
      if (inviteId !== undefined) {
        const i = await view.get('appInvites', hub.id, inviteId);
        if (i?.status === 'pending') ops.push(cancelInviteOperation(i, why));
      } else {
        const m = await view.get('appMembers', hub.id, match.memberId);
        if (m) ops.push(removeMemberOperation(m, why));
      }
    }
  }
  const rules = roleRulesOfHub(hub);
  const checked = guardRemovals(ops, await removalFactsOf(view, hub.id, now, rules), rules);
  return { operations: checked.operations, held: [...notTheirs, ...checked.held] };
}

/**
 * Why a row found by the leaver's email is not theirs to remove, or undefined when it may be.
 * The plan governs such rows by their match first (plan.ts `governing`), and offboarding must
 * agree: a row an owner registered as a guest, un-matched from a directory user (a recycled or
 * shared address), left disputed between several users, or matched to another live directory user
 * (an owner's manual match, or an email the IdP moved to someone else) is not this person's seat.
 * By email alone, offboarding one person removed another's seat.
 */
async function otherOwner(view: ReadView, hubId: string, rowId: string, directoryUserId: string | undefined): Promise<string | undefined> {
  const m = await view.get('memberMatches', hubId, rowId);
  if (!m) return undefined;
  if (m.outcome === 'guest') return 'registered as a guest: not a directory user\'s seat';
  if (m.outcome === 'unmatched' && m.manual) return 'un-matched by an owner: not a directory user\'s seat';
  if (m.outcome === 'unmatched' && m.candidates?.length) return `disputed between directory users ${m.candidates.join(', ')}: an owner decides whose seat it is`;
  if (!m.directoryUserId || m.directoryUserId === directoryUserId) return undefined;
  // Matched to someone else: theirs while that user exists. A deleted user's row under the
  // leaver's email is the leaver's (the IdP deleted and re-created them under a new SCIM id,
  // RFC 7644 §3.3), as the plan governs it.
  return (await view.get('directoryUsers', hubId, m.directoryUserId)) ? `matched to directory user ${m.directoryUserId}, not to the leaver` : undefined;
}

/**
 * A deactivation the IdP announced (an Okta event hook's `user.lifecycle.deactivate`/`suspend`) is
 * an IdP-driven deprovisioning: with `safety.confirmDeprovisioning` it goes to the hub's
 * deprovisioning report for an owner to apply ("remove or report per policy"). An explicit leaver action (admin API/CLI offboard, Okta Workflows, an Entra Lifecycle
 * Workflows task) is the owner's decision already and removes at once.
 */
export function offboardGoesToReport(hub: HubConfigFile, trigger: Trigger): boolean {
  return offboardMayReport(trigger) && hub.safety.confirmDeprovisioning;
}

/** Whether an offboarding with this trigger follows the hubs' policy rather than removing at once. */
export function offboardMayReport(trigger: Trigger): boolean {
  return trigger.type === 'okta-event-hook';
}

/** Whether an explicit leaver action on this hub is judged by the removal threshold (`safety.offboards: threshold`, offboard-brake.ts). */
export function offboardBraked(hub: HubConfigFile, trigger: Trigger): boolean {
  return !offboardMayReport(trigger) && hub.safety.offboards === 'threshold';
}

/** A hub's removals for the deprovisioning report, in the task's result: how many are on it, and those left off with why. */
interface ReportedLane {
  hubId: string;
  operations: number;
  reportId?: string;
  skipped?: Array<{ memberId: string; summary: string; why: string }>;
}

/** One hub's part of an offboarding: its removals, queued, reported (`over`: past the threshold) or halted for approval. */
interface Lane {
  hub: HubConfigFile;
  /** Whom the lane offboards there: `user <directory user id>`, or `email <address>` for seats of nobody known (an approval's `offboardOf`). */
  person: string;
  ops: Operation[];
  report: boolean;
  over?: string;
  halt?: OffboardHalt;
}

/** Parent task of an offboarding: queues every hub's removals (or reports them), then waits for them. */
export function offboardHandler(hubs: () => ReadonlyMap<string, HubConfigFile>): TaskHandler {
  return {
    kind: 'offboard',
    local: true,
    async run(task, ctx) {
      // Second run: the children are done (the runner wakes a waiting parent when they finish).
      // The parent is what a leaver workflow waits on (Okta Workflows polls it; an Entra Lifecycle
      // Workflows callout is resumed `completed` only if it completed, and "completed" tells the
      // workflow the person is offboarded: https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume).
      // A removal that failed or was cancelled left a seat in place, so the offboarding failed.
      if (task.attempts > 1 && task.result !== undefined) {
        // An approval the offboarding halted on (offboard-brake.ts) that an owner rejected left seats too.
        const halts = await haltedOutcome(ctx.store, (task.result as { halted?: HaltedOffboard[] }).halted ?? []);
        if (halts.pending) return { status: 'needs-approval', result: task.result };
        const children = await ctx.store.lookup('tasks', 'tasks.parent', task.id);
        const unfinished = children.filter((c) => c.status === 'failed' || c.status === 'cancelled');
        if (unfinished.length === 0 && halts.rejected.length === 0) return { status: 'completed', result: task.result };
        const which = [...unfinished.map((c) => `${c.summary}: ${c.status}${c.lastError ? ` (${c.lastError.message})` : ''}`), ...halts.rejected].join('; ');
        const undone = unfinished.length > 0 ? `${unfinished.length} of ${children.length} removal(s) did not happen` : 'removals were not approved';
        return { status: 'failed', error: { kind: 'internal', message: `${undone}: ${which}` } };
      }
      const person = task.payload as PersonRef;
      const found = await findPerson(ctx.store, hubsOfTrigger(hubs().values(), task.trigger), person, task.trigger);
      // Checked again when it runs: a rehire created since it was queued (agent-api.ts refused it then).
      const ambiguous = await ambiguousPerson(ctx.store, found, person);
      if (ambiguous.length > 0) {
        const message = ambiguousText(person.directoryUserId ?? person.email ?? person.userName ?? person.externalId ?? '(nobody)', ambiguous, found).replace(/^agent: /, '');
        for (const a of ambiguous) ctx.audit({ hubId: a.hubId, action: 'offboard', subject: person.email ? { email: person.email } : { label: message }, why: message, outcome: 'failed' });
        return { status: 'failed', error: { kind: 'conflict', message } };
      }
      const planned: Array<Lane & { held: HeldOperation[] }> = [];
      for (const f of found) {
        const { operations, held } = await offboardOperations(ctx.store, f.hub, f.emails, f.user?.id, ctx.now());
        planned.push({ hub: f.hub, person: f.user ? `user ${f.user.id}` : `email ${f.emails[0] ?? ''}`, ops: operations, held, report: offboardGoesToReport(f.hub, task.trigger) });
      }
      // An Okta event hook's deactivation (not an explicit leaver action) is the IdP's word, as a
      // SCIM deactivation is: where it removes at once, its removals are judged by the hub's removal
      // threshold in the transaction that queues them (below), so they are audited there.
      // An explicit one on a hub with `safety.offboards: threshold` likewise (offboard-brake.ts).
      const judged = (p: { hub: HubConfigFile; report: boolean }) => (offboardMayReport(task.trigger) || offboardBraked(p.hub, task.trigger)) && !p.report;
      // A removal for the report is audited where addToReport says what became of it (stage, below):
      // added, an item already, or left off (queued already, or the seat gone), never "added" up front.
      for (const p of planned) for (const op of p.ops) {
        if (judged(p) || p.report) continue;
        // The seat (member or invite row) in the subject: a person's audit trail says which seat went.
        ctx.audit({ hubId: p.hub.id, action: 'offboard', subject: subjectOf(op), why: op.summary, outcome: 'pending' });
      }
      for (const p of planned) for (const h of p.held) {
        ctx.audit({ hubId: p.hub.id, action: 'offboard', subject: subjectOf(h.operation), why: `${h.operation.summary}: held (${h.why})`, outcome: 'skipped' });
      }
      if (planned.every((p) => p.ops.length === 0 && p.held.length === 0)) {
        // Nothing to remove: said in the audit log, or a leaver event (an Okta deactivation, a
        // Lifecycle Workflows task) for a person hubwarden cannot identify left no trace there at
        // all, and whoever reads the person's trail cannot tell "nothing held" from "never heard".
        const who = person.email ?? person.userName ?? person.externalId ?? '(nobody)';
        const known = found.some((f) => f.user);
        ctx.audit({
          action: 'offboard', subject: person.email ? { email: person.email } : { label: who }, outcome: known ? 'already-done' : 'skipped',
          why: known ? `offboard ${who}: no seat on any hub: nothing to remove`
            : `offboard ${who}: no directory user on any hub has this userName, externalId or email, and no seat is held under it: nothing removed`,
        });
      }
      const heldOf = planned.flatMap((p) => p.held.map((h) => ({ hubId: p.hub.id, memberId: memberRowOf(h.operation), summary: h.operation.summary, why: h.why })));
      const outcomeOf = (lanes: readonly Lane[]): TaskOutcome => {
        const queued = lanes.filter((p) => !p.report && !p.halt);
        const total = queued.reduce((n, p) => n + p.ops.length, 0);
        const halted: HaltedOffboard[] = lanes.flatMap((p) => (p.halt ? [{ hubId: p.hub.id, approvalId: p.halt.approvalId, operations: p.ops.length, explanation: p.halt.explanation }] : []));
        const result = {
          hubs: queued.filter((p) => p.ops.length > 0).map((p) => p.hub.id),
          operations: total,
          // Filled in the transaction that adds them (stage): what addToReport put or found on the report, not what was planned.
          reported: [] as ReportedLane[],
          // What a rule kept (an exemption, a system user, the last admin, an incomplete listing):
          // the seat is still there, and the workflow waiting on this task is told which and why.
          ...(heldOf.length > 0 ? { held: heldOf } : {}),
          // Past the threshold (safety.offboards: threshold): waiting for an owner, which approval on which hub.
          ...(halted.length > 0 ? { halted } : {}),
        };
        // Runs again whole on a PostgreSQL retry: the list is set, not appended to.
        const commit = async (tx: Transaction) => { result.reported = await stage(lanes)(tx); };
        // Halted: the task says so (needs-approval) until every approval is decided (offboard-brake.ts).
        if (halted.length > 0) return { status: 'needs-approval', result, commit };
        return total === 0 ? { status: 'completed', result, commit } : { status: 'waiting', reason: 'children', result, commit };
      };
      // An explicit leaver action holds the person (offboard-hold.ts), seats or not: a leaver the
      // IdP still pushes active was invited again by the next plan.
      const holds = offboardMayReport(task.trigger) ? [] : found.flatMap((f) => (f.user ? [{ hub: f.hub, id: f.user.id }] : []));
      const stage = (lanes: readonly Lane[]) => async (tx: Transaction): Promise<ReportedLane[]> => {
        const now = ctx.now();
        const reported: ReportedLane[] = [];
        for (const h of holds) await holdOffboarded(tx, h.hub, h.id, task.trigger, now);
        for (const p of lanes) {
          if (p.ops.length === 0) continue;
          if (p.halt) {
            await haltOffboard(tx, { hub: p.hub, ops: p.ops, halt: p.halt, taskId: task.id, trigger: task.trigger, now, person: p.person });
            continue;
          }
          if (p.report) {
            reported.push(await reportLane(tx, p, now));
            continue;
          }
          for (const op of p.ops) {
            await enqueueOperation(tx, { hub: p.hub, op, trigger: task.trigger, parentId: task.id, force: true, now });
            if (judged(p)) auditOffboard(tx, p.hub.id, op, op.summary);
          }
          // They count in the threshold's window as a deprovisioning pass's do: let through by it,
          // or an explicit leaver action's (safety.offboards immediate too). Not counted, a burst
          // of leaver workflows and a mass deactivation over SCIM after it were judged apart.
          await recordAccessRemovals(tx, p.hub.id, p.ops, now, p.hub.safety.removalWindowMinutes * 60_000);
        }
        return reported;
      };
      // Each seat's trail says what became of its removal: on the report (over the threshold, or
      // confirmDeprovisioning), or not, with why. A removal already queued (an applied item's, an
      // earlier offboarding's) or a seat already gone is no item an owner will see (reports.ts).
      const reportLane = async (tx: Transaction, p: Lane, now: Date): Promise<ReportedLane> => {
        const { report, added, onReport, skipped } = await addToReport(tx, p.hub.id, p.ops, now);
        const because = p.over ?? 'confirmDeprovisioning';
        for (const row of [...added, ...onReport]) {
          const op = report!.operations[row]!;
          const on = added.includes(row) ? 'added to' : 'already an item of';
          auditOffboard(tx, p.hub.id, op, `${op.summary}: ${because}: ${on} deprovisioning report ${report!.id}, waiting for an owner to apply it`);
        }
        for (const s of skipped) {
          appendAudit(tx, { hubId: p.hub.id, trigger: task.trigger, taskId: task.id, action: 'offboard', subject: subjectOf(s.op), why: `${s.op.summary}: not added to the deprovisioning report: ${s.why}`, outcome: 'skipped' });
        }
        return {
          hubId: p.hub.id, operations: added.length + onReport.length, ...(report && added.length + onReport.length > 0 ? { reportId: report.id } : {}),
          ...(skipped.length > 0 ? { skipped: skipped.map((s) => ({ memberId: s.row, summary: s.op.summary, why: s.why })) } : {}),
        };
      };
      const auditOffboard = (tx: Transaction, hubId: string, op: Operation, why: string) =>
        appendAudit(tx, { hubId, trigger: task.trigger, taskId: task.id, action: 'offboard', subject: subjectOf(op), why, outcome: 'pending' });
      const outcome = outcomeOf(planned);
      if (!planned.some((p) => judged(p) && p.ops.length > 0)) return outcome;
      return {
        ...outcome,
        // Judged in the transaction that queues them, so two deactivations offboarded side by side
        // each see the other's removals (on PostgreSQL the later commit runs again). Removed at once
        // one person at a time, a mass deactivation Okta announced went whole, past the threshold
        // the same deactivations pushed over SCIM are held by.
        commit: async (tx) => {
          const lanes: Lane[] = [];
          for (const p of planned) {
            if (!judged(p) || p.ops.length === 0) {
              lanes.push(p);
              continue;
            }
            if (offboardBraked(p.hub, task.trigger)) {
              // Another offboarding of this person (another admin token's) waits on an approval here: one approval, joined.
              const joins = await pendingOffboardOf(tx, p.hub.id, p.person, p.ops);
              const halt = joins ? joinedHalt(joins, p.ops) : await judgeOffboard(tx, p.hub, p.ops, ctx.now(), person.email ?? person.userName ?? person.externalId ?? '(nobody)');
              lanes.push(halt ? { ...p, halt } : p);
              continue;
            }
            const threshold = await judgeRemovalThreshold(tx, p.hub, p.ops, ctx.now());
            lanes.push(threshold.exceeds
              ? { ...p, report: true, over: `held: this deactivation would ${threshold.brakeText}, more than removalThresholdPercent ${p.hub.safety.removalThresholdPercent}% (${threshold.tripped.map((k) => ACCESS_REMOVAL_LABEL[k]).join(', ')})` }
              : p);
          }
          // Recorded instead of `outcome` (whose commit stages nothing then): its result is the one its stage fills.
          return outcomeOf(lanes);
        },
      };
    },
  };
}
