import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaBusiness } from './connector.ts';
import { allPages as all } from '../sdk/pages.ts';
import { BUSINESS, PARTNER, PARTNER_TOKEN, TOKEN, contractBusiness, startContractBusiness as start } from './contract-fixture.ts';
import { createMetaEmulator } from './emulator/index.ts';

/** Meta-only behaviour on the contract business, beyond the shared suite (test/contract). */
const log = { debug() {}, info() {}, warn() {}, error() {} };

test('meta-business: a full read uses large pages and one batch per 50 assets', async () => {
  const { emulator, server, make } = await start();
  try {
    const c = make();
    const assets = await all((cur) => c.listAssets!('ad_account', cur));
    assert.equal(assets.length, 60);
    emulator.control.clearCalls();
    const assignments = await c.listAssignments!(assets);
    assert.equal(assignments.filter((a) => a.businessId === BUSINESS).length, 20);
    const http = emulator.calls.filter((x) => !x.batch);
    // Two batch requests for 60 assets, nothing else: who of the holders is a system user is
    // decided by the check for updates against the system users it lists (system-users-once.test.ts).
    assert.deepEqual(http.map((x) => x.path).sort(), ['/', '/']);
  } finally {
    await server.close();
  }
});

test('meta-business: partner users are read with the partner token, on our shared assets only', async () => {
  const { server, make } = await start();
  try {
    const users = await make().listPartnerUsers!(PARTNER);
    assert.deepEqual(users, [{ partnerBusinessId: PARTNER, userId: '200000000000001', name: 'Pat Partner', userType: 'member', assignments: [{ asset: { type: 'ad_account', id: 'act_3001' }, tasks: ['ANALYZE'] }] }]);
  } finally {
    await server.close();
  }
});

test('meta-business: token health from debug_token (scopes missing for managed pages)', async () => {
  const { server } = await start({ debugToken: true });
  try {
    const c = createMetaBusiness({ businessId: BUSINESS, accessToken: TOKEN, graphBaseUrl: server.url, managedAssetTypes: ['ad_account', 'page'] }, { log });
    const health = await c.checkCredential!();
    assert.equal(health.valid, true);
    assert.deepEqual(health.missingScopes, []);
    assert.ok(health.scopes.includes('business_management'));
  } finally {
    await server.close();
  }
});

test('meta-business: the invite limit (code 17) blocks further invites for 24 h without calling', async () => {
  const { emulator, server, make } = await start();
  try {
    const c = make();
    emulator.control.setFaults({ throttle: { code: 17, match: 'business_users' } });
    await assert.rejects(c.invite!({ email: 'x1@example.com', role: 'EMPLOYEE' }), (e: any) => e.kind === 'rate-limited' && e.retryAfterMs === 24 * 3_600_000 && e.limitScope === `invite:${BUSINESS}`);
    const before = emulator.calls.length;
    await assert.rejects(c.invite!({ email: 'x2@example.com', role: 'EMPLOYEE' }), (e: any) => e.kind === 'rate-limited' && /retry in 24 h/.test(e.message));
    assert.equal(emulator.calls.length, before, 'no call while the invite limit holds');
    assert.ok(c.rateLimits!().blockedUntil[`invite:${BUSINESS}`] > Date.now());
  } finally {
    await server.close();
  }
});

test("meta-business: a partner token without pages_manage_metadata still yields the partner's ad account people; the Page is reported unread", async () => {
  const fixture = contractBusiness();
  fixture.tokens = fixture.tokens.map((t) => (t.value === PARTNER_TOKEN ? { ...t, scopes: t.scopes.filter((s) => s !== 'pages_manage_metadata') } : t));
  fixture.shares.push({ assetId: '4001', partnerBusinessId: PARTNER, permittedTasks: ['ANALYZE'], accessStatus: 'CONFIRMED' });
  fixture.assignments.push({ assetId: '4001', userId: '200000000000001', tasks: ['ANALYZE'] });
  const emulator = createMetaEmulator({ fixture });
  const server = await emulator.listen(0, '127.0.0.1');
  try {
    const c = createMetaBusiness({ businessId: BUSINESS, accessToken: TOKEN, graphBaseUrl: server.url, partners: [{ businessId: PARTNER, token: PARTNER_TOKEN }] }, { log });
    const unread: Array<[string, string]> = [];
    const users = await c.listPartnerUsers!(PARTNER, { onUnreadableAssetType: (type, message) => unread.push([type, message]) });
    assert.deepEqual(users, [{ partnerBusinessId: PARTNER, userId: '200000000000001', name: 'Pat Partner', userType: 'member', assignments: [{ asset: { type: 'ad_account', id: 'act_3001' }, tasks: ['ANALYZE'] }] }]);
    assert.deepEqual(unread.map(([type]) => type), ['page']);
    assert.match(unread[0][1], /page 4001/);
    assert.doesNotMatch(unread[0][1], new RegExp(PARTNER_TOKEN));
    // A caller that cannot report an unread type gets a failure, never a listing that omits the Page's people.
    await assert.rejects(c.listPartnerUsers!(PARTNER), (e: any) => e.kind === 'permission-denied');
  } finally {
    await server.close();
  }
});

test("meta-business: a partner's Page whose people Graph answers 100/33 (not loadable with the partner's token) is reported unread, never read as nobody's", async () => {
  const fixture = contractBusiness();
  fixture.shares.push({ assetId: '4001', partnerBusinessId: PARTNER, permittedTasks: ['ANALYZE'], accessStatus: 'CONFIRMED' });
  fixture.assignments.push({ assetId: '4001', userId: '200000000000001', tasks: ['ANALYZE'] });
  const emulator = createMetaEmulator({ fixture });
  const server = await emulator.listen(0, '127.0.0.1');
  // A Graph that answers the Page's people 100/33 rather than (#200) (Graph's words for 100/33 include "cannot be loaded due to missing permissions").
  const body = { error: { message: "Unsupported get request. Object with ID '4001' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api", type: 'GraphMethodException', code: 100, error_subcode: 33, fbtrace_id: 'x' } };
  const unloadable: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const items = await res.clone().json().catch(() => undefined);
    if (!Array.isArray(items)) return res;
    const batch = JSON.parse(new URLSearchParams(String(init?.body)).get('batch') ?? '[]') as Array<{ relative_url: string }>;
    return new Response(JSON.stringify(items.map((item, i) => (batch[i]?.relative_url.startsWith('4001/assigned_users') ? { code: 400, body: JSON.stringify(body) } : item))), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  try {
    const c = createMetaBusiness({ businessId: BUSINESS, accessToken: TOKEN, graphBaseUrl: server.url, partners: [{ businessId: PARTNER, token: PARTNER_TOKEN }] }, { log, fetch: unloadable });
    const unread: Array<[string, string]> = [];
    const users = await c.listPartnerUsers!(PARTNER, { onUnreadableAssetType: (type, message) => unread.push([type, message]) });
    assert.deepEqual(users.flatMap((u) => u.assignments.map((a) => a.asset.id)), ['act_3001'], 'the ad account people are read');
    assert.deepEqual(unread.map(([type]) => type), ['page']);
    assert.match(unread[0][1], /4001/);
    await assert.rejects(c.listPartnerUsers!(PARTNER), (e: any) => e.kind === 'unavailable' && /4001/.test(e.message));
  } finally {
    await server.close();
  }
});
