import type { HubConfigFile } from '../../config/schema.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Trigger } from '../desired-state/delta.ts';
import { isActiveUser } from '../desired-state/directory-records.ts';
import { computeGrant, groupNamesOf } from '../grants/effective-grant.ts';
import { roleRulesOfHub } from '../grants/role-rules.ts';
import type { Operation, PlanResult } from '../plan/operation.ts';
import type { ReadView, Transaction } from '../store/store.ts';
import { subjectOf } from '../tasks/operations/audit-subject.ts';
import { classify } from './classify.ts';
import { ensureRemovalPass, type RemovalPhase } from './schedule-removals.ts';

/**
 * A downgrade or removal an operation task audited as `pending` and handed to a removal pass
 * (operation-handler.ts: the settle window of a later change is still open, or it changed lane).
 * The pass plans the hub afresh; one that no longer plans it (the person was added back within
 * the window) queued nothing, and the person's trail ended at "pending" for good. The note lets
 * the pass close that entry. Partition = hub id, id = the operation's key.
 */
export interface DeferredNoteRecord {
  key: string;
  phase: RemovalPhase;
  /** The operation task whose `pending` entry this note closes. */
  taskId: string;
  op: Operation;
  at: string;
}

declare module '../store/collections.ts' {
  interface Collections {
    deferredNotes: DeferredNoteRecord;
  }
}

/** Notes, in the transaction that writes its `pending` entry, that `op` waits for `phase`'s pass. */
export function noteDeferred(tx: Transaction, hubId: string, phase: RemovalPhase, op: Operation, taskId: string, now: Date): void {
  tx.put('deferredNotes', hubId, op.key, { key: op.key, phase, taskId, op, at: now.toISOString() });
}

/**
 * Ends the notes of `phase` once its pass has planned: an operation the pass handles (queues,
 * reports or holds for approval) is audited by that path, one planned in the other pass's lane
 * waits for that pass, and every other one gets its closing entry (`skipped`, naming the task of
 * the pending entry), saying why it no longer applies. Staged in the pass's commit.
 */
export async function closeDeferred(tx: Transaction, hub: HubConfigFile, phase: RemovalPhase, plan: PlanResult, origin: { trigger: Trigger; taskId: string; now: Date }): Promise<void> {
  // A note written after this pass began planning (its operation task committed meanwhile) is
  // judged by the next pass, which that task made sure of (operation-handler.ts): this plan may
  // not have seen what made the task defer it, and would close its trail as "no longer planned".
  const since = origin.now.toISOString();
  const notes: DeferredNoteRecord[] = [];
  for await (const n of tx.list('deferredNotes', hub.id)) if (n.phase === phase && n.at <= since) notes.push(n);
  const passDue = new Set<RemovalPhase>();
  for (const note of notes) {
    const planned = plan.operations.find((o) => o.key === note.key);
    const lane = planned ? classify(planned) : undefined;
    if (lane === phase) {
      tx.delete('deferredNotes', hub.id, note.key);
      continue;
    }
    if (lane === 'settle' || lane === 'deprovision') {
      tx.put('deferredNotes', hub.id, note.key, { ...note, phase: lane });
      // That pass may have run already (the change that moved it there scheduled one): without a
      // next one, the note would wait for whatever change schedules it, perhaps days away.
      if (!passDue.has(lane)) {
        passDue.add(lane);
        await ensureRemovalPass(tx, hub, lane, origin.trigger, origin.now);
      }
      continue;
    }
    const held = plan.held.find((h) => h.operation.key === note.key);
    const why = planned ? `it has become ${planned.summary} (${planned.reason}), queued on its own`
      : held ? `held, ${held.why}` : `no longer planned: ${await keptBecause(tx, hub, note.op)}`;
    appendAudit(tx, {
      hubId: hub.id, trigger: origin.trigger, taskId: origin.taskId, action: note.op.kind, subject: subjectOf(note.op), outcome: 'skipped',
      why: `${note.op.summary}: not done, ${why} (pending since task ${note.taskId})`,
      detail: { pendingTaskId: note.taskId, effect: note.op.effect, reason: note.op.reason },
    });
    tx.delete('deferredNotes', hub.id, note.key);
  }
}

/** Why the person keeps what the operation would have taken: the teams that grant it now, when the directory names them (else `changed`). */
export async function keptBecause(view: ReadView, hub: HubConfigFile, op: Operation, changed = 'the directory or the app changed since it was deferred'): Promise<string> {
  const user = op.directoryUserId ? await view.get('directoryUsers', hub.id, op.directoryUserId) : undefined;
  if (!user || !isActiveUser(user)) return changed;
  const grant = computeGrant(hub, user, await groupNamesOf(view, hub.id, user.id), roleRulesOfHub(hub));
  return grant.grantedBy.length > 0 ? `${op.email ?? user.userName} is again in ${grant.grantedBy.join(', ')}` : changed;
}
