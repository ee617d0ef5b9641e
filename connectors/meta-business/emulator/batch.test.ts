import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGraph } from './graph-test-client.ts';
import { SANDBOX } from './sandbox-ids.ts';

const BIZ = SANDBOX.businessId;

async function batch(g: Awaited<ReturnType<typeof startTestGraph>>, ops: unknown[], extra: Record<string, string> = {}, path = '/v25.0/') {
  return g.raw(path, { method: 'POST', body: new URLSearchParams({ access_token: SANDBOX.token, batch: JSON.stringify(ops), ...extra }) });
}

describe('batch requests (https://developers.facebook.com/docs/graph-api/batch-requests)', () => {
  test('per-operation results with string bodies; one failure does not fail the others', async () => {
    const g = await startTestGraph();
    try {
      const r = await batch(g, [
        { method: 'GET', relative_url: `act_111/assigned_users?business=${BIZ}&fields=id,tasks` },
        { method: 'POST', relative_url: 'act_112/assigned_users', body: `user=${SANDBOX.employees[0]}&tasks=%5B%22MANAGE%22%5D` },
        { method: 'POST', relative_url: '/v25.0/act_112/assigned_users', body: `user=${SANDBOX.employees[0]}&tasks=%5B%22ANALYZE%22%5D` },
        { method: 'GET', relative_url: `${BIZ}/business_users`, access_token: SANDBOX.partner.token },
      ]);
      assert.equal(r.status, 200);
      assert.equal(r.body.length, 4);
      assert.equal(r.body[0].code, 200);
      assert.equal(typeof r.body[0].body, 'string');
      assert.equal(JSON.parse(r.body[0].body).data.length, 3);
      assert.ok(r.body[0].headers.some((h: { name: string }) => h.name === 'Content-Type'));
      assert.equal(r.body[1].code, 400);
      assert.equal(JSON.parse(r.body[1].body).error.error_subcode, 1752129);
      assert.deepEqual(JSON.parse(r.body[2].body), { success: true });
      assert.equal(r.body[3].code, 403, 'permission errors show 403 in batch');
      assert.equal(JSON.parse(r.body[3].body).error.code, 200);
      const ops = g.emulator.calls.filter((c) => c.batch);
      assert.equal(ops.length, 4);
      assert.deepEqual(ops.map((c) => c.path), ['/act_111/assigned_users', '/act_112/assigned_users', '/act_112/assigned_users', `/${BIZ}/business_users`]);
      assert.equal(g.emulator.calls.filter((c) => !c.batch).length, 1);
      assert.ok(!JSON.stringify(g.emulator.calls).includes(SANDBOX.partner.token), 'tokens inside batch ops are redacted');
    } finally {
      await g.close();
    }
  });

  test('more than 50 operations is 100 and runs none', async () => {
    const g = await startTestGraph();
    try {
      const ops = Array.from({ length: 51 }, () => ({ method: 'GET', relative_url: `${BIZ}/system_users` }));
      const r = await batch(g, ops);
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 100);
      assert.equal(g.emulator.calls.filter((c) => c.batch).length, 0);
      const fifty = await batch(g, ops.slice(0, 50));
      assert.equal(fifty.body.length, 50);
    } finally {
      await g.close();
    }
  });

  test('top-level token is required even when ops carry their own; JSON-body batches work; include_headers=false', async () => {
    const g = await startTestGraph();
    try {
      const noTop = await g.raw('/v25.0/', { method: 'POST', body: new URLSearchParams({ batch: JSON.stringify([{ method: 'GET', relative_url: `${BIZ}/system_users`, access_token: SANDBOX.token }]) }) });
      assert.equal(noTop.body.error.code, 104);
      const json = await g.raw(`/?access_token=${SANDBOX.token}`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ include_headers: false, batch: [{ method: 'GET', relative_url: `${BIZ}/system_users?fields=id` }] }),
      });
      assert.equal(json.body[0].headers, undefined);
      assert.deepEqual(json.body, [{ code: 200, body: JSON.stringify({ data: [{ id: SANDBOX.systemUserId }], paging: JSON.parse(json.body[0].body).paging }) }]);
    } finally {
      await g.close();
    }
  });

  test('named operations feed later ones ({result=name:$.path})', async () => {
    const g = await startTestGraph();
    try {
      const r = await batch(g, [
        { method: 'POST', name: 'invite', relative_url: `${BIZ}/business_users`, body: 'email=chain%40sandbox.example' },
        { method: 'GET', relative_url: '{result=invite:$.id}?fields=email,status' },
      ]);
      const chained = JSON.parse(r.body[1].body);
      assert.deepEqual(chained, { id: JSON.parse(r.body[0].body).id, email: 'chain@sandbox.example', status: 'PENDING' });
    } finally {
      await g.close();
    }
  });

  test('a batch that times out partway returns null for the operations it did not run', async () => {
    const g = await startTestGraph({ faults: { batchTimeoutRate: 0.3, seed: 3 } });
    try {
      const ops = Array.from({ length: 20 }, () => ({ method: 'GET', relative_url: `${BIZ}/system_users` }));
      const r = await batch(g, ops);
      const firstNull = r.body.indexOf(null);
      assert.ok(firstNull >= 0 && firstNull < 20, `expected a cut: ${firstNull}`);
      assert.ok(r.body.slice(firstNull).every((op: unknown) => op === null), 'everything after the cut is null');
      assert.ok(r.body.slice(0, firstNull).every((op: { code: number }) => op.code === 200));
      assert.equal(g.emulator.calls.filter((c) => c.batch).length, firstNull, 'null operations did not run');
    } finally {
      await g.close();
    }
  });
});
