import type { HubConfigFile } from '../../config/schema.ts';
import { AgentError } from '../agent-error.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import type { PersonChangeOptions } from '../api.ts';
import { roleRulesOfHub } from '../grants/role-rules.ts';
import { removalOfRow } from '../plan/removal.ts';
import type { Store, Transaction } from '../store/store.ts';
import { enqueueOperation, operationTaskKey, type OperationPayload } from '../tasks/operations/enqueue-operation.ts';
import { taskByKey } from '../tasks/enqueue.ts';
import { sameTrigger } from '../audit/same-trigger.ts';
import type { TaskRecord } from '../tasks/task-record.ts';
import { actorOf } from './member-decisions.ts';
import { inviteIdOf } from '../standing/row-ids.ts';

/**
 * An owner's explicit removal of one row (the members view, `hubwarden remove`, the admin API),
 * queued in the caller's transaction. Built and checked by the one removal builder
 * (agent/plan/removal.ts): an unknown row is not-found; an incomplete listing, an exemption in
 * force, a system user, a partner's person or the last admin is a conflict, and nothing is queued.
 * Reads through `tx` (the facts that decide the removal are read in the transaction that queues it).
 * A conflict is a brake holding the change an owner asked for: it is audited as `failed` (who asked,
 * whom, which brake) and the refusal returned, for the caller to commit the entry and then throw
 * (`removeAsOwner`). Before, only the caller saw the 409: the audit log had no trace of it.
 */
export async function queueOwnerRemoval(tx: Transaction, hub: HubConfigFile, rowId: string, trigger: Trigger, now: Date): Promise<TaskRecord | { refused: AgentError }> {
  const matched = (await tx.get('memberMatches', hub.id, rowId))?.directoryUserId;
  const built = await removalOfRow(tx, hub.id, rowId, { reason: 'unassigned', because: `asked by ${actorOf(trigger)}`, ...(matched ? { directoryUserId: matched } : {}) }, roleRulesOfHub(hub), now);
  if ('refused' in built) {
    const refused = new AgentError(built.missing ? 'not-found' : 'conflict', `hub ${hub.id}: remove ${rowId}: ${built.refused}`);
    // An unknown row is a request about nothing: refused, with nothing to audit.
    if (built.missing) throw refused;
    const email = await emailOfRow(tx, hub.id, rowId);
    appendAudit(tx, {
      hubId: hub.id, trigger, action: 'remove-member', outcome: 'failed',
      subject: { memberId: rowId, ...(email ? { email } : {}), ...(matched ? { directoryUserId: matched } : {}) },
      why: `${actorOf(trigger)} asked to remove ${email ?? rowId}: refused, ${built.refused}`,
      detail: { refused: built.refused },
    });
    return { refused };
  }
  const op = built.operation;
  // The same owner's removal, asked again while it waits or runs (a workflow's retry of a call whose
  // answer was lost): answered with the same task, and not audited again; its entry says who asked
  // and why already, and a second one read as a second ask (the offboarding's rule, agent-api.ts).
  const waiting = await taskByKey(tx, hub.id, operationTaskKey(op));
  const repeat = waiting !== undefined && (waiting.payload as OperationPayload).force === true && sameTrigger(waiting.trigger, trigger);
  // Same key as the plan's own removal (`op:remove:<id>`), so the two are one task; `force`
  // because an owner's explicit removal of, say, an unmatched member is not in any plan.
  const queued = await enqueueOperation(tx, { hub, op, trigger, force: true, now });
  if (repeat && queued.id === waiting.id) return queued;
  appendAudit(tx, {
    hubId: hub.id, trigger, taskId: queued.id, action: op.kind, outcome: 'pending',
    subject: { memberId: rowId, ...(op.email ? { email: op.email } : {}) },
    why: `${actorOf(trigger)} asked to ${op.kind === 'cancel-invite' ? 'cancel the invite of' : 'remove'} ${op.email ?? rowId}`,
  });
  return queued;
}

/** The email of a member or invite row in the last check for updates, if any. */
async function emailOfRow(tx: Transaction, hubId: string, rowId: string): Promise<string | undefined> {
  const inviteId = inviteIdOf(rowId);
  if (inviteId !== undefined) return (await tx.get('appInvites', hubId, inviteId))?.email;
  return (await tx.get('appMembers', hubId, rowId))?.email ?? undefined;
}

/** An owner's removal (`queueOwnerRemoval`) in its own transaction: a refusal is committed with its audit entry, then thrown. */
export async function removeAsOwner(store: Store, hub: HubConfigFile, rowId: string, trigger: Trigger, now: () => Date, options?: PersonChangeOptions): Promise<TaskRecord> {
  const out = await store.transact(async (tx) => {
    // The caller's check first, so it and the removal commit together (api.ts PersonChangeOptions).
    await options?.within?.(tx);
    return queueOwnerRemoval(tx, hub, rowId, trigger, now());
  });
  if ('refused' in out) throw out.refused;
  return out;
}
