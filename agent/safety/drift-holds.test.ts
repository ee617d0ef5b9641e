import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testHub } from '../grants/grant-fixtures.ts';
import type { Operation } from '../plan/operation.ts';
import { collect } from '../store/store.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { findChanges } from '../check-for-updates/changes.ts';
import type { HubSnapshot } from '../check-for-updates/snapshot.ts';
import { holdDrift, recordDriftHolds, undoes, type DriftHoldRecord } from './drift-holds.ts';

const hold = (h: Partial<DriftHoldRecord> & Pick<DriftHoldRecord, 'change' | 'after' | 'before'>): DriftHoldRecord =>
  ({ hubId: 'meta-main', id: `m1|${h.change}`, rowId: 'm1', drift: 'role-changed', since: 't', taskId: 'c1', ...h });
const roleOp = (from: string, to: string): Operation => ({ kind: 'change-member-role', key: `role:m1:${to}`, memberId: 'm1', from, to, effect: 'downgrade', reason: 'group-change', summary: `m1 ${from} → ${to}` });
const removeOp = (reason: Operation['reason']): Operation => ({ kind: 'remove-member', key: 'remove:m1', memberId: 'm1', role: 'EMPLOYEE', effect: 'removal', reason, summary: 'remove m1' });
const act = { type: 'ad_account' as const, id: 'act_111' };

describe('which operations undo a change made by hand', () => {
  const role = hold({ change: 'role', before: ['EMPLOYEE'], after: ['ADMIN'] });
  test('a role put back to what it was is held; a role the directory now asks for instead is not', () => {
    assert.equal(undoes(role, roleOp('ADMIN', 'EMPLOYEE')), true);
    assert.equal(undoes(role, roleOp('ADMIN', 'FINANCE_ANALYST')), false, 'a new intent');
    assert.equal(undoes(role, roleOp('FINANCE_EDITOR', 'EMPLOYEE')), false, 'changed again since: not the change the hold keeps');
  });
  test('a seat made by hand: removed while active is held, a leaver\'s removal is not', () => {
    const seat = hold({ change: 'seat', drift: 'member-added-by-hand', before: [], after: ['EMPLOYEE'] });
    assert.equal(undoes(seat, removeOp('unassigned')), true);
    assert.equal(undoes(seat, removeOp('deactivated')), false);
    assert.equal(undoes(seat, removeOp('deleted')), false);
  });
  test('tasks on one asset: put back is held, other tasks or another asset are not', () => {
    const tasks = hold({ change: 'tasks', drift: 'tasks-removed', asset: act, before: ['ADVERTISE', 'ANALYZE'], after: ['ANALYZE'] });
    const assign = (t: string[], asset = act): Operation => ({ kind: 'assign-asset', key: 'a', memberId: 'm1', asset, tasks: t, from: ['ANALYZE'], effect: 'upgrade', reason: 'group-change', summary: 's' });
    assert.equal(undoes(tasks, assign(['ANALYZE', 'ADVERTISE'])), true);
    assert.equal(undoes(tasks, assign(['ANALYZE', 'DRAFT'])), false);
    assert.equal(undoes(tasks, assign(['ADVERTISE', 'ANALYZE'], { type: 'ad_account', id: 'act_222' })), false);
  });
  test('the plan holds what undoes, with why, and says which holds it used', () => {
    const { result, used } = holdDrift({ operations: [roleOp('ADMIN', 'EMPLOYEE'), removeOp('deactivated')], held: [] }, [role]);
    assert.deepEqual(result.operations.map((o) => o.kind), ['remove-member']);
    assert.match(result.held[0]!.why, /made by hand in the app; reported, not corrected \(safety.drift = report\)/);
    assert.deepEqual([...used], [role.id]);
  });
});

describe('holds recorded at a check for updates', () => {
  const member = (id: string, role: string) => ({ hubId: 'meta-main', id, email: `${id}@example.com`, role, firstSeenAt: 't', lastSeenAt: 't' }) as HubSnapshot['members'][number];
  const snap = (members: HubSnapshot['members']): HubSnapshot => ({ members, invites: [], systemUsers: [], assets: [], assignments: [], partners: [], partnerUsers: [] });
  const context = (n: number) => ({ trigger: { type: 'agent' as const }, taskId: `c${n}`, now: `2026-12-0${n}T00:00:00.000Z` });
  const check = async (store: MemoryStore, hub: ReturnType<typeof testHub>, previous: HubSnapshot, next: HubSnapshot, n: number) =>
    store.transact((tx) => recordDriftHolds(tx, hub, previous, next, findChanges(previous, next, true).drift, context(n)));

  test('kept against the state before the first change, ended when the row goes or the policy is correct', async () => {
    const store = new MemoryStore();
    const hub = testHub();
    await check(store, hub, snap([member('m1', 'EMPLOYEE')]), snap([member('m1', 'ADMIN')]), 1);
    assert.deepEqual((await collect(store.list('driftHolds', 'meta-main'))).map((h) => [h.id, h.before, h.after]), [['m1|role', ['EMPLOYEE'], ['ADMIN']]]);
    // Unchanged at the next check: still held (drift is a diff, so this check finds none).
    await check(store, hub, snap([member('m1', 'ADMIN')]), snap([member('m1', 'ADMIN')]), 2);
    assert.equal((await collect(store.list('driftHolds', 'meta-main'))).length, 1);
    // Changed again by hand: held again, still against EMPLOYEE (what the plan would put back).
    await check(store, hub, snap([member('m1', 'ADMIN')]), snap([member('m1', 'FINANCE_EDITOR')]), 3);
    assert.deepEqual((await collect(store.list('driftHolds', 'meta-main'))).map((h) => [h.before, h.after]), [[['EMPLOYEE'], ['FINANCE_EDITOR']]]);
    // Changed back by hand to the role before: nothing left to keep.
    await check(store, hub, snap([member('m1', 'FINANCE_EDITOR')]), snap([member('m1', 'EMPLOYEE')]), 4);
    assert.deepEqual(await collect(store.list('driftHolds', 'meta-main')), []);
    await check(store, hub, snap([member('m1', 'EMPLOYEE')]), snap([member('m1', 'ADMIN')]), 4);
    await check(store, hub, snap([member('m1', 'ADMIN')]), snap([]), 4);
    assert.deepEqual(await collect(store.list('driftHolds', 'meta-main')), [], 'the row is gone');
    const ended = (await collect(store.list('audit', 'meta-main'))).filter((e) => e.action === 'drift-hold-ended').map((e) => e.why);
    assert.ok(ended.some((w) => /the row is gone from the app/.test(w)), ended.join('\n'));

    await check(store, hub, snap([member('m2', 'EMPLOYEE')]), snap([member('m2', 'ADMIN')]), 5);
    assert.equal((await collect(store.list('driftHolds', 'meta-main'))).length, 1);
    await check(store, testHub({ safety: { drift: 'correct' } }), snap([member('m2', 'ADMIN')]), snap([member('m2', 'ADMIN')]), 6);
    assert.deepEqual(await collect(store.list('driftHolds', 'meta-main')), [], 'policy correct');
  });
});
