import type { HubConfigFile } from '../../config/schema.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { memberRowOf, type Operation, type PlanResult } from '../plan/operation.ts';
import type { Transaction } from '../store/store.ts';
import { pendingApprovalsOf, readPerHub } from './held-indexes.ts';
import type { ApprovalRecord } from './approvals.ts';
import { withdrawApproval } from './withdraw-approval.ts';
import { subjectOf } from '../tasks/operations/audit-subject.ts';
import { offboardApprovalNarrowed, offboardRemovalVoid } from '../dispatch/offboard-brake.ts';

/** Who re-planned or decided, under which task, and when (`now`: when its reads began). */
export interface KeptOrigin {
  trigger: Trigger;
  taskId?: string;
  now: Date;
}

/**
 * Takes out of the hub's pending approvals (a halted removal pass's, `safety.removalThresholdPercent`)
 * each held change `keeps` says no longer stands, as soon as that is known, not at the next whole-hub
 * pass (withdraw-approval.ts): the person came back (re-assigned in the IdP, reactivated) or a seat
 * was exempted. Before, the approval kept asking an owner to remove them until a check for updates
 * re-planned the hub, and the owner who approved meanwhile approved a removal of someone the
 * desired state keeps (each approved removal is re-planned before its call, operation-handler.ts,
 * but the owner was still asked, and the approval counted it in the removal window).
 *
 * An approval left with changes is kept under its id with only those (an owner who read the larger
 * one is refused by `approvalAsChecked` and reviews it again; a pass halting again with the same
 * changes refreshes it, requestApproval); one left with none is `withdrawn`, its task cancelled,
 * as withdrawUnplanned does. Each change taken out is audited `skipped` in its person's trail.
 * An approval planned after `origin.now` (its pass read a newer state than the caller) is left as
 * it is. An offboarding's approval (dispatch/offboard-brake.ts) is a leaver decision, not a plan:
 * a removal `keeps` names leaves it only when the decision no longer stands either
 * (`offboardRemovalVoid`: the person reactivated in the IdP since the halt, the seat exempted or
 * someone else's); a person still held offboarded stays in it whatever their plan says. Left with
 * none, it is withdrawn and the offboardings waiting on it go on (withdrawApproval). Before, it was
 * left alone, and approving it removed the seat of a person the IdP had reactivated meanwhile.
 */
export async function releaseKept(tx: Transaction, hub: HubConfigFile, keeps: (op: Readonly<Operation>) => string | undefined, origin: KeptOrigin, listed?: ReadonlyArray<Readonly<ApprovalRecord>>): Promise<number> {
  const at = origin.now.toISOString();
  let released = 0;
  for (const a of listed ?? await pendingApprovalsOf(tx, hub.id)) {
    if (a.status !== 'pending' || (a.plannedAt ?? a.createdAt) > at) continue;
    const out: Array<{ op: Operation; why: string }> = [];
    for (const op of a.planned) {
      const kept = keeps(op);
      const why = kept && a.offboard ? await offboardRemovalVoid(tx, a, op, origin.now) : kept;
      if (why) out.push({ op, why });
    }
    if (out.length === 0) continue;
    released += out.length;
    const gone = new Set(out.map((o) => o.op.key));
    const planned = a.planned.filter((op) => !gone.has(op.key));
    if (planned.length > 0) {
      const narrowed = { ...a, planned, operations: planned.map((o) => ({ kind: o.kind, summary: o.summary })) };
      tx.put('approvals', hub.id, a.id, narrowed);
      // The offboardings waiting on it count only the removals it still holds (offboard-brake.ts).
      if (a.offboard) await offboardApprovalNarrowed(tx, narrowed, origin.now);
    } else {
      const because = `${a.offboard ? 'the offboarding no longer stands' : 'no longer planned'}: ${out.map((o) => o.why).join('; ')}`;
      await withdrawApproval(tx, hub.id, a, because, origin, 'withdrawn', { operations: a.planned.length, noLongerPlanned: out.length, handledByPass: 0, ...(a.offboard ? { offboarding: a.taskId } : {}) });
    }
    for (const { op, why } of out) {
      appendAudit(tx, { hubId: hub.id, trigger: origin.trigger, ...(origin.taskId ? { taskId: origin.taskId } : {}), action: op.kind, subject: subjectOf(op), at,
        why: `${op.summary}: not done, ${why} (approval ${a.id} no longer holds it)`, outcome: 'skipped', detail: { approvalId: a.id, reason: op.reason } });
    }
  }
  return released;
}

/**
 * `releaseKept`'s rule for a re-plan of some people (a SCIM push at dispatch, a re-evaluation),
 * each directory user's plan by id: a held change of one of them that their plan neither asks for
 * nor holds back (an incomplete listing, the last admin: no evidence it went away) no longer stands.
 */
export function keptByPersonPlans(plans: ReadonlyMap<string, PlanResult>): (op: Readonly<Operation>) => string | undefined {
  const wanted = new Map([...plans].map(([id, r]) => [id, new Set([...r.operations, ...r.held.map((h) => h.operation)].map((o) => o.key))]));
  return (op) => {
    const keys = op.directoryUserId === undefined ? undefined : wanted.get(op.directoryUserId);
    return keys && !keys.has(op.key) ? `directory user ${op.directoryUserId} keeps this access now (re-planned: the directory changed since the removal pass halted)` : undefined;
  };
}

/** `releaseKept`'s rule for an exemption granted on a row: its removal or downgrade no longer stands. */
export function keptByExemption(memberId: string, why: string): (op: Readonly<Operation>) => string | undefined {
  return (op) => (memberRowOf(op) === memberId ? why : undefined);
}

/**
 * The pending approvals of these hubs, read at once by index (held-indexes.ts: not the hubs'
 * decided ones), beside the dispatcher's other reads: no round trip of their own on PostgreSQL.
 */
export function approvalsOfHubs(tx: Pick<Transaction, 'lookup'>, hubIds: Iterable<string>): Promise<Map<string, Array<Readonly<ApprovalRecord>>>> {
  return readPerHub(hubIds, (id) => pendingApprovalsOf(tx, id));
}

/**
 * `releaseKept` for people planned together (the dispatcher's batch), once per hub, over the
 * hubs' approvals as `approvalsOfHubs` read them in the same transaction; people not planned
 * (`result` undefined) are left to their re-evaluation task.
 */
export async function releaseKeptOfPlans(tx: Transaction, people: ReadonlyArray<{ hub: HubConfigFile; userId: string; result: PlanResult | undefined; trigger: Trigger }>, now: Date, listed: ReadonlyMap<string, ReadonlyArray<Readonly<ApprovalRecord>>>): Promise<void> {
  const byHub = new Map<string, { hub: HubConfigFile; trigger: Trigger; plans: Map<string, PlanResult> }>();
  for (const p of people) {
    if (!p.result) continue;
    const h = byHub.get(p.hub.id) ?? { hub: p.hub, trigger: p.trigger, plans: new Map<string, PlanResult>() };
    h.plans.set(p.userId, p.result);
    byHub.set(p.hub.id, h);
  }
  for (const { hub, trigger, plans } of byHub.values()) {
    const approvals = listed.get(hub.id) ?? [];
    if (approvals.some((a) => a.status === 'pending')) await releaseKept(tx, hub, keptByPersonPlans(plans), { trigger, now }, approvals);
  }
}
