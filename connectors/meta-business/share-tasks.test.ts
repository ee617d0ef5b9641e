import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../sdk/connector-error.ts';
import { SANDBOX } from './emulator/index.ts';
import { servedEmulator } from './alternative-fetch.test-double.ts';
import { SHARE_TASKS } from './task-bundles.ts';

/**
 * What a partner share may carry is the `permitted_tasks` enum of each asset's `agencies` edge
 * (Meta's API spec, enum_types.json: a Page's is the 27 Page tasks without DRAFT, which shows only
 * in the Page role bundles of the assigned_users page; a pixel's is ADVERTISE, ANALYZE, EDIT,
 * UPLOAD, without the AA_ANALYZE its assigned_users takes). The connector held shares to the
 * assigned_users tasks, so it sent those two to Graph, which refuses a value outside the enum.
 * A task the spec does not list for the call is refused before calling, as on assigned_users.
 */
describe('meta-business shares: permitted_tasks from the agencies enum of the asset', () => {
  const served = servedEmulator();
  const partner = SANDBOX.partner.businessId;
  const refusedLocally = (task: string) => (e: unknown) => e instanceof ConnectorError && e.kind === 'invalid-argument' && e.field === 'tasks'
    && e.notApplied === true && e.message.includes(task);

  for (const [type, id, tasks, outside] of [
    ['pixel', SANDBOX.pixelId, ['ANALYZE', 'AA_ANALYZE'], 'AA_ANALYZE'],
    ['page', SANDBOX.pageId, ['ADVERTISE', 'ANALYZE', 'DRAFT'], 'DRAFT'],
    ['page', SANDBOX.pageId, ['DRAFT'], 'DRAFT'],
  ] as const) {
    test(`a ${type} shared with [${tasks.join(',')}]: refused naming ${outside}, nothing sent`, async () => {
      const c = served.connector();
      served.emulator.control.clearCalls();
      await assert.rejects(c.shareAsset!({ asset: { type, id }, partnerBusinessId: partner, tasks: [...tasks] }), refusedLocally(outside));
      assert.deepEqual(served.emulator.calls.filter((call) => call.method !== 'GET').map((call) => `${call.method} ${call.path}`), []);
    });
  }

  test('the enums: a Page\'s 27 tasks without DRAFT, a pixel\'s four', () => {
    assert.equal(SHARE_TASKS.page.length, 27);
    assert.ok(!SHARE_TASKS.page.includes('DRAFT') && SHARE_TASKS.page.includes('MESSAGING') && SHARE_TASKS.page.includes('MANAGE'));
    assert.deepEqual([...SHARE_TASKS.pixel].sort(), ['ADVERTISE', 'ANALYZE', 'EDIT', 'UPLOAD']);
    assert.deepEqual([...SHARE_TASKS.ad_account].sort(), ['AA_ANALYZE', 'ADVERTISE', 'ANALYZE', 'DRAFT', 'MANAGE']);
    assert.deepEqual([...SHARE_TASKS.catalog].sort(), ['AA_ANALYZE', 'ADVERTISE', 'MANAGE', 'MANAGE_AR']);
  });

  test('the same tasks on assigned_users, and shares within the enum, still go', async () => {
    const c = served.connector();
    const member = SANDBOX.employees[0];
    assert.equal(await c.assignAsset!({ asset: { type: 'page', id: SANDBOX.pageId }, userId: member, tasks: ['ADVERTISE', 'ANALYZE', 'DRAFT'] }), 'done');
    assert.equal(await c.shareAsset!({ asset: { type: 'pixel', id: SANDBOX.pixelId }, partnerBusinessId: partner, tasks: ['ADVERTISE', 'ANALYZE'] }), 'done');
    assert.equal(await c.shareAsset!({ asset: { type: 'page', id: SANDBOX.pageId }, partnerBusinessId: partner, tasks: ['ADVERTISE', 'ANALYZE'] }), 'done');
    assert.equal(await c.shareAsset!({ asset: { type: 'ad_account', id: 'act_112' }, partnerBusinessId: partner, tasks: ['ANALYZE', 'DRAFT'] }), 'done');
  });
});
