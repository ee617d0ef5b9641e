import type { HubConfigFile } from '../../../config/schema.ts';
import type { Trigger } from '../../desired-state/delta.ts';
import type { PlanResult } from '../../plan/operation.ts';
import { planPerson } from '../../plan/plan-hub.ts';
import { replanPerson } from '../../dispatch/replan-person.ts';
import { getAcross, type ReadView, type Store, type Transaction } from '../../store/store.ts';
import { enqueueTask, taskByKey } from '../enqueue.ts';
import { isFinished, type TaskRecord } from '../task-record.ts';
import { defineUnsettledInviteIndex } from './unsettled-invites.ts';
import { defineAssignTriedIndex } from '../../app-state/grant-maker.ts';

/**
 * A person's app changes that are being made right now, and what a change to the person leaves
 * on them.
 *
 * Why: a plan reads the app as last recorded. While a change is being made (a remove-member call
 * in flight), the record still shows the seat, so a person re-added to their group in that time
 * is planned as "nothing to do"; the removal then lands and nobody re-plans them until the next
 * check for updates. The same holds for an invite in flight when the person leaves the group
 * (the invite lands with no plan to cancel it), and a role change in flight when it is reversed.
 * A change that plans an operation under the running task's key is caught by that key
 * (enqueue-operation.ts); these leave no operation at all, so the person's running tasks are
 * found by who they are for.
 *
 * Order matters: `runningFor` is asked for before the plan reads the app's records (a person's
 * seats are read in the plan's second round at the earliest, plan/person-input.ts). A task
 * running then and recorded after the plan read is found, and marked; one recorded before that
 * read is in the plan; one not yet running re-plans before it calls (operation-handler.ts).
 */
export const RUNNING_FOR_PERSON = 'tasks.runningFor';

/** Stores the index is defined on: the runner and the dispatcher both define it, and a memory store rebuilds an index on each definition. */
const defined = new WeakSet<Store>();

/** Files each running operation task under its hub and directory user (the key function names no helper: store/postgres/indexes.ts). */
export function defineRunningIndex(store: Store): void {
  // The person's unsettled invites are asked for by the same handlers (settle-invite.ts).
  defineUnsettledInviteIndex(store);
  // And the assigns a check for updates counts as hubwarden's though it recorded none (grant-maker.ts).
  defineAssignTriedIndex(store);
  if (defined.has(store)) return;
  defined.add(store);
  store.defineIndex('tasks', RUNNING_FOR_PERSON, (t, hubId) => {
    const op = t.status === 'running' ? (t.payload as { op?: { directoryUserId?: string } } | null)?.op : undefined;
    return op?.directoryUserId ? [`${hubId}\u0000${op.directoryUserId}`] : [];
  });
}

/** The operation tasks running for a directory user on a hub, as committed. */
export function runningFor(view: ReadView, hubId: string, directoryUserId: string): Promise<ReadonlyArray<Readonly<TaskRecord>>> {
  return view.lookup('tasks', RUNNING_FOR_PERSON, `${hubId}\u0000${directoryUserId}`);
}

/**
 * A person's plan, read from `view`, and their running operation tasks, asked for from `store`
 * before the plan's first read (so in its first round: one statement on PostgreSQL, no round trip
 * more). What the dispatcher and reconcile-person plan by; `followRunning` takes `running`.
 */
export async function planWithRunning(store: ReadView, view: ReadView, hub: HubConfigFile, person: { directoryUserId?: string; emails?: readonly string[] }, now: Date): Promise<{ result: PlanResult; running: ReadonlyArray<Readonly<TaskRecord>> }> {
  const running = person.directoryUserId ? runningFor(store, hub.id, person.directoryUserId) : Promise.resolve([]);
  running.catch(() => {}); // awaited below, unless the plan throws first
  const result = await planPerson(view, hub, { directoryUserIds: person.directoryUserId ? [person.directoryUserId] : [], emails: [...(person.emails ?? [])] }, { now });
  return { result, running: await running };
}

/**
 * Stages, in the transaction that applies a person's new plan, a re-plan of the person after each
 * of `running` (found by `runningFor` before the plan read the app): a task still running gets a
 * `followUp`, queued in the transaction that records its end; one that ended since may have been
 * recorded after the plan read, so the person is re-planned now (queued behind this transaction).
 * `plannedBy`: the reconcile-person task whose plan this is.
 * The tasks are read through `tx`: on a shared store, a task ending while this commits conflicts
 * with the mark, and the loser runs again.
 */
export async function followRunning(tx: Transaction, input: { hubId: string; directoryUserId: string; emails?: string[]; running: ReadonlyArray<Readonly<TaskRecord>>; trigger: Trigger; now: Date; plannedBy?: string }): Promise<void> {
  const { hubId, directoryUserId, running, trigger, now } = input;
  if (running.length === 0) return;
  // A deleted user's emails, as the dispatcher planned them: their seats are found by those.
  const person = { directoryUserId, ...(input.emails?.length ? { emails: input.emails } : {}) };
  const current = await getAcross(tx, 'tasks', running.map((t) => ({ partition: hubId, id: t.id })));
  let ended = false;
  for (const [n, t] of current.entries()) {
    if (!t || isFinished(t)) ended = true;
    else if (t.status === 'running' && !t.followUp) {
      const followUp = replanPerson(person, trigger, `re-evaluate ${directoryUserId}: the directory changed while "${running[n]!.summary}" ran`);
      tx.put('tasks', hubId, t.id, { ...t, followUp });
    }
  }
  if (!ended) return;
  const replan = replanPerson(person, trigger, `re-evaluate ${directoryUserId}: the directory changed while an app change for them was being recorded`);
  // Planned by a reconcile-person task (`plannedBy`): the person's re-plan key is its own, and a
  // request folded into it would be overwritten when it is recorded as completed, in this same
  // transaction. The re-plan gets a key of its own instead.
  const own = input.plannedBy !== undefined && (await taskByKey(tx, hubId, replan.idempotencyKey))?.id === input.plannedBy;
  await enqueueTask(tx, { hubId, ...replan, ...(own ? { idempotencyKey: `${replan.idempotencyKey}:after:${input.plannedBy}` } : {}), reuse: 'unstarted', now });
}
