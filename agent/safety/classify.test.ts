import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testHub } from '../grants/grant-fixtures.ts';
import type { Operation } from '../plan/operation.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { classify, exceedsRemovalThreshold } from './classify.ts';
import { scheduleRemovals } from './schedule-removals.ts';

const op = (effect: Operation['effect'], reason: Operation['reason'], kind: Operation['kind'] = 'remove-member'): Operation =>
  ({ kind, key: `${kind}:${effect}:${reason}`, memberId: 'm1', role: 'EMPLOYEE', effect, reason, summary: 's' } as Operation);

describe('safety class', () => {
  const cases: Array<[Operation, string]> = [
    [op('grant', 'assigned', 'invite'), 'now'],
    [op('upgrade', 'group-change', 'change-member-role'), 'now'],
    [op('downgrade', 'group-change', 'change-member-role'), 'settle'],
    [op('removal', 'unassigned'), 'settle'],
    [op('removal', 'deactivated'), 'deprovision'],
    [op('removal', 'deleted', 'cancel-invite'), 'deprovision'],
  ];
  for (const [o, want] of cases) test(`${o.effect} ${o.reason} → ${want}`, () => assert.equal(classify(o), want));
});

describe('removal threshold', () => {
  const removals = (n: number) => Array.from({ length: n }, (_, i) => ({ ...op('removal', 'deactivated'), key: `r${i}` }));
  test('at the threshold passes, above halts', () => {
    assert.equal(exceedsRemovalThreshold(removals(2), 10, 20).exceeds, false);
    assert.equal(exceedsRemovalThreshold(removals(3), 10, 20).exceeds, true);
  });
  test('boundaries: a hub of 0 or 1 member, 10 % of 15, 0 % and 100 %', () => {
    assert.equal(exceedsRemovalThreshold(removals(1), 0, 20).exceeds, true, 'a removal from a hub listing no human member');
    assert.equal(exceedsRemovalThreshold(removals(1), 1, 20).exceeds, true, 'the only member is 100 %');
    assert.equal(exceedsRemovalThreshold(removals(1), 15, 10).exceeds, false, '6.7 %');
    assert.equal(exceedsRemovalThreshold(removals(2), 15, 10).exceeds, true, '13.3 %: no rounding down to 10');
    assert.equal(exceedsRemovalThreshold(removals(3), 15, 20).exceeds, false, 'exactly 20 % is not more than 20 %');
    assert.equal(exceedsRemovalThreshold(removals(1), 1000, 0).exceeds, true, '0 %: every removal needs an approval');
    assert.equal(exceedsRemovalThreshold([], 0, 0).exceeds, false, 'nothing removed, nothing to approve');
    assert.equal(exceedsRemovalThreshold(removals(10), 10, 100).exceeds, false, '100 %: the brake is off');
    // Split across passes within the window: 1 + 1 of 15 at 10 % halts the second.
    assert.equal(exceedsRemovalThreshold([{ ...removals(1)[0]!, memberId: 'm2' } as Operation], 14, 10, 1).exceeds, true);
  });
  test('downgrades do not count as removals', () => {
    assert.equal(exceedsRemovalThreshold([op('downgrade', 'group-change', 'change-member-role')], 1, 0).exceeds, false);
  });
});

describe('settle window', () => {
  test('every new change pushes the pending removal pass back to a full window', async () => {
    const store = new MemoryStore();
    const hub = testHub({ safety: { settleSeconds: 120 } });
    const trigger = { type: 'scim' as const };
    const t0 = new Date('2026-11-23T12:00:00Z');
    const first = await store.transact(async (tx) => await scheduleRemovals(tx, hub, 'settle', trigger, t0));
    assert.equal(first.status, 'waiting');
    assert.equal(first.nextRunAt, '2026-11-23T12:02:00.000Z');
    const again = await store.transact(async (tx) => await scheduleRemovals(tx, hub, 'settle', trigger, new Date('2026-11-23T12:01:00Z')));
    assert.equal(again.id, first.id, 'one pass per hub');
    assert.equal(again.nextRunAt, '2026-11-23T12:03:00.000Z');
    const deprov = await store.transact(async (tx) => await scheduleRemovals(tx, hub, 'deprovision', trigger, t0));
    assert.notEqual(deprov.id, first.id);
    assert.ok(deprov.nextRunAt! < first.nextRunAt!, 'deprovisioning does not wait the settle window');
  });
});
