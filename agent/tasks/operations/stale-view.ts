/**
 * Stale-view recovery: an operation refused because the app is no longer as the plan saw it
 * (the invite was accepted or cancelled meanwhile, the person already holds a seat, the member
 * left, the asset is gone) is not a failed task. The person is read again with targeted reads
 * (`HubConnector.readPerson`, not a full import), their part of the snapshot is replaced, they are
 * re-planned, and the corrected operations run in the same task. A person is refreshed at most
 * once per operation: the corrected operations run without this recovery, so a loop of stale
 * views cannot happen. The rule for which errors mean "stale view" is docs/architecture.md
 * ("Which Graph errors mean what").
 */
import { isConnectorError } from '../../../connectors/sdk/connector-error.ts';
import type { HubConnector } from '../../../connectors/sdk/connector.ts';
import type { AssetRef } from '../../../connectors/sdk/hub-model.ts';
import type { HubConfigFile } from '../../../config/schema.ts';
import { applyPlan } from '../../dispatch/reconcile.ts';
import { errorText } from '../../log/logger.ts';
import type { Operation } from '../../plan/operation.ts';
import { planPerson } from '../../plan/plan-hub.ts';
import { classify } from '../../safety/classify.ts';
import type { TaskContext, TaskOutcome } from '../handler.ts';
import type { TaskRecord } from '../task-record.ts';
import { callApp, type AppCallResult } from './call-app.ts';
import { enqueueOperation } from './enqueue-operation.ts';
import { applyPersonReading } from './person-refresh.ts';
import { recordInSnapshot } from './snapshot-update.ts';
import { replanRehireAfterRemoval } from './rehire-after-removal.ts';

/**
 * Which failures of which operation mean "the app moved under the plan", by connector error kind
 * alone (each connector maps its app's answers to kinds; no app's codes are read here):
 * - invite / reinvite, `conflict`: the email already holds a seat;
 * - change-invite-role, `not-found`: the invite is no longer pending (accepted, cancelled or gone);
 * - change-member-role, `not-found`: the member left;
 * - assign-asset, `not-found`: the asset is gone or no longer shared, or the member left
 *   (AssetGrants.assignAsset in connectors/sdk/capabilities.ts).
 * Removals and cancellations need none: "already gone" is already-done in the connector.
 */
export function staleViewOf(op: Operation, err: unknown): string | undefined {
  if (!isConnectorError(err)) return undefined;
  switch (op.kind) {
    case 'invite':
    case 'reinvite':
      return err.kind === 'conflict' ? `${op.email} already holds a seat in the app` : undefined;
    case 'change-invite-role':
      return err.kind === 'not-found' ? `the invite of ${op.email ?? op.inviteId} is no longer pending (accepted, cancelled or gone)` : undefined;
    case 'change-member-role':
      return err.kind === 'not-found' ? `member ${op.memberId} is no longer in the app` : undefined;
    case 'assign-asset':
      return err.kind === 'not-found' ? `${op.asset.type} ${op.asset.id} or member ${op.memberId} is gone, or the asset is no longer shared with the hub` : undefined;
    default:
      return undefined;
  }
}

function assetsToReread(hub: HubConfigFile, op: Operation): AssetRef[] {
  const out = new Map<string, AssetRef>();
  for (const t of hub.teams) for (const a of t.assets) out.set(`${a.type}:${a.id}`, { type: a.type, id: a.id });
  if (op.kind === 'assign-asset') out.set(`${op.asset.type}:${op.asset.id}`, op.asset);
  return [...out.values()];
}

export interface StaleViewInput {
  task: Readonly<TaskRecord>;
  ctx: TaskContext;
  hub: HubConfigFile;
  connector: HubConnector;
  op: Operation;
  error: Error;
  why: string;
  /** Audit subject of an operation (operation-handler.ts). */
  subjectOf(op: Operation): { email?: string; directoryUserId?: string; memberId?: string };
}

/** Re-reads the person, re-plans them and runs what the fresh plan asks for instead. */
export async function recoverStaleView(input: StaleViewInput): Promise<TaskOutcome> {
  const { task, ctx, hub, connector, op, error, why, subjectOf } = input;
  if (!connector.readPerson) throw error;
  const memberId = 'memberId' in op ? op.memberId : undefined;
  const inviteId = 'inviteId' in op ? op.inviteId : undefined;
  const assets = assetsToReread(hub, op);
  const readStartedAt = ctx.now();
  const reading = await connector.readPerson({ ...(op.email ? { email: op.email } : {}), ...(memberId ? { memberId } : {}), assets });
  const person = { directoryUserIds: op.directoryUserId ? [op.directoryUserId] : [], emails: op.email ? [op.email] : [] };
  // The re-read and the re-plan in one transaction: the plan sees exactly what was read.
  const { plan, found } = await ctx.store.transact(async (tx) => {
    const found = await applyPersonReading(tx, { hubId: hub.id, email: op.email, memberId, inviteId, assets, reading, now: ctx.now(), readStartedAt, audit: { trigger: task.trigger, taskId: task.id } });
    return { found, plan: await planPerson(tx, hub, person, { now: ctx.now() }) };
  });
  const read = `re-read ${op.email ?? memberId}: ${found.members} seat(s), ${found.invites} invite(s), ${found.assignments} assignment(s)${found.missingAssets ? `, ${found.missingAssets} asset(s) gone` : ''}`;
  const detail = { staleView: true, error: (error as { providerCode?: string }).providerCode ?? errorText(error), reason: op.reason };

  if (plan.operations.some((o) => o.key === op.key)) {
    // The fresh picture still asks for the same change: the refresh explains nothing.
    const asset = op.kind === 'assign-asset' ? reading.missingAssets.find((a) => a.type === op.asset.type && a.id === op.asset.id) : undefined;
    if (op.kind === 'invite' || op.kind === 'reinvite') return seatNotFound(input, read, detail);
    if (!asset) throw error;
    ctx.audit({
      action: op.kind, subject: subjectOf(op), outcome: 'failed', detail,
      why: `${op.summary}: cannot be met: ${asset.type} ${asset.id} no longer exists or is no longer shared with the hub (stale view; ${read}); an owner must fix the team's assets`,
    });
    return { status: 'completed', result: { outcome: 'reported', why: `${asset.type} ${asset.id} is gone or no longer shared` } };
  }

  const now = plan.operations.filter((o) => classify(o) === 'now');
  const later = plan.operations.filter((o) => classify(o) !== 'now');
  const done: Array<{ op: Operation; res: AppCallResult }> = [];
  let stopped: { op: Operation; error: string } | undefined;
  for (const o of now) {
    try {
      // No recovery around these: one refresh per operation.
      done.push({ op: o, res: await callApp(connector, o) });
    } catch (err) {
      stopped = { op: o, error: errorText(err) };
      break;
    }
  }
  const instead = done.map((d) => d.op.summary);
  ctx.audit({
    action: op.kind, subject: subjectOf(op), outcome: 'ok', detail: { ...detail, corrected: instead },
    why: `${op.summary}: corrected stale view: ${why}; ${read}; ${instead.length > 0 ? `did instead: ${instead.join('; ')}` : 'nothing left to do'}`,
  });
  for (const d of done) {
    ctx.audit({
      action: d.op.kind, subject: subjectOf(d.op), outcome: d.res.result === 'done' ? 'ok' : 'already-done',
      why: `${d.op.summary} (${d.op.reason}; corrected stale view of "${op.summary}")`, detail: { effect: d.op.effect, reason: d.op.reason, grantedBy: d.op.grantedBy, staleViewOf: op.key },
    });
  }
  const left = stopped ? now.slice(done.length) : [];
  return {
    status: 'completed',
    result: { outcome: 'corrected-stale-view', corrected: instead, ...(stopped ? { queued: left.map((o) => o.summary), stoppedBy: stopped.error } : {}) },
    commit: async (tx) => {
      for (const d of done) {
        await recordInSnapshot(tx, hub.id, d.op, d.res, ctx.now());
        await replanRehireAfterRemoval(tx, hub.id, d.op, task.id, ctx.now());
      }
      // What could not run here (an error after the refresh) gets its own task, with the usual retries.
      for (const o of left) await enqueueOperation(tx, { hub, op: o, trigger: task.trigger, now: ctx.now() });
      // Downgrades and removals of the fresh plan wait their safety lane, as any plan's do.
      if (later.length > 0 || plan.held.length > 0) await applyPlan(tx, hub, { operations: later, held: plan.held }, { trigger: task.trigger, taskId: task.id, now: ctx.now() });
    },
  };
}

/**
 * An invite the app refused because the email holds a seat, which a re-read of the person does not
 * find (the app's member listing may not show every person its credential could act on). Retried,
 * each attempt sent the invite again and was refused again; the task fails at once, audited with
 * the reason, and the next plan's invite of the same change is not sent while this failure stands
 * (operation-handler.ts `refusedEarlier`).
 */
function seatNotFound(input: StaleViewInput, read: string, detail: Record<string, unknown>): TaskOutcome {
  const { op, error, subjectOf, ctx } = input;
  const message = `${op.summary}: not done: the app says ${op.email} already holds a seat, but ${read} (the app's member listing may not show every person): not invited again until an owner checks the person in the app; ${errorText(error)}`;
  ctx.audit({ action: op.kind, subject: subjectOf(op), outcome: 'failed', why: message, detail: { ...detail, seatNotListed: true } });
  return { status: 'failed', error: { kind: 'conflict', message } };
}
