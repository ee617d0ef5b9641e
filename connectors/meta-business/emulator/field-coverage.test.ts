import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NODE_TYPES } from './node-types.ts';
import { GRAPH_FIELDS } from './graph-fields.ts';
import { startTestGraph } from './graph-test-client.ts';
import { SANDBOX } from './sandbox-ids.ts';

// The emulator serves every field Meta lists for a node type (graph-fields.json), wherever that
// node type is read: a request Graph answers must not fail here as "not emulated".
test('every node field of graph-fields.json has a getter on each node type that renders it', () => {
  const missing: string[] = [];
  for (const type of NODE_TYPES) for (const f of GRAPH_FIELDS.nodes[type.name].fields) if (!type.fields[f]) missing.push(`${type.name}.${f}`);
  assert.deepEqual(missing, []);
});

test('system users with business, partners with the Business fields', async () => {
  const g = await startTestGraph();
  try {
    const su = await g.get(`/${SANDBOX.businessId}/system_users`, { fields: 'id,name,business{id,name}' });
    assert.equal(su.status, 200);
    assert.equal(su.body.data[0].business.id, SANDBOX.businessId);
    const agencies = await g.get(`/${SANDBOX.businessId}/agencies`, { fields: 'id,verification_status,created_time' });
    assert.equal(agencies.status, 200);
    assert.equal(agencies.body.data[0].id, SANDBOX.partner.businessId);
    const shared = await g.get('/act_111/agencies', { fields: 'id,vertical,two_factor_type,verification_status' });
    assert.equal(shared.status, 200, JSON.stringify(shared.body));
  } finally {
    await g.close();
  }
});
