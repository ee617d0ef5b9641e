import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaEmulator, generateFixture, SANDBOX } from './emulator/index.ts';
import { createMetaBusiness } from './connector.ts';
import { isConnectorError } from '../sdk/connector-error.ts';

/**
 * Graph cursors "become invalid when their item is deleted"
 * (https://developers.facebook.com/docs/graph-api/results). A listing whose next page Graph
 * refuses changed while it was read: the connector must say so as `unavailable` (the agent retries
 * and reads again from the first page), never as invalid-argument (the task would fail for good)
 * and never by taking the pages read so far for the whole listing.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };
const PER_PAGE = 1000; // the connector's PAGE_LIMIT.list

async function start(fetchWrap?: (url: string) => (f: typeof fetch) => typeof fetch) {
  // One ad account with more people assigned than fit on a page, and more members than a page.
  const emulator = createMetaEmulator({
    fixture: generateFixture({ members: PER_PAGE + 10, invites: 0, adAccounts: 1, pages: 0, catalogs: 0, assignmentsPerAsset: PER_PAGE + 5, sharedAdAccounts: 0 }),
  });
  const server = await emulator.listen(0, '127.0.0.1');
  const connector = createMetaBusiness(
    { businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url },
    { log, ...(fetchWrap ? { fetch: fetchWrap(server.url)(fetch) } : {}) },
  );
  const graphDelete = (path: string) => fetch(`${server.url}/v25.0/${path}${path.includes('?') ? '&' : '?'}access_token=${SANDBOX.token}`, { method: 'DELETE' })
    .then(async (r) => assert.equal(r.status, 200, await r.text()));
  return { emulator, server, connector, graphDelete };
}

const unavailable = (err: unknown) => {
  assert.ok(isConnectorError(err), String(err));
  assert.equal(err.kind, 'unavailable', err.message);
  assert.match(err.message, /changed while it was read/);
  return true;
};

test('members: the person a next cursor stands on is removed between pages → unavailable (read again), not invalid-argument', async () => {
  const { server, connector, graphDelete } = await start();
  try {
    const first = await connector.listMembers!();
    assert.equal(first.items.length, PER_PAGE);
    assert.ok(first.next);
    await graphDelete(first.items[PER_PAGE - 1]!.id);
    await assert.rejects(connector.listMembers!(first.next), unavailable);
    // Read again from the start, the listing is whole.
    const again = await connector.listMembers!();
    const rest = await connector.listMembers!(again.next);
    assert.equal(again.items.length + rest.items.length, PER_PAGE + 10 - 1);
  } finally {
    await server.close();
  }
});

test('assigning on an asset whose assigned_users page 2 went stale mid-read → unavailable (retried), not a task failed for good', async () => {
  const asset = { type: 'ad_account' as const, id: 'act_5000000000' };
  let deleted = false;
  let graphUrl = '';
  // After the first batch answer, the person its next cursor stands on is unassigned (another task
  // of the agent doing its work), before the connector asks for page 2.
  const wrap = (url: string) => (f: typeof fetch): typeof fetch => {
    graphUrl = url;
    return async (input, init) => {
      const res = await f(input, init);
      const path = new URL(String(input instanceof Request ? input.url : input)).pathname;
      if (!deleted && init?.method === 'POST' && path === '/v25.0/') {
        deleted = true;
        const ops = (await res.clone().json()) as Array<{ body: string }>;
        const data = (JSON.parse(ops[0]!.body) as { data: Array<{ id: string }> }).data;
        const last = data[data.length - 1]!.id;
        const del = await f(`${graphUrl}/v25.0/${asset.id}/assigned_users?user=${last}&access_token=${SANDBOX.token}`, { method: 'DELETE' });
        assert.equal(del.status, 200);
      }
      return res;
    };
  };
  const { server, connector } = await start(wrap);
  try {
    await assert.rejects(connector.assignAsset!({ asset, userId: '3000000000000009', tasks: ['ANALYZE'] }), unavailable);
    assert.ok(deleted);
    // Read again (nothing changes meanwhile now): whole, the system user and every person but the one removed.
    assert.equal((await connector.listAssignments!([asset])).length, 1 + PER_PAGE + 5 - 1);
  } finally {
    await server.close();
  }
});

test('a next page refused past the edge\'s cursor limit ("The After Cursor specified exceeds the max limit") fails as internal, saying the listing cannot be read whole: reading it again from the start would meet the same wall', async () => {
  // Graph's error for paging past an edge's cap (https://developers.facebook.com/docs/graph-api/results).
  const capped = () => (f: typeof fetch): typeof fetch => async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.includes('/business_users') && url.includes('after=')) {
      return new Response(JSON.stringify({ error: { message: '(#100) The After Cursor specified exceeds the max limit supported by this endpoint', type: 'OAuthException', code: 100 } }), { status: 400, headers: { 'content-type': 'application/json' } });
    }
    return f(input, init);
  };
  const { server, connector } = await start(capped);
  try {
    const first = await connector.listMembers!();
    assert.ok(first.next);
    await assert.rejects(connector.listMembers!(first.next), (err: unknown) => {
      assert.ok(isConnectorError(err), String(err));
      assert.equal(err.kind, 'internal', err.message);
      assert.match(err.message, /cursor limit/);
      assert.match(err.message, /cannot be read whole/);
      return true;
    });
  } finally {
    await server.close();
  }
});
