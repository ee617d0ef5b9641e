import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaBusiness } from './connector.ts';
import { allPages as all } from '../sdk/pages.ts';
import { BUSINESS, PARTNER, TOKEN, startContractBusiness as start } from './contract-fixture.ts';

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
    assert.equal(http.length, 2, 'two batch requests for 60 assets');
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
  const { server } = await start();
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
