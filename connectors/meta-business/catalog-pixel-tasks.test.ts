import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from './emulator/index.ts';
import { servedEmulator } from './alternative-fetch.test-double.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import { metaBusiness } from './definition.ts';

/**
 * Meta's API spec lists the tasks of a catalog's and a pixel's `assigned_users` (ProductCatalog.json,
 * AdsPixel.json) and documents no combinations of them; only ad-account and Page bundles are on
 * the assigned_users page. So the connector invents none: the tasks asked for are sent as asked,
 * and Graph's answer decides. A Graph that takes a catalog [MANAGE] or a pixel [EDIT] gets them
 * (before, both were refused at config load); one that refuses them (our strict emulator, 100/1752129) fails
 * that one task as invalid-argument naming `tasks`.
 */
describe('meta-business catalog and pixel tasks: sent as asked, Graph decides', () => {
  const served = servedEmulator();
  const member = SANDBOX.employees[0];

  test('a Graph that takes catalog [MANAGE] and pixel [EDIT] gets exactly those', async () => {
    const posted: Array<{ path: string; tasks: string | null }> = [];
    const c = served.connector(async (op, forward) => {
      if (op.method === 'POST' && op.path.endsWith('/assigned_users')) {
        posted.push({ path: op.path, tasks: op.body.get('tasks') });
        return { status: 200, body: { success: true } };
      }
      return forward();
    });
    assert.equal(await c.assignAsset!({ asset: { type: 'catalog', id: SANDBOX.catalogId }, userId: member, tasks: ['MANAGE'] }), 'done');
    assert.equal(await c.assignAsset!({ asset: { type: 'pixel', id: SANDBOX.pixelId }, userId: member, tasks: ['EDIT'] }), 'done');
    assert.deepEqual(posted, [
      { path: `${SANDBOX.catalogId}/assigned_users`, tasks: '["MANAGE"]' },
      { path: `${SANDBOX.pixelId}/assigned_users`, tasks: '["EDIT"]' },
    ]);
  });

  test('a Graph that refuses the set (100/1752129) fails that task, naming tasks; the call was made', async () => {
    const c = served.connector();
    served.emulator.control.clearCalls();
    await assert.rejects(c.assignAsset!({ asset: { type: 'pixel', id: SANDBOX.pixelId }, userId: member, tasks: ['EDIT'] }), (e: unknown) =>
      e instanceof ConnectorError && e.kind === 'invalid-argument' && e.field === 'tasks' && e.providerCode === '100/1752129');
    assert.ok(served.emulator.calls.some((call) => call.method === 'POST' && call.path.endsWith(`/${SANDBOX.pixelId}/assigned_users`)));
  });

  test('teams\' catalog and pixel tasks combine by plain union: no task no team asked for is added', () => {
    const rules = metaBusiness.assetTypes;
    assert.equal(rules.catalog.isSupported(['MANAGE']), true);
    assert.equal(rules.pixel.isSupported(['EDIT']), true);
    assert.equal(rules.pixel.isSupported(['EDIT', 'FLY']), false, 'a task not in the API spec is still refused');
    assert.deepEqual(rules.pixel.combine([['ANALYZE', 'UPLOAD'], ['EDIT']]), ['EDIT', 'ANALYZE', 'UPLOAD']);
    assert.deepEqual(rules.catalog.combine([['MANAGE_AR'], ['MANAGE']]), ['MANAGE', 'MANAGE_AR']);
  });
});
