import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import { log } from './alternative-fetch.test-double.ts';
import { CLIENT_AD_ACCOUNT, withClientAdAccount } from './client-share.test-double.ts';

/**
 * Meta's B2B guide: an agency assigns within the `permitted_tasks` the owner shared, and only the
 * owner business can share an asset on; Graph answers either with a permission error (200). That
 * is one write's refusal, not the token's: a permission-denied pauses the whole hub
 * (agent/tasks/retry-policy.ts), so every other change, removals included, would wait for an admin.
 */
describe('meta-business writes on a client asset beyond what its owner shared', () => {
  const server = listeningEmulator();
  const { emulator } = server;
  const connector = () => {
    emulator.control.seed(withClientAdAccount());
    emulator.control.setFaults({});
    return createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });
  };
  const asset = { type: 'ad_account' as const, id: CLIENT_AD_ACCOUNT };

  test('assigning tasks beyond the share (Graph: 200) fails the one task naming the ceiling, not applied; the hub is not paused', async () => {
    const c = connector();
    await assert.rejects(c.assignAsset!({ asset, userId: SANDBOX.employees[3], tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE'] }), (e: unknown) =>
      e instanceof ConnectorError && e.kind === 'invalid-argument' && e.notApplied === true && e.field === 'tasks' && e.providerCode === '200'
      && /\[MANAGE\] is beyond/.test(e.message) && /\[ADVERTISE,ANALYZE\]/.test(e.message));
  });

  test('within the share the assign is made', async () => {
    const c = connector();
    assert.equal(await c.assignAsset!({ asset, userId: SANDBOX.employees[3], tasks: ['ADVERTISE', 'ANALYZE'] }), 'done');
  });

  test('a permission error on an owned asset stays permission-denied (the token lacks a permission: the hub pauses)', async () => {
    connector();
    const denied = { error: { message: '(#200) Permissions error', type: 'OAuthException', code: 200, fbtrace_id: 'x' } };
    const refusing: typeof fetch = async (input, init) => (init?.method === 'POST' && String(input).includes('/assigned_users')
      ? new Response(JSON.stringify(denied), { status: 400, headers: { 'content-type': 'application/json' } })
      : fetch(input, init));
    const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, fetch: refusing });
    await assert.rejects(c.assignAsset!({ asset: { type: 'ad_account', id: SANDBOX.adAccounts[1] }, userId: SANDBOX.employees[3], tasks: ['ADVERTISE', 'ANALYZE'] }), (e: unknown) =>
      e instanceof ConnectorError && e.kind === 'permission-denied');
  });

  test('sharing a client asset with a partner (Graph: 200, only the owner can) fails the one task, not applied', async () => {
    const c = connector();
    await assert.rejects(c.shareAsset!({ asset, partnerBusinessId: '777000000000001', tasks: ['ADVERTISE', 'ANALYZE'] }), (e: unknown) =>
      e instanceof ConnectorError && e.kind === 'invalid-argument' && e.notApplied === true && /only the owner business can share/.test(e.message));
  });
});
