import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGraph } from './graph-test-client.ts';
import { SANDBOX } from './sandbox-ids.ts';

// A version that does not exist yet is 2500 "Unknown path components", as graph.facebook.com answers;
// released ones (and expired ones, served by the oldest usable version) are served.
test('a Graph API version that does not exist yet is 2500, on a call and inside a batch', async () => {
  const g = await startTestGraph();
  try {
    const path = `${SANDBOX.businessId}/system_users?access_token=${SANDBOX.token}`;
    for (const version of ['v27.0', 'v99.0', 'v25.1']) {
      const r = await g.raw(`/${version}/${path}`);
      assert.equal(r.status, 400, version);
      assert.equal(r.body.error.code, 2500, version);
      assert.match(r.body.error.message, /^Unknown path components: /);
    }
    for (const version of ['v26.0', 'v25.0', 'v20.0', 'v19.0']) assert.equal((await g.raw(`/${version}/${path}`)).status, 200, version);
    assert.equal((await g.raw(`/${path}`)).status, 200, 'unversioned: the app default');
    const batch = await g.post('/', { batch: JSON.stringify([{ method: 'GET', relative_url: `v27.0/${SANDBOX.businessId}/system_users` }, { method: 'GET', relative_url: `${SANDBOX.businessId}/system_users` }]) });
    assert.equal(batch.status, 200);
    assert.deepEqual(batch.body.map((op: { code: number }) => op.code), [400, 200]);
    assert.equal(JSON.parse(batch.body[0].body).error.code, 2500);
  } finally {
    await g.close();
  }
});
