import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGraph } from './graph-test-client.ts';
import { SANDBOX } from './sandbox-ids.ts';

// The agencies enums of Meta's API spec: a Page's has no DRAFT, a pixel's no AA_ANALYZE.
test('sharing a Page with DRAFT, or a pixel with AA_ANALYZE, is (#100): not in the agencies permitted_tasks enum', async () => {
  const g = await startTestGraph();
  try {
    const page = await g.post('/222/agencies', { business: SANDBOX.partner.businessId, permitted_tasks: '["ADVERTISE","ANALYZE","DRAFT"]' });
    assert.equal(page.body.error?.code, 100);
    assert.match(page.body.error.message, /permitted_tasks\[2\]/);
    const pixel = await g.post('/444/agencies', { business: SANDBOX.partner.businessId, permitted_tasks: '["ANALYZE","AA_ANALYZE"]' });
    assert.equal(pixel.body.error?.code, 100);
    assert.deepEqual((await g.post('/222/agencies', { business: SANDBOX.partner.businessId, permitted_tasks: '["ADVERTISE","ANALYZE"]' })).body, { success: true });
    // DRAFT stays valid where the assigned_users page documents it: a person's Page tasks.
    assert.deepEqual((await g.post('/222/assigned_users', { user: SANDBOX.employees[0], tasks: '["ADVERTISE","ANALYZE","DRAFT"]' })).body, { success: true });
  } finally {
    await g.close();
  }
});
