import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaEmulator } from '../../connectors/meta-business/emulator/index.ts';
import type { FaultConfig } from '../../connectors/meta-business/emulator/index.ts';
import { createMetaBusiness } from '../../connectors/meta-business/connector.ts';
import { runConnectorContract, all, type ContractFault } from './connector-contract.ts';
import { BUSINESS, PARTNER, PARTNER_TOKEN, TOKEN, contractFixture } from './meta-fixture.ts';

const log = { debug() {}, info() {}, warn() {}, error() {} };

function faultConfig(f: ContractFault): FaultConfig {
  switch (f.kind) {
    case 'throttle': return { throttle: { code: f.code as 4 | 17 | 613 | 80004, regainMinutes: 3 } };
    case 'server-error': return { errorRate: 1 };
    case 'timeout': return { timeoutRate: 1 };
    case 'drop': return { dropRate: 1 };
    case 'noisy': return { errorRate: 0.05, dropRate: 0.05, shortPageRate: 0.3, seed: f.seed };
  }
}

async function start() {
  const emulator = createMetaEmulator({ fixture: contractFixture() });
  const server = await emulator.listen(0, '127.0.0.1');
  const make = (o: { badCredential?: boolean; timeoutMs?: number } = {}) => createMetaBusiness({
    businessId: BUSINESS, accessToken: o.badCredential ? 'revoked-token-123' : TOKEN, graphBaseUrl: server.url,
    timeoutMs: o.timeoutMs ?? 5000, managedAssetTypes: ['ad_account'], partners: [{ businessId: PARTNER, token: PARTNER_TOKEN }],
  }, { log });
  return { emulator, server, make };
}

runConnectorContract('meta-business over the Graph emulator', async () => {
  const { emulator, server, make } = await start();
  return {
    connector: make(),
    make,
    sample: {
      inviteEmail: 'new.person@example.com', inviteRole: 'EMPLOYEE',
      memberId: '100000000000125', lastAdminId: '100000000000001',
      asset: { type: 'ad_account', id: 'act_3002' }, tasks: ['ADVERTISE', 'ANALYZE'], unsupportedTasks: ['MANAGE'],
      unknownId: '999999999999999',
      // faultConfig's throttle announces estimated_time_to_regain_access: 3 (minutes)
      throttleWaitMs: 3 * 60_000,
      partner: { businessId: PARTNER, asset: { type: 'ad_account', id: 'act_3005' }, tasks: ['ANALYZE'] },
    },
    faults: { inject: (f) => emulator.control.setFaults(faultConfig(f)), clear: () => emulator.control.setFaults({}) },
    callCount: () => emulator.calls.length,
    close: () => server.close(),
  };
});

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
