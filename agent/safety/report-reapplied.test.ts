import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAgentApi } from '../agent-api.ts';
import { testHub } from '../grants/grant-fixtures.ts';
import { collect, type Store } from '../store/store.ts';
import type { Operation } from '../plan/operation.ts';
import type { TaskContext } from '../tasks/handler.ts';
import { enqueueTask, updateTask } from '../tasks/enqueue.ts';
import type { OperationPayload } from '../tasks/operations/enqueue-operation.ts';
import { recordInSnapshot } from '../tasks/operations/snapshot-update.ts';
import { isFinished } from '../tasks/task-record.ts';
import { applyOutcome } from '../tasks/task-transitions.ts';
import { applyRemovalsHandler } from './apply-removals.ts';
import { openReportOf } from './reports.ts';
import { leaversHub, removalPass } from './test-removal-pass.ts';

/**
 * A seat removal an owner applied from a deprovisioning report is queued; until it has run, the
 * seat is still there and every re-plan of the hub (a later deprovision pass, after another
 * reconcile or a check for updates) plans its removal again. The item must not come back: the
 * owner already decided it, its removal is on its way (one task per operation key), and a second
 * item asked them again and audited a second `apply-report` for the same removal.
 */
const NOW = new Date('2026-12-08T09:00:00Z');
const at = NOW.toISOString();
const hub = testHub({ safety: { confirmDeprovisioning: true, settleSeconds: 0 } });
const owner = { type: 'admin' as const, actor: 'boss@example.com' };

/** Nina and Jane deactivated (seats m-nina, m-jane), Oscar an active owner; `leavers` picks who is on the hub. */
const seeded = (leavers: ReadonlyArray<'nina' | 'jane'>): Promise<Store> => leaversHub(hub, leavers, at);

const apiOf = (store: Store) => createAgentApi({ store, hubs: () => new Map([[hub.id, hub]]), connectorFor: () => undefined, clock: () => NOW.getTime() + 1_000 });

/** Every report item of the row, on any report of the hub. */
async function itemsOf(store: Store, row: string) {
  return (await collect(store.list('reports', hub.id))).flatMap((r) => r.items.filter((i) => i.memberId === row).map((i) => ({ report: r.id, status: r.status, ...i })));
}

async function auditOf(store: Store, action: string, row: string) {
  return (await collect(store.list('audit', hub.id))).filter((e) => e.action === action && e.subject?.memberId === row);
}

describe('an applied report item whose removal is still queued is not reported again', () => {
  test('partially applied report: the next pass adds no second item for the applied row', async () => {
    const store = await seeded(['nina', 'jane']);
    await removalPass(store, hub, 'deprovision', 'pass-1', NOW);
    const report = await openReportOf(store, hub.id);
    assert.deepEqual(report?.items.map((i) => i.memberId).sort(), ['m-jane', 'm-nina']);
    await apiOf(store).applyReport(report!.id, ['m-nina'], owner);
    const queued = (await collect(store.list('tasks', hub.id))).filter((t) => t.kind === 'remove-member' && !isFinished(t));
    assert.equal(queued.length, 1, 'Nina\'s removal queued, not yet run');

    await removalPass(store, hub, 'deprovision', 'pass-2', new Date(NOW.getTime() + 60_000));
    const nina = await itemsOf(store, 'm-nina');
    assert.equal(nina.length, 1, `one item for Nina's seat, applied: ${JSON.stringify(nina)}`);
    assert.ok(nina[0]!.appliedAt);
    assert.equal((await auditOf(store, 'report', 'm-nina')).length, 1, 'reported once in her trail');
    // Jane's item, not applied, stays as it was: one item.
    assert.equal((await itemsOf(store, 'm-jane')).length, 1);
    assert.equal((await openReportOf(store, hub.id))?.id, report!.id, 'the same report stays open');
  });

  test('fully applied report: the next pass opens no new report for the queued removal', async () => {
    const store = await seeded(['nina']);
    await removalPass(store, hub, 'deprovision', 'pass-1', NOW);
    const report = await openReportOf(store, hub.id);
    await apiOf(store).applyReport(report!.id, 'all', owner);
    assert.equal(await openReportOf(store, hub.id), undefined, 'applied: no open report');

    await removalPass(store, hub, 'deprovision', 'pass-2', new Date(NOW.getTime() + 60_000));
    assert.equal(await openReportOf(store, hub.id), undefined, 'no new report asking for the removal again');
    assert.equal((await itemsOf(store, 'm-nina')).length, 1);
    assert.equal((await auditOf(store, 'report', 'm-nina')).length, 1);
    assert.equal((await auditOf(store, 'apply-report', 'm-nina')).length, 1);
  });

  test('the next pass counts only what is on the report: the queued removal is left off, with its task', async () => {
    const store = await seeded(['nina', 'jane']);
    await removalPass(store, hub, 'deprovision', 'pass-1', NOW);
    const report = await openReportOf(store, hub.id);
    await apiOf(store).applyReport(report!.id, ['m-nina'], owner);
    const queued = (await collect(store.list('tasks', hub.id))).find((t) => t.kind === 'remove-member' && !isFinished(t))!;
    const pass = await removalPass(store, hub, 'deprovision', 'pass-2', new Date(NOW.getTime() + 60_000));
    // Jane's item still on the report; Nina's removal queued under its task, not on it.
    assert.deepEqual(pass.result, { phase: 'deprovision', reported: 1, added: 0, skipped: [{ memberId: 'm-nina', why: `its removal is already queued (task ${queued.id})` }] });
  });

  test('a removal that completed after the pass planned it: the pass commits no item for the seat gone', async () => {
    const store = await seeded(['nina']);
    await removalPass(store, hub, 'deprovision', 'pass-1', NOW);
    await apiOf(store).applyReport((await openReportOf(store, hub.id))!.id, 'all', owner);
    // The next pass plans while Nina's seat is still listed and her removal queued ...
    const later = new Date(NOW.getTime() + 60_000);
    const pass = await store.transact((tx) => enqueueTask(tx, { hubId: hub.id, kind: 'apply-removals', payload: { phase: 'deprovision' }, idempotencyKey: 'pass-2', summary: 'apply removals', trigger: { type: 'scim' }, now: later }));
    const outcome = await applyRemovalsHandler.run(pass, { store, hub, now: () => later, audit: () => {}, interrupted: false } as unknown as TaskContext);
    // ... and the removal completes before the pass commits, as the operation task records it (the seat leaves the snapshot).
    await store.transact(async (tx) => {
      const task = (await collect(tx.list('tasks', hub.id))).find((t) => t.kind === 'remove-member')!;
      await recordInSnapshot(tx, hub.id, (task.payload as OperationPayload).op as Operation, { result: 'done' }, later);
      await updateTask(tx, task, { status: 'completed', completedAt: later.toISOString(), result: { outcome: 'done' } }, later);
    });
    await store.transact((tx) => applyOutcome(tx, { ...pass, status: 'running', attempts: 1 }, outcome, later));
    assert.equal(await openReportOf(store, hub.id), undefined, 'no report asking to remove a seat already gone');
    assert.equal((await itemsOf(store, 'm-nina')).length, 1);
    assert.equal((await auditOf(store, 'report', 'm-nina')).length, 1);
  });
});
