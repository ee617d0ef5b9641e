import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaEmulator, SANDBOX } from './emulator/index.ts';
import { createMetaBusiness } from './connector.ts';

/**
 * The connector against a Graph front that serves only what Meta's business-management reference
 * pages list: features must not depend on an endpoint those pages do not have.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };

/** A fetch that answers `path` as Graph answers a path it does not know (2500), the rest as the emulator does. */
function withoutPath(path: RegExp): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (path.test(url.pathname)) {
      const body = { error: { message: `Unknown path components: ${url.pathname.replace(/^\/v\d+\.\d+/, '')}`, type: 'OAuthException', code: 2500, fbtrace_id: 'AbCdEf' } };
      return new Response(JSON.stringify(body), { status: 400, headers: { 'content-type': 'application/json' } });
    }
    return fetch(input, init);
  };
}

test('token health without debug_token: a documented read says whether the token works; expiry and scopes stay unknown', async () => {
  const emulator = createMetaEmulator();
  const server = await emulator.listen(0, '127.0.0.1');
  try {
    const make = (accessToken: string) => createMetaBusiness(
      { businessId: SANDBOX.businessId, accessToken, graphBaseUrl: server.url, managedAssetTypes: ['ad_account', 'page'] },
      { log, fetch: withoutPath(/\/debug_token$/) },
    );
    const health = await make(SANDBOX.token).checkCredential!();
    assert.equal(health.valid, true, 'a working token is not reported invalid because debug_token is missing');
    assert.equal(health.expiresAt, undefined);
    assert.deepEqual(health.missingScopes, [], 'no scope is claimed missing without knowing');
    assert.match(health.problem ?? '', /debug_token/);
    const bad = await make('not-a-token').checkCredential!();
    assert.equal(bad.valid, false, 'a token Graph refuses (190) is still reported invalid');
  } finally {
    await server.close();
  }
});

test('token health on the emulator as built from Meta\'s business-management reference pages (no debug_token): a working token is valid, expiry and scopes unknown (said in the problem)', async () => {
  const emulator = createMetaEmulator();
  const server = await emulator.listen(0, '127.0.0.1');
  try {
    const warned: string[] = [];
    const watched = { ...log, warn: (msg: string) => { warned.push(msg); } };
    const make = (accessToken: string) => createMetaBusiness({ businessId: SANDBOX.businessId, accessToken, graphBaseUrl: server.url, managedAssetTypes: ['ad_account'] }, { log: watched });
    const health = await make(SANDBOX.token).checkCredential!();
    assert.deepEqual(warned, [], 'a Graph without debug_token is expected: no warning at every check (npm start\'s sandbox is one)');
    assert.equal(health.valid, true);
    assert.equal(health.expiresAt, undefined);
    assert.deepEqual(health.missingScopes, []);
    assert.match(health.problem ?? '', /expiry and scopes unknown: Graph did not answer debug_token/);
    assert.equal(health.expiryUnknown, true, 'no expiresAt here means unknown, not "never expires"');
    assert.ok(emulator.calls.some((c) => c.path.endsWith('/system_users')), 'checked with the documented read instead');
    assert.equal((await make('not-a-token').checkCredential!()).valid, false);
  } finally {
    await server.close();
  }
});

/**
 * The parameters Meta's reference pages list per call (besides access_token and the paging and
 * field ones every edge takes): the connector sends no other.
 */
const COMMON = new Set(['access_token', 'fields', 'limit', 'after', 'before', 'summary']);
const ASSETS = ['AdAccount', 'Page', 'ProductCatalog', 'AdsPixel'];
function documented(method: string, on: { node: string; edge?: string } | undefined, path: string): string[] | undefined {
  if (path === '/debug_token') return ['input_token']; // [INF] not on the business-management pages; optional (token health)
  if (path === '/' && method === 'POST') return ['batch', 'include_headers'];
  // A node a DELETE removed no longer resolves when the call is recorded: a person or an invite, no params.
  if (!on && method === 'DELETE' && /^\/\d+$/.test(path)) return [];
  if (!on) return undefined;
  const edge = on.edge?.split('/')[1];
  const key = `${method} ${edge ? (ASSETS.includes(on.node) ? 'Asset' : on.node) + '/' + edge : on.node}`;
  const table: Record<string, string[]> = {
    'GET Business/business_users': [], 'POST Business/business_users': ['email', 'role', 'tasks', 'invited_user_type'],
    'GET Business/pending_users': ['email'], 'GET Business/system_users': [],
    'GET Business/agencies': [], 'GET Business/clients': [], 'DELETE Business/agencies': ['business'], 'DELETE Business/clients': ['business'],
    'GET BusinessUser': [], 'DELETE BusinessUser': [],
    'POST BusinessUser': ['role', 'tasks', 'email', 'first_name', 'last_name', 'title', 'pending_email', 'clear_pending_email', 'skip_verification_email'],
    'GET BusinessRoleRequest': [], 'POST BusinessRoleRequest': ['role', 'tasks'], 'DELETE BusinessRoleRequest': [],
    'GET Asset/assigned_users': ['business'], 'POST Asset/assigned_users': ['user', 'tasks'], 'DELETE Asset/assigned_users': ['user'],
    'GET Asset/agencies': [], 'POST Asset/agencies': ['business', 'permitted_tasks'], 'DELETE Asset/agencies': ['business'], 'GET Asset/shared_agencies': [],
  };
  for (const e of ['owned_ad_accounts', 'client_ad_accounts']) table[`GET Business/${e}`] = ['search_query'];
  for (const e of ['owned_pages', 'client_pages', 'owned_product_catalogs', 'client_product_catalogs', 'owned_pixels', 'client_pixels']) table[`GET Business/${e}`] = [];
  // The system-user guide's curl sends `business` on an ad account's assigned_users POST.
  if (key === 'POST Asset/assigned_users' && on.node === 'AdAccount') return [...table[key], 'business'];
  if (key === 'POST Asset/agencies' && on.node === 'ProductCatalog') return [...table[key], 'permitted_roles', 'enabled_collab_terms', 'skip_defaults', 'utm_settings'];
  return table[key];
}

test('every parameter the connector sends is one Meta\'s reference lists for that call', async () => {
  const emulator = createMetaEmulator();
  const server = await emulator.listen(0, '127.0.0.1');
  try {
    const P = SANDBOX.partner;
    const c = createMetaBusiness({
      businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url, managedAssetTypes: ['ad_account', 'page', 'catalog', 'pixel'],
      partners: [{ businessId: P.businessId, token: P.token }],
    }, { log });
    const members = (await c.listMembers!()).items;
    await c.listInvites!();
    await c.listSystemUsers!();
    await c.listPartners!();
    await c.listPartnerUsers!(P.businessId);
    const eve = members.find((m) => m.email?.startsWith('eve'))!;
    const assets = [{ type: 'ad_account' as const, id: 'act_112' }, { type: 'page' as const, id: '222' }, { type: 'catalog' as const, id: '333' }, { type: 'pixel' as const, id: '444' }];
    for (const type of ['ad_account', 'page', 'catalog', 'pixel'] as const) await c.listAssets!(type);
    await c.listAssignments!(assets);
    for (const asset of assets) {
      await c.assignAsset!({ asset, userId: eve.id, tasks: asset.type === 'catalog' ? ['ADVERTISE'] : ['ANALYZE'] });
      if (asset.type !== 'pixel') await c.unassignAsset!({ asset, userId: eve.id });
      await c.shareAsset!({ asset, partnerBusinessId: P.businessId, tasks: asset.type === 'catalog' ? ['ADVERTISE'] : ['ANALYZE'] });
      if (asset.type !== 'pixel') await c.unshareAsset!({ asset, partnerBusinessId: P.businessId });
    }
    const invited = await c.invite!({ email: 'params.check@sandbox.example', role: 'EMPLOYEE' });
    await c.changeInviteRole!(invited.inviteId, 'ADMIN');
    await c.cancelInvite!(invited.inviteId);
    await c.changeMemberRole!(eve.id, 'ADMIN');
    await c.changeMemberRole!(eve.id, 'EMPLOYEE');
    await c.removeMember!(eve.id);
    await c.checkCredential!();

    const problems: string[] = [];
    for (const call of emulator.calls) {
      const allowed = documented(call.method, call.readOn, call.path);
      if (!allowed) { problems.push(`${call.method} ${call.path}: not a call Meta's reference pages list`); continue; }
      for (const name of new Set([...Object.keys(call.query), ...Object.keys(call.body)])) {
        if (!COMMON.has(name) && !allowed.includes(name)) problems.push(`${call.method} ${call.path}: parameter ${name}`);
      }
    }
    assert.deepEqual(problems, []);
  } finally {
    await server.close();
  }
});

test('a BUC object out of quota (estimated_time_to_regain_access > 0) is not called until then, also when the answer that said so succeeded', async () => {
  const { HttpClient } = await import('../sdk/http.ts');
  const { RateLimitBook } = await import('../sdk/rate-limit-book.ts');
  const { GraphClient } = await import('./graph-client.ts');
  const buc = (regain: number, object = '111') => JSON.stringify({ [object]: [{ type: 'ads_management', call_count: 100, total_cputime: 40, total_time: 40, estimated_time_to_regain_access: regain }] });
  const asked: string[] = [];
  const fetchFn = (async (input: URL | RequestInfo, init?: RequestInit) => {
    const url = String(input);
    asked.push(new URL(url).pathname);
    if (url.includes('/v25.0/?') || new URL(url).pathname === '/v25.0/') {
      // A batch: the first op's own headers report act_555 out of quota; both ops succeeded.
      const ops = JSON.parse(new URLSearchParams(String(init?.body)).get('batch')!);
      return new Response(JSON.stringify(ops.map((_: unknown, i: number) => ({ code: 200, headers: i === 0 ? [{ name: 'X-Business-Use-Case-Usage', value: buc(3, '555') }] : [], body: '{"data":[]}' }))), { status: 200 });
    }
    return new Response('{"data":[]}', { status: 200, headers: { 'content-type': 'application/json', 'x-business-use-case-usage': url.includes('act_222') ? buc(7) : buc(0) } });
  }) as typeof fetch;
  const book = new RateLimitBook();
  const g = new GraphClient({ http: new HttpClient({ baseUrl: 'http://127.0.0.1:9', fetch: fetchFn, secrets: () => ['tok'] }), version: 'v25.0', token: 'tok', businessId: '100', book });
  const ctx = { what: 'meta-business: test', businessId: '100' };
  await g.call('GET', 'act_111/assigned_users', { business: '100' }, ctx);
  assert.equal(book.remainingMs('111'), 0, 'regain 0: not throttled');
  await g.call('GET', 'act_222/assigned_users', { business: '100' }, ctx);
  assert.ok(book.remainingMs('111') > 6 * 60_000, 'the header named act_111 out of quota for 7 minutes');
  const before = asked.length;
  await assert.rejects(g.call('GET', 'act_111/assigned_users', { business: '100' }, ctx), (e: Error & { kind?: string; notApplied?: boolean }) => e.kind === 'rate-limited' && e.notApplied === true);
  assert.equal(asked.length, before, 'nothing sent into the throttle');
  await g.sendBatch([{ method: 'GET', relativeUrl: 'act_333/assigned_users' }, { method: 'GET', relativeUrl: 'act_444/assigned_users' }], ctx);
  assert.ok(book.remainingMs('555') > 2 * 60_000, 'an op of a batch that succeeded reports its object out of quota: blocked too');
});

test('sharing answered 3944 "already has access" is already-done only when the share holds the tasks asked for', async () => {
  const emulator = createMetaEmulator();
  const server = await emulator.listen(0, '127.0.0.1');
  try {
    // Graph answering 3944 to a share of act_111 (shared with [ADVERTISE, ANALYZE]) instead of changing it.
    const fetch3944: typeof fetch = async (input, init) => {
      const url = new URL(String(input instanceof Request ? input.url : input));
      if ((init?.method ?? 'GET') === 'POST' && url.pathname.endsWith('/act_111/agencies')) {
        const body = { error: { message: '(#3944) Your business already has access to this object.', type: 'OAuthException', code: 3944, fbtrace_id: 'AbCdEf' } };
        return new Response(JSON.stringify(body), { status: 400, headers: { 'content-type': 'application/json' } });
      }
      return fetch(input, init);
    };
    const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, fetch: fetch3944 });
    const asset = { type: 'ad_account' as const, id: 'act_111' };
    await assert.rejects(c.shareAsset!({ asset, partnerBusinessId: SANDBOX.partner.businessId, tasks: ['ANALYZE'] }), (e: Error & { providerCode?: string }) => e.providerCode === '3944', 'the partner still holds [ADVERTISE, ANALYZE]: not done');
    assert.equal(await c.shareAsset!({ asset, partnerBusinessId: SANDBOX.partner.businessId, tasks: ['ADVERTISE', 'ANALYZE'] }), 'already-done');
  } finally {
    await server.close();
  }
});

test('meta.apiVersion must be a Graph version (vNN.0): v25.1 is refused when the config loads, not by every call', async () => {
  const { metaBusiness } = await import('./definition.ts');
  const { metaBusinessConfig } = await import('./connector.ts');
  const block = (apiVersion: string) => metaBusiness.hub.schema.safeParse({ businessId: '1', graphBaseUrl: 'sandbox', apiVersion });
  assert.equal(block('v25.0').success, true);
  assert.equal(block('v25.1').success, false);
  assert.match(JSON.stringify(block('v25.1').error?.issues), /expected a Graph API version such as v25.0/);
  assert.equal(metaBusinessConfig.safeParse({ businessId: '1', accessToken: 't', apiVersion: 'v25.1' }).success, false);
});
