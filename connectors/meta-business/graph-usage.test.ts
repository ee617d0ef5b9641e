import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUsage } from './graph-usage.ts';
import { bucObjectOf } from './graph-errors.ts';

test('X-Business-Use-Case-Usage keyed act_<id> names the same object as the bare id calls are looked up by', () => {
  const entry = { type: 'ads_management', call_count: 100, total_cputime: 20, total_time: 20, estimated_time_to_regain_access: 7 };
  for (const key of ['66782684', 'act_66782684']) {
    const usage = parseUsage({ 'x-business-use-case-usage': JSON.stringify({ [key]: [entry] }) });
    assert.deepEqual(usage.regainByObject, { [bucObjectOf('act_66782684/assigned_users')]: 7 * 60_000 }, key);
    assert.equal(usage.percent['66782684'], 100);
  }
});
