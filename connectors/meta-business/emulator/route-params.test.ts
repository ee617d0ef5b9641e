import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGraph, type TestGraph } from './graph-test-client.ts';
import { SANDBOX } from './sandbox-ids.ts';

// A parameter an endpoint does not take is refused (route-params.ts, [INF] in the connector
// README): Meta is silent, and a Graph written strictly from the same Meta docs refuses it, so a
// client sending one must fail here first, and nothing may change.
const BIZ = SANDBOX.businessId;

async function refused(r: Promise<{ status: number; body: { error?: { code: number; message: string } } }>, name: string): Promise<void> {
  const res = await r;
  assert.equal(res.status, 400, `${name}: refused`);
  assert.equal(res.body.error?.code, 100);
  assert.match(res.body.error!.message, new RegExp(`Param ${name} is not a valid parameter`));
}

describe('parameters an endpoint does not take are (#100)', () => {
  const withGraph = (fn: (g: TestGraph) => Promise<void>, options = {}) => async () => {
    const g = await startTestGraph(options);
    try { await fn(g); } finally { await g.close(); }
  };

  test('on reads: a list edge, a node, assigned_users', withGraph(async (g) => {
    await refused(g.get(`/${BIZ}/business_users`, { foo: '1' }), 'foo');
    await refused(g.get(`/${BIZ}/pending_users`, { status: 'PENDING' }), 'status');
    await refused(g.get(`/${SANDBOX.employees[0]}`, { business: BIZ }), 'business');
    await refused(g.get('/act_111/assigned_users', { business: BIZ, user: SANDBOX.admins[0] }), 'user');
  }));

  test('on writes, and nothing is done', withGraph(async (g) => {
    const before = g.emulator.control.state();
    await refused(g.post(`/${BIZ}/business_users`, { email: 'extra.param@sandbox.example', name: 'X' }), 'name');
    await refused(g.post(`/${SANDBOX.employees[0]}`, { role: 'ADMIN', business: BIZ }), 'business');
    await refused(g.post(`/${SANDBOX.pendingInviteId}`, { role: 'ADMIN', email: 'x@sandbox.example' }), 'email');
    await refused(g.del(`/${SANDBOX.employees[1]}`, { business: BIZ }), 'business');
    await refused(g.del('/act_111/assigned_users', { user: SANDBOX.admins[0], business: BIZ }), 'business');
    // `business` on POST assigned_users is documented for ad accounts only (the system-user guide).
    await refused(g.post(`/${SANDBOX.pageId}/assigned_users`, { user: SANDBOX.employees[0], tasks: '["ANALYZE"]', business: BIZ }), 'business');
    // `permitted_roles` is a catalog's sharing parameter, not an ad account's.
    await refused(g.post('/act_112/agencies', { business: SANDBOX.partner.businessId, permitted_tasks: '["ANALYZE"]', permitted_roles: '["ADMIN"]' }), 'permitted_roles');
    const after = g.emulator.control.state();
    assert.deepEqual(after.invites, before.invites);
    assert.deepEqual(after.users, before.users);
    assert.deepEqual(after.assignments, before.assignments);
    assert.deepEqual(after.shares, before.shares);
  }));

  test('documented parameters still pass', withGraph(async (g) => {
    assert.equal((await g.get(`/${BIZ}/business_users`, { fields: 'id', limit: '2', summary: 'total_count', appsecret_proof: 'x' })).status, 200);
    assert.equal((await g.get(`/${BIZ}/pending_users`, { email: SANDBOX.pendingInviteEmail })).status, 200);
    assert.deepEqual((await g.post('/act_112/assigned_users', { user: SANDBOX.employees[0], tasks: '["ANALYZE"]', business: BIZ })).body, { success: true });
    assert.deepEqual((await g.post(`/${SANDBOX.catalogId}/agencies`, { business: SANDBOX.partner.businessId, permitted_tasks: '["ADVERTISE"]', permitted_roles: '["ADVERTISER"]' })).body, { success: true });
    assert.equal((await g.post(`/${BIZ}/business_users`, { email: 'raw.fields@sandbox.example', role: 'EMPLOYEE', fields: 'id' })).status, 200);
  }));

  // Filters Meta documents whose matching it does not describe (owned/client_ad_accounts
  // `search_query`, `include_shared_ad_accounts`; adspixels `id_filter`, `name_filter`, `sort_by`):
  // taken and ignored, a client sending one got the whole listing here and a filtered (or sorted)
  // one from Graph, so a test against this emulator passed whatever the client did with the answer.
  test('documented filters the emulator does not model are refused as not emulated, never silently ignored', withGraph(async (g) => {
    const cases: Array<[string, Record<string, string>]> = [
      [`/${BIZ}/owned_ad_accounts`, { search_query: 'Main' }],
      [`/${BIZ}/owned_ad_accounts`, { include_shared_ad_accounts: 'true' }],
      [`/${BIZ}/client_ad_accounts`, { search_query: 'Main' }],
      [`/${BIZ}/adspixels`, { id_filter: SANDBOX.pixelId }],
      [`/${BIZ}/adspixels`, { name_filter: 'Sandbox' }],
      [`/${BIZ}/adspixels`, { sort_by: 'NAME' }],
    ];
    for (const [path, query] of cases) {
      const r = await g.get(path, query);
      const [name] = Object.keys(query);
      assert.equal(r.status, 400, `${path} ${name}`);
      assert.equal(r.body.error?.code, 100);
      assert.match(r.body.error!.message, new RegExp(`parameter \\(${name}\\) .*is not emulated`));
    }
  }));

  test('assigned_pages?pages= lists only the Pages named (the filter its reference page documents)', withGraph(async (g) => {
    const su = SANDBOX.systemUserId;
    const ids = async (query: Record<string, string>) => (await g.get(`/${su}/assigned_pages`, { fields: 'id', ...query })).body.data.map((p: { id: string }) => p.id);
    assert.deepEqual(await ids({}), [SANDBOX.pageId]);
    assert.deepEqual(await ids({ pages: `[${SANDBOX.pageId}]` }), [SANDBOX.pageId]);
    assert.deepEqual(await ids({ pages: '[999999]' }), [], 'a Page not named is not listed');
    const bad = await g.get(`/${su}/assigned_pages`, { pages: '["my-page"]' });
    assert.equal(bad.status, 400, 'a Page id is a number (list<uint>)');
    assert.equal(bad.body.error?.code, 100);
  }));

  test('the batch request itself takes batch, include_headers and the token only', withGraph(async (g) => {
    const batch = JSON.stringify([{ method: 'GET', relative_url: `${BIZ}/system_users?fields=id` }]);
    await refused(g.post('/', { batch, locale: 'en_US' }), 'locale');
    assert.equal((await g.post('/', { batch, include_headers: 'false' })).status, 200);
  }));

  test('inside a batch the operation fails alone', withGraph(async (g) => {
    const batch = JSON.stringify([
      { method: 'GET', relative_url: `${BIZ}/system_users?fields=id&locale=en_US` },
      { method: 'GET', relative_url: `${BIZ}/system_users?fields=id` },
    ]);
    const r = await g.post('/', { batch });
    assert.equal(r.status, 200);
    assert.equal(r.body[0].code, 400);
    assert.equal(JSON.parse(r.body[0].body).error.code, 100);
    assert.equal(r.body[1].code, 200);
  }));

  test('GET and DELETE take their parameters in the query string: a body is refused and nothing is done', withGraph(async (g) => {
    const form = (method: string, params: Record<string, string>) => ({
      method, body: new URLSearchParams(params), headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const before = g.emulator.control.state();
    const del = await g.raw(`/v25.0/act_112/assigned_users?access_token=${SANDBOX.token}`, form('DELETE', { user: SANDBOX.employees[1] }));
    assert.equal(del.status, 400);
    assert.equal(del.body.error.code, 100);
    assert.match(del.body.error.message, /user was sent in the body of a DELETE/);
    const removal = await g.raw(`/v25.0/${SANDBOX.employees[3]}`, form('DELETE', { access_token: SANDBOX.token }));
    assert.equal(removal.body.error?.code, 100, 'the token in a DELETE body is a body too');
    const batch = JSON.stringify([
      { method: 'DELETE', relative_url: 'act_112/assigned_users', body: `user=${SANDBOX.employees[1]}` },
      // Fetch sends no body with a GET; a batch operation may carry one.
      { method: 'GET', relative_url: `${BIZ}/system_users`, body: 'fields=id' },
      { method: 'DELETE', relative_url: `act_112/assigned_users?user=${SANDBOX.employees[1]}` },
    ]);
    const r = await g.post('/', { batch });
    assert.deepEqual(r.body.map((op: { code: number }) => op.code), [400, 400, 200]);
    assert.equal(JSON.parse(r.body[0].body).error.code, 100);
    const after = g.emulator.control.state();
    assert.deepEqual(after.users, before.users);
    assert.equal(after.assignments.length, before.assignments.length - 1, 'only the DELETE with its user in the query removed someone');
  }));

  test('the legacy overrides are parameters only where honoured (legacyOverrides)', withGraph(async (g) => {
    const r = await g.get('/act_112/assigned_users', { method: 'post', user: SANDBOX.employees[0], tasks: '["ANALYZE"]' });
    assert.deepEqual(r.body, { success: true });
  }, { legacyOverrides: true }));
});
