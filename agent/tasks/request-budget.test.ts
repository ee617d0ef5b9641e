import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestBudget } from './request-budget.ts';

test('a hub request budget allows its burst, then its rate', () => {
  let now = 0;
  const budget = new RequestBudget(10, 3, () => now);
  assert.deepEqual([budget.take(), budget.take(), budget.take(), budget.take()], [true, true, true, false]);
  assert.equal(budget.waitMs(), 100);
  now += 100;
  assert.equal(budget.take(), true);
  assert.equal(budget.take(), false);
  now += 10_000;
  assert.equal([1, 2, 3, 4].filter(() => budget.take()).length, 3, 'never more than the burst after a quiet spell');
});
