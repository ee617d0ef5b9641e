import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGraph } from './graph-test-client.ts';
import { SANDBOX } from './sandbox-ids.ts';
import { sandboxFixture } from './fixture.ts';

const BIZ = SANDBOX.businessId;
const P = SANDBOX.partner;
const eve = SANDBOX.employees[0];

describe('asset listings (system users and business assets)', () => {
  test('owned and client assets, system users, with edge defaults', async () => {
    const g = await startTestGraph();
    try {
      assert.deepEqual((await g.get(`/${BIZ}/owned_ad_accounts`)).body.data, [
        { account_id: '111', id: 'act_111' },
        { account_id: '112', id: 'act_112' },
      ]);
      assert.deepEqual((await g.get(`/${BIZ}/owned_pages`)).body.data, [{ id: '222', name: 'Sandbox Page' }]);
      assert.deepEqual((await g.get(`/${BIZ}/owned_product_catalogs`, { fields: 'id' })).body.data, [{ id: '333' }]);
      assert.deepEqual((await g.get(`/${BIZ}/owned_pixels`, { fields: 'id' })).body.data, [{ id: '444' }]);
      assert.deepEqual((await g.get(`/${BIZ}/adspixels`, { fields: 'id' })).body.data, [{ id: '444' }]);
      assert.deepEqual((await g.get(`/${BIZ}/system_users`)).body.data, [{ id: SANDBOX.systemUserId, name: 'Sandbox Automation', role: 'ADMIN' }]);
      const client = await g.get(`/${P.businessId}/client_ad_accounts`, { fields: 'id,name,permitted_tasks' }, P.token);
      assert.deepEqual(client.body.data, [{ id: 'act_111', name: 'Sandbox Ads - Main', permitted_tasks: ['ADVERTISE', 'ANALYZE'] }]);
      // The page share is still CLIENT_RESPONSE_PENDING: not a client page yet.
      assert.deepEqual((await g.get(`/${P.businessId}/client_pages`, {}, P.token)).body.data, []);
      const usage = (await g.get(`/${BIZ}/owned_ad_accounts`)).headers.get('x-app-usage');
      assert.ok(usage && 'call_count' in JSON.parse(usage));
    } finally {
      await g.close();
    }
  });
});

describe('assigned_users (people on assets)', () => {
  test('GET requires business; POST upserts a supported bundle; DELETE removes', async () => {
    const g = await startTestGraph();
    try {
      const missing = await g.get('/act_112/assigned_users');
      assert.equal(missing.body.error.message, '(#100) The parameter business is required');
      const r = await g.get('/act_112/assigned_users', { business: BIZ, fields: 'id,user_type,tasks,permitted_tasks' });
      assert.deepEqual(r.body.data[0], { id: '1000000000000104', user_type: 'BUSINESS_USER', tasks: ['ANALYZE'], permitted_tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE', 'DRAFT', 'AA_ANALYZE'] });
      assert.equal(r.body.data[1].user_type, 'SYSTEM_USER');
      assert.deepEqual((await g.post('/act_112/assigned_users', { user: eve, tasks: '["ADVERTISE","ANALYZE"]', business: BIZ })).body, { success: true });
      assert.deepEqual((await g.post('/act_112/assigned_users', { user: eve, tasks: "['MANAGE', 'ADVERTISE', 'ANALYZE']" })).body, { success: true });
      const after = await g.get(`/${eve}/assigned_ad_accounts`, { fields: 'id,tasks' });
      assert.deepEqual(after.body.data, [
        { id: 'act_111', tasks: ['ADVERTISE', 'ANALYZE'] },
        { id: 'act_112', tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] },
      ]);
      assert.deepEqual((await g.del('/act_112/assigned_users', { user: eve })).body, { success: true });
      assert.equal((await g.del('/act_112/assigned_users', { user: eve })).body.error.code, 100, 'removing someone without tasks there is refused (strict; Meta documents no answer)');
      assert.equal((await g.get(`/${eve}/assigned_ad_accounts`)).body.data.length, 1);
    } finally {
      await g.close();
    }
  });

  test('unsupported combination is 100/1752129; unknown user 100/1752100; nothing changes', async () => {
    const g = await startTestGraph();
    try {
      const before = g.emulator.control.state().assignments;
      const combo = await g.post('/act_112/assigned_users', { user: eve, tasks: '["MANAGE"]' });
      assert.equal(combo.body.error.code, 100);
      assert.equal(combo.body.error.error_subcode, 1752129);
      const pageCombo = await g.post('/222/assigned_users', { user: eve, tasks: '["MANAGE","ANALYZE"]' });
      assert.equal(pageCombo.body.error.error_subcode, 1752129);
      const stranger = await g.post('/act_112/assigned_users', { user: '123456789', tasks: '["ANALYZE"]' });
      assert.equal(stranger.body.error.error_subcode, 1752100);
      assert.equal((await g.post('/act_112/assigned_users', { tasks: '["ANALYZE"]' })).body.error.message, '(#100) The parameter user is required');
      assert.equal((await g.del('/444/assigned_users', { user: SANDBOX.systemUserId })).body.error.error_subcode, 33, 'pixels have no DELETE');
      assert.deepEqual(g.emulator.control.state().assignments, before);
    } finally {
      await g.close();
    }
  });

  test('reading who holds a Page needs pages_manage_metadata (Page assigned_users reference); ad accounts do not', async () => {
    const fixture = sandboxFixture();
    fixture.tokens = fixture.tokens.map((t) => (t.value === SANDBOX.token ? { ...t, scopes: ['business_management', 'ads_management'] } : t));
    const g = await startTestGraph({ fixture });
    try {
      const page = await g.get('/222/assigned_users', { business: BIZ });
      assert.equal(page.status, 400);
      assert.equal(page.body.error.code, 200);
      assert.match(page.body.error.message, /pages_manage_metadata/);
      assert.equal((await g.get('/act_112/assigned_users', { business: BIZ })).status, 200);
    } finally {
      await g.close();
    }
  });

  test('partner token: sees only its own people, assigns within permitted_tasks only', async () => {
    const g = await startTestGraph();
    try {
      const own = await g.get('/act_111/assigned_users', { business: P.businessId }, P.token);
      assert.deepEqual(own.body.data.map((u: { id: string }) => u.id), P.users);
      const ours = await g.get('/act_111/assigned_users', { business: BIZ }, P.token);
      assert.equal(ours.body.error.code, 200);
      const theirs = await g.get('/act_111/assigned_users', { business: P.businessId });
      assert.equal(theirs.body.error.code, 200, 'the owner cannot list the partner people (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business)');
      assert.deepEqual((await g.post('/act_111/assigned_users', { user: P.users[1], tasks: '["ADVERTISE","ANALYZE"]' }, P.token)).body, { success: true });
      const beyond = await g.post('/act_111/assigned_users', { user: P.users[1], tasks: '["MANAGE","ADVERTISE","ANALYZE"]' }, P.token);
      assert.equal(beyond.body.error.code, 200);
      const notShared = await g.get('/act_112/assigned_users', { business: P.businessId }, P.token);
      assert.equal(notShared.body.error.error_subcode, 33);
      const crossAssign = await g.post('/act_111/assigned_users', { user: eve, tasks: '["ANALYZE"]' }, P.token);
      assert.equal(crossAssign.body.error.code, 200);
    } finally {
      await g.close();
    }
  });
});

describe('partners (business-to-business)', () => {
  test('agencies/clients with permission objects; share, reshare, unshare by the owner only', async () => {
    const g = await startTestGraph();
    try {
      const agencies = await g.get(`/${BIZ}/agencies`);
      assert.equal(agencies.body.data[0].id, P.businessId);
      assert.deepEqual(agencies.body.data[0].adaccount_permissions[0].permitted_tasks, ['ADVERTISE', 'ANALYZE']);
      assert.equal(agencies.body.data[0].page_permissions[0].access_status, 'CLIENT_RESPONSE_PENDING');
      const clients = await g.get(`/${P.businessId}/clients`, { fields: 'id,name,adaccount_permissions' }, P.token);
      assert.deepEqual(clients.body.data.map((c: { id: string }) => c.id), [BIZ]);

      const reshare = await g.post('/act_111/agencies', { business: '1000000000000001', permitted_tasks: '["ANALYZE"]' }, P.token);
      assert.equal(reshare.body.error.code, 200, 'an agency cannot share onwards');
      assert.deepEqual((await g.post('/act_112/agencies', { business: P.businessId, permitted_tasks: "['ANALYZE']" })).body, { success: true });
      assert.deepEqual((await g.get(`/${P.businessId}/client_ad_accounts`, { fields: 'id' }, P.token)).body.data, [{ id: 'act_111' }, { id: 'act_112' }]);
      const onAsset = await g.get('/act_112/agencies');
      assert.equal(onAsset.body.data[0].access_status, 'CONFIRMED');
      assert.deepEqual(onAsset.body.data[0].permitted_tasks, ['ANALYZE']);
      assert.equal((await g.post('/act_112/agencies', { business: P.businessId, permitted_tasks: '["OWN"]' })).body.error.code, 100);
      assert.deepEqual((await g.del('/act_111/agencies', { business: P.businessId })).body, { success: true });
      const gone = await g.get('/act_111/assigned_users', { business: P.businessId }, P.token);
      assert.equal(gone.body.error.error_subcode, 33, 'unsharing removes the partner and its people');
      assert.ok(!g.emulator.control.state().assignments.some((a) => a.assetId === 'act_111' && P.users.includes(a.userId as never)));
      assert.equal((await g.del('/act_111/agencies', { business: P.businessId })).body.error.code, 100, 'unsharing again is refused (strict; Meta documents no answer)');
      assert.deepEqual((await g.del(`/${BIZ}/agencies`, { business: P.businessId })).body, { success: true });
      assert.deepEqual((await g.get(`/${BIZ}/agencies`)).body.data, []);
    } finally {
      await g.close();
    }
  });

  test('sharing a Page needs the Page-level permission (pages_manage_metadata stands in for the Page token)', async () => {
    const fixture = sandboxFixture();
    fixture.tokens = fixture.tokens.map((t) => (t.value === SANDBOX.token ? { ...t, scopes: ['business_management', 'ads_management'] } : t));
    const g = await startTestGraph({ fixture });
    try {
      const page = await g.post('/222/agencies', { business: P.businessId, permitted_tasks: '["ANALYZE"]' });
      assert.equal(page.body.error.code, 200);
      assert.match(page.body.error.message, /pages_manage_metadata/);
      assert.equal(g.emulator.control.state().shares.find((s) => s.assetId === '222')!.accessStatus, 'CLIENT_RESPONSE_PENDING', 'nothing changed');
      assert.deepEqual((await g.post('/act_112/agencies', { business: P.businessId, permitted_tasks: '["ANALYZE"]' })).body, { success: true });
    } finally {
      await g.close();
    }
    const full = await startTestGraph();
    try {
      assert.deepEqual((await full.post('/222/agencies', { business: P.businessId, permitted_tasks: '["ANALYZE"]' })).body, { success: true });
    } finally {
      await full.close();
    }
  });

  test('catalogs share by role; pixels list partners on shared_agencies and cannot be unshared', async () => {
    const g = await startTestGraph();
    try {
      assert.deepEqual((await g.post('/333/agencies', { business: P.businessId, permitted_roles: '["ADVERTISER"]' })).body, { success: true });
      assert.deepEqual((await g.get('/333/agencies', { fields: 'id,permitted_tasks' })).body.data, [{ id: P.businessId, permitted_tasks: ['ADVERTISE'] }]);
      assert.equal((await g.post('/333/agencies', { business: P.businessId, permitted_roles: '["OWNER"]' })).body.error.code, 100);
      assert.equal((await g.post('/act_112/agencies', { business: P.businessId })).body.error.message, '(#100) The parameter permitted_tasks is required');
      assert.deepEqual((await g.post('/444/agencies', { business: P.businessId, permitted_tasks: '["ANALYZE"]' })).body, { success: true });
      assert.deepEqual((await g.get('/444/shared_agencies', { fields: 'id' })).body.data, [{ id: P.businessId }]);
      assert.equal((await g.get('/act_111/shared_agencies')).body.error.code, 2500);
      assert.equal((await g.post('/444/agencies', { business: P.businessId, permitted_tasks: '["AA_ANALYZE"]' })).body.error.code, 100);
      assert.equal((await g.del('/444/agencies', { business: P.businessId })).body.error.error_subcode, 33);
    } finally {
      await g.close();
    }
  });

  test('multi-id reads: /?ids= and /{edge}?ids= keyed by id; an unknown id fails the request', async () => {
    const g = await startTestGraph();
    try {
      const nodes = await g.get('/', { ids: 'act_111,222', fields: 'id,name' });
      assert.deepEqual(nodes.body, { act_111: { id: 'act_111', name: 'Sandbox Ads - Main' }, 222: { id: '222', name: 'Sandbox Page' } });
      const edges = await g.get('/assigned_users', { ids: 'act_111,act_112', business: BIZ, fields: 'id', limit: '1' });
      assert.deepEqual(edges.body.act_112.data, [{ id: '1000000000000104' }]);
      const next = new URL(edges.body.act_111.paging.next);
      assert.equal(next.pathname, '/v25.0/act_111/assigned_users');
      assert.equal(next.searchParams.get('ids'), null);
      const bad = await g.get('/', { ids: 'act_111,act_404' });
      assert.equal(bad.body.error.code, 100);
      const partner = await g.get('/', { ids: 'act_112' }, P.token);
      assert.equal(partner.body.error.error_subcode, 33, 'scoping applies per id');
    } finally {
      await g.close();
    }
  });
});
