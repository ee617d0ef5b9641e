import { randomUUID } from 'node:crypto';
import type { HubConfigFile } from '../../config/schema.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import type { Operation } from '../plan/operation.ts';
import type { ApprovalRecord } from '../safety/approvals.ts';
import { pendingApprovalsOf } from '../safety/held-indexes.ts';
import { ACCESS_REMOVAL_LABEL, judgeRemovalThreshold } from '../safety/judge-threshold.ts';
import type { ReadView, Transaction } from '../store/store.ts';
import { updateTask } from '../tasks/enqueue.ts';
import { enqueueOperation } from '../tasks/operations/enqueue-operation.ts';
import { subjectOf } from '../tasks/operations/audit-subject.ts';
import { isFinished } from '../tasks/task-record.ts';
import { forcedRemovalVoid } from '../tasks/operations/forced-removal.ts';

/**
 * The brake on explicit leaver actions (`safety.offboards: threshold`). A leaver workflow removes
 * one person at once, and by default no threshold applies: it is an owner's decision. But a wrong
 * bulk deactivation in Okta starts one Okta Workflows flow per person (https://help.okta.com/wf/en-us/content/topics/workflows/connector-reference/okta/events/userdeactivated.htm),
 * and every one of them removed, past the removal threshold that stops the same mass event over SCIM.
 * With `threshold`, an offboarding whose removals on a hub, with those let through in the hub's
 * removal window, would pass `removalThresholdPercent` halts there as an approval (as a SCIM
 * pass's removals do, safety/apply-removals.ts): an owner approves (the removals are queued,
 * forced, under the offboarding) or rejects (the seats stay, each audited as not done).
 */

/** Why an offboarding's removals on one hub halt: the approval it will be, and what tripped it. */
export interface OffboardHalt {
  approvalId: string;
  explanation: string;
  tripped: string[];
  removals: number;
  members: number;
  /** The pending approval of another offboarding of the same person on the hub that this one joins (`pendingOffboardOf`). */
  joins?: Readonly<ApprovalRecord>;
}

/** What an offboarding parent's result says of each hub it halted on (read by its second run). */
export interface HaltedOffboard {
  hubId: string;
  approvalId: string;
  operations: number;
  explanation: string;
}

/**
 * Would this offboarding's removals on `hub`, with those let through in the window, pass the
 * threshold? Judged by the same rule as every IdP-driven removal (judge-threshold.ts), read in
 * the transaction that queues them. One exception: only removals already in the window can tip
 * an offboarding over. A leaver alone is not a mass event, and on a hub of 3 members one person
 * is 33 %: the first offboarding of an empty window always goes (and with `removalWindowMinutes`
 * 0 every offboarding is judged alone, so none halts). Undefined: let through.
 */
export async function judgeOffboard(tx: Transaction, hub: HubConfigFile, ops: readonly Operation[], now: Date, who: string): Promise<OffboardHalt | undefined> {
  const t = await judgeRemovalThreshold(tx, hub, ops, now);
  const tripped = t.tripped.filter((k) => (k === 'seat' ? t.earlier : t.kinds.find((j) => j.kind === k)?.earlier ?? 0) > 0);
  if (tripped.length === 0) return undefined;
  const brake = tripped.map((k) => ACCESS_REMOVAL_LABEL[k]).join(', ');
  const explanation = `offboarding ${who} would ${t.brakeText}, more than removalThresholdPercent ${hub.safety.removalThresholdPercent}% (${brake}; safety.offboards: threshold): an owner must approve it`;
  return { approvalId: randomUUID(), explanation, tripped, removals: t.removals, members: t.members };
}

/**
 * The pending approval another offboarding of the same person halted on here, if any: the same
 * `offboardOf`, or one of the same seats held (a seat is one person's). A hub-scoped admin token
 * and an every-hub token are two offboardings (agent-api.ts keys them apart, so neither is
 * answered with the other's task): each halted with an approval of its own for the same seats,
 * an owner saw two, and approving both ran the removals twice. Joined whatever the threshold now
 * says: the person's removals wait on one decision, never one queued beside a pending approval.
 */
export async function pendingOffboardOf(tx: Pick<Transaction, 'lookup'>, hubId: string, person: string, ops: readonly Operation[]): Promise<Readonly<ApprovalRecord> | undefined> {
  const keys = new Set(ops.map((o) => o.key));
  for (const a of await pendingApprovalsOf(tx, hubId)) {
    if (a.offboard && (a.offboardOf === person || a.planned.some((o) => keys.has(o.key)))) return a;
  }
  return undefined;
}

/**
 * The halt of an offboarding that joins `approval` (pendingOffboardOf). Bringing seats the approval
 * does not hold, it waits on a new approval (a new id) holding them all: `joinOffboard` supersedes
 * the pending one rather than growing it under the id an approver may already have read.
 */
export function joinedHalt(approval: Readonly<ApprovalRecord>, ops: readonly Operation[]): OffboardHalt {
  const held = new Set(approval.planned.map((o) => o.key));
  const grows = ops.some((o) => !held.has(o.key));
  return { approvalId: grows ? randomUUID() : approval.id, explanation: approval.explanation, tripped: [], removals: 0, members: 0, joins: approval };
}

/**
 * Records the halt: an approval holding the removals (marked `offboard`, so a SCIM pass's
 * approval on the hub never supersedes it, nor it them), audited `approval-requested` with the
 * share, and each held removal in its person's trail. Staged in the offboarding's transaction.
 */
export async function haltOffboard(tx: Transaction, input: { hub: HubConfigFile; ops: Operation[]; halt: OffboardHalt; taskId: string; trigger: Trigger; now: Date; person: string }): Promise<void> {
  const { hub, ops, halt, taskId, trigger } = input;
  if (halt.joins) return joinOffboard(tx, { ...input, approval: halt.joins });
  const approval: ApprovalRecord = {
    id: halt.approvalId, hubId: hub.id, createdAt: input.now.toISOString(), status: 'pending', explanation: halt.explanation,
    operations: ops.map((o) => ({ kind: o.kind, summary: o.summary })), taskId, planned: ops, offboard: true, offboardOf: input.person,
    directoryVersions: await versionsOf(tx, hub.id, ops),
  };
  tx.put('approvals', hub.id, approval.id, approval);
  appendAudit(tx, { hubId: hub.id, trigger, taskId, action: 'approval-requested', subject: { label: `approval ${approval.id}` }, why: halt.explanation, outcome: 'pending',
    detail: { brake: halt.tripped, removals: halt.removals, members: halt.members } });
  for (const op of ops) {
    appendAudit(tx, { hubId: hub.id, trigger, taskId, action: 'offboard', subject: subjectOf(op),
      why: `${op.summary}: held for approval ${approval.id} (removalThresholdPercent ${hub.safety.removalThresholdPercent}%, safety.offboards: threshold)`, outcome: 'pending', detail: { approvalId: approval.id } });
  }
}

/**
 * A second offboarding of the same person joins the pending approval (pendingOffboardOf): one
 * approval, its task among those waiting on it (`joined`). Audited `approval-joined`, and each
 * removal in its person's trail. An approval never grows in place: the admin API, the CLI and the
 * dashboard decide by id alone, so an approver who read two removals and approved the id would
 * have approved a third added since, unread. When the join brings seats the approval does not
 * hold, a new approval (`halt.approvalId`) holds them all, every offboarding waiting on the old
 * one now waits on the new one, and the old one is `superseded` (deciding it is refused, naming
 * the new one), audited `approval-superseded`.
 */
async function joinOffboard(tx: Transaction, input: { hub: HubConfigFile; ops: Operation[]; halt: OffboardHalt; approval: Readonly<ApprovalRecord>; taskId: string; trigger: Trigger; now: Date }): Promise<void> {
  const { hub, ops, approval: was, taskId, trigger, now } = input;
  const held = new Set(was.planned.map((o) => o.key));
  const added = ops.filter((o) => !held.has(o.key));
  const planned = [...was.planned, ...added];
  const joined = taskId === was.taskId || was.joined?.includes(taskId) ? was.joined : [...(was.joined ?? []), taskId];
  const id = input.halt.approvalId;
  const approval: ApprovalRecord = {
    ...was, id, ...(id !== was.id ? { createdAt: now.toISOString() } : {}),
    planned, operations: planned.map((o) => ({ kind: o.kind, summary: o.summary })), ...(joined ? { joined } : {}),
    // The later offboarding is the newer leaver decision: the versions it read count from now on.
    directoryVersions: { ...was.directoryVersions, ...await versionsOf(tx, hub.id, ops) },
  };
  tx.put('approvals', hub.id, approval.id, approval);
  if (id !== was.id) {
    tx.put('approvals', hub.id, was.id, { ...was, status: 'superseded', supersededBy: id, decidedAt: now.toISOString() });
    for (const waiting of [was.taskId, ...(was.joined ?? [])]) if (waiting !== taskId) await waitOn(tx, waiting, was.id, approval, now);
    appendAudit(tx, { hubId: hub.id, trigger, taskId, action: 'approval-superseded', subject: { label: `approval ${was.id}` },
      why: `approval ${was.id} superseded by approval ${id}: offboarding task ${taskId} of the same person found ${added.length} removal(s) it did not hold; approval ${id} holds all ${planned.length}, to be read and decided again`,
      outcome: 'ok', detail: { approvalId: was.id, supersededBy: id, added: added.length, operations: planned.length } });
  }
  const how = added.length > 0 ? `, with ${added.length} removal(s) it did not hold: superseded by approval ${id}` : ', the same removals';
  appendAudit(tx, { hubId: hub.id, trigger, taskId, action: 'approval-joined', subject: { label: `approval ${id}` },
    why: `offboarding task ${taskId} joined approval ${was.id}, pending for the same person (offboarding task ${was.taskId})${how}`, outcome: 'pending',
    detail: { approvalId: id, offboarding: was.taskId, added: added.length, operations: planned.length } });
  for (const op of ops) {
    appendAudit(tx, { hubId: hub.id, trigger, taskId, action: 'offboard', subject: subjectOf(op),
      why: `${op.summary}: held for approval ${id} (joined: another offboarding of this person waits on it)`, outcome: 'pending', detail: { approvalId: id } });
  }
}

/** The record version of each directory user the removals name, read through the halting transaction (ApprovalRecord.directoryVersions). */
async function versionsOf(tx: Pick<Transaction, 'get'>, hubId: string, ops: readonly Operation[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const id of new Set(ops.flatMap((o) => (o.directoryUserId ? [o.directoryUserId] : [])))) out[id] = (await tx.get('directoryUsers', hubId, id))?.version ?? 0;
  return out;
}

/**
 * Why a removal an offboarding's approval holds no longer stands, or undefined: the checks a forced
 * removal makes before its call (forced-removal.ts), with the directory version the halt read. A
 * person the IdP reactivated while the approval waited (the hold ended, RFC 7643 §4.1.1) is back;
 * compared with the version read when the approval is decided, as a queued removal's is, the
 * reactivation came before it and the returned person lost the seat. Read by a re-plan that sees
 * them back (safety/approval-kept.ts) and by the transaction that approves it.
 */
export function offboardRemovalVoid(view: ReadView, a: Readonly<ApprovalRecord>, op: Readonly<Operation>, now: Date): Promise<string | undefined> {
  return forcedRemovalVoid(view, a.hubId, op, op.directoryUserId ? a.directoryVersions?.[op.directoryUserId] : undefined, now);
}

/** An offboarding halted on approval `from` now waits on `to` (its result names the approval its caller polls for). */
function waitOn(tx: Transaction, taskId: string, from: string, to: Readonly<ApprovalRecord>, now: Date): Promise<void> {
  return setHalted(tx, taskId, from, { approvalId: to.id, operations: to.planned.length }, now);
}

/** The `halted` entry of offboarding `taskId` for approval `from`, set to `to` (staged only when it changes). */
async function setHalted(tx: Transaction, taskId: string, from: string, to: Pick<HaltedOffboard, 'approvalId' | 'operations'>, now: Date): Promise<void> {
  const task = await tx.get('tasks', '', taskId);
  const halted = (task?.result as { halted?: HaltedOffboard[] } | undefined)?.halted;
  if (!task || !halted?.some((h) => h.approvalId === from && (h.approvalId !== to.approvalId || h.operations !== to.operations))) return;
  const next = halted.map((h) => (h.approvalId === from ? { ...h, ...to } : h));
  await updateTask(tx, task, { result: { ...(task.result as object), halted: next } }, now);
}

/**
 * An offboarding's approval let go of some of its removals and kept the rest (safety/approval-kept.ts:
 * a person back, a seat exempted or someone else's): each offboarding waiting on it counts only
 * those it still holds (`halted[].operations`, what a leaver workflow polling the task reads, and
 * the count a rejection names as not done), in the same transaction. Before, the count stayed as
 * halted: the task reported held removals that no longer existed.
 */
export async function offboardApprovalNarrowed(tx: Transaction, a: Readonly<ApprovalRecord>, at: Date): Promise<void> {
  for (const taskId of [a.taskId, ...(a.joined ?? [])]) await setHalted(tx, taskId, a.id, { approvalId: a.id, operations: a.planned.length }, at);
}

/** The approval an offboarding halted on, or the one that superseded it (joinOffboard), as it is now. */
async function currentApproval(view: Pick<Transaction, 'get'>, hubId: string, id: string): Promise<Readonly<ApprovalRecord> | undefined> {
  let a = await view.get('approvals', hubId, id);
  for (let hops = 0; a?.offboard && a.status === 'superseded' && a.supersededBy && hops < 16; hops++) a = await view.get('approvals', hubId, a.supersededBy);
  return a;
}

/**
 * An owner decided an offboarding's approval (agent-api.ts `decideApproval`, in its transaction).
 * Approved: its removals are queued as the offboarding queues them (forced: a decision, not a
 * plan) and as children of the offboarding, which then waits for them. Once none of the
 * offboarding's approvals is pending, the offboarding goes on: waiting for its children, or run
 * again at once to end (failed when an approval was rejected: seats were left in place).
 * A removal that no longer stands (`offboardRemovalVoid`: the person came back, or was exempted,
 * before or as the owner approved; read here, in the transaction that queues) is not queued,
 * audited `skipped` with why. Returns the ids of the queued removal tasks and their operations.
 */
export async function offboardApprovalDecided(tx: Transaction, a: Readonly<ApprovalRecord>, approved: boolean, hub: HubConfigFile, trigger: Trigger, at: Date): Promise<{ ids: string[]; queued: Operation[] }> {
  const ids: string[] = [];
  const queued: Operation[] = [];
  if (approved) {
    for (const op of a.planned) {
      const voided = await offboardRemovalVoid(tx, a, op, at);
      if (voided) {
        appendAudit(tx, { hubId: hub.id, trigger, taskId: a.taskId, action: op.kind, subject: subjectOf(op), at: at.toISOString(), outcome: 'skipped',
          why: `${op.summary}: not done, ${voided} (approval ${a.id} approved by ${trigger.actor ?? trigger.type}; this removal no longer stands)`, detail: { approvalId: a.id, reason: op.reason } });
        continue;
      }
      queued.push(op);
      ids.push((await enqueueOperation(tx, { hub, op, trigger, parentId: a.taskId, force: true, now: at })).id);
    }
  }
  await goOn(tx, a, a.taskId, ids.length > 0, at);
  // An offboarding that joined it (joinOffboard) waits for the same removal tasks (queued once:
  // the same operation keys, enqueue-operation.ts `waiters`), and goes on as the first does.
  for (const joined of a.joined ?? []) {
    let waits = false;
    for (const op of queued) waits = !isFinished(await enqueueOperation(tx, { hub, op, trigger, parentId: joined, force: true, now: at })) || waits;
    await goOn(tx, a, joined, waits, at);
  }
  return { ids, queued };
}

/**
 * An offboarding's approval was withdrawn before anyone decided it (every removal it held no longer
 * stands: withdraw-approval.ts): each offboarding waiting on it counts none held there (as a
 * narrowed one counts what is left, offboardApprovalNarrowed) and goes on as after a decision that
 * queued nothing. Cancelled, as a removal pass's halted task is, the leaver workflow would hear of
 * a failure for removals that were not due.
 */
export async function offboardApprovalWithdrawn(tx: Transaction, a: Readonly<ApprovalRecord>, at: Date): Promise<void> {
  for (const taskId of [a.taskId, ...(a.joined ?? [])]) {
    await setHalted(tx, taskId, a.id, { approvalId: a.id, operations: 0 }, at);
    await goOn(tx, a, taskId, false, at);
  }
}

/** An offboarding halted on `a` goes on once none of its approvals is pending: waiting for its removals, or run again at once to end. */
async function goOn(tx: Transaction, a: Readonly<ApprovalRecord>, taskId: string, queued: boolean, at: Date): Promise<void> {
  const parent = await tx.get('tasks', '', taskId);
  if (parent?.status !== 'needs-approval') return;
  const halted = (parent.result as { halted?: HaltedOffboard[] } | undefined)?.halted ?? [];
  for (const h of halted) {
    const now = await currentApproval(tx, h.hubId, h.approvalId);
    if (now && now.id !== a.id && now.status === 'pending') return;
  }
  const children = queued || (await tx.lookup('tasks', 'tasks.parent', parent.id)).some((c) => !isFinished(c));
  await updateTask(tx, parent, children ? { status: 'waiting', waitReason: 'children' } : { status: 'queued' }, at);
}

/**
 * What the offboarding's halted approvals left undone, for its second run: one line per
 * rejected approval. `pending`: one is still undecided (the offboarding keeps waiting).
 */
export async function haltedOutcome(view: Pick<Transaction, 'get'>, halted: readonly HaltedOffboard[]): Promise<{ pending: boolean; rejected: string[] }> {
  let pending = false;
  const rejected: string[] = [];
  for (const h of halted) {
    const a = await currentApproval(view, h.hubId, h.approvalId);
    if (a?.status === 'pending') pending = true;
    if (a?.status === 'rejected' || a?.status === 'superseded') rejected.push(`hub ${h.hubId}: approval ${a.id} ${a.status}${a.decidedBy ? ` by ${a.decidedBy}` : ''}, ${h.operations} removal(s) not done`);
  }
  return { pending, rejected };
}
