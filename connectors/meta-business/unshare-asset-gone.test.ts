import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { ConnectorError } from '../sdk/connector-error.ts';

/**
 * An ad account removed from the business between the plan and the call: Graph answers its
 * partners as a missing object (100/33) and the business no longer lists it, so no partner holds
 * it through us. Unsharing it failed as `not-found` at the read before the DELETE (a removal task
 * failed for good, while an unassign of the same asset was already-done). Still listed, 100/33
 * proves nothing and the error stands, nothing sent.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };
const server = listeningEmulator();
const asset = { type: 'ad_account' as const, id: 'act_111' };
const partner = SANDBOX.partner.businessId;

function connector(writes: string[] = []) {
  const counting = (async (input: RequestInfo | URL, init?: RequestInit) => {
    if (init?.method === 'DELETE' || (init?.method === 'POST' && !String(init.body ?? '').includes('batch='))) writes.push(`${init.method} ${String(input)}`);
    return fetch(input, init);
  }) as typeof fetch;
  return createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, fetch: counting });
}

test('unsharing an ad account the business no longer has is already-done, with no DELETE sent', async () => {
  const f = sandboxFixture();
  f.assets = f.assets.filter((a) => a.id !== asset.id);
  f.shares = f.shares.filter((s) => s.assetId !== asset.id);
  f.assignments = f.assignments.filter((a) => a.assetId !== asset.id);
  server.emulator.control.seed(f);
  const writes: string[] = [];
  assert.equal(await connector(writes).unshareAsset!({ asset, partnerBusinessId: partner }), 'already-done');
  assert.deepEqual(writes, []);
});

test('a still-listed ad account whose partners Graph will not load: the unshare fails, not applied', async () => {
  server.emulator.control.seed(sandboxFixture());
  const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, {
    log,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (String(input).includes('/act_111/agencies') && (init?.method ?? 'GET') === 'GET') {
        return new Response(JSON.stringify({ error: { message: "Unsupported get request. Object with ID 'act_111' does not exist, cannot be loaded due to missing permissions, or does not support this operation", type: 'GraphMethodException', code: 100, error_subcode: 33, fbtrace_id: 'x' } }), { status: 400, headers: { 'content-type': 'application/json' } });
      }
      return fetch(input, init);
    }) as typeof fetch,
  });
  await assert.rejects(c.unshareAsset!({ asset, partnerBusinessId: partner }), (e: unknown) => e instanceof ConnectorError && e.kind === 'not-found' && e.notApplied === true && /still lists it/.test(e.message));
  assert.ok(server.emulator.control.state().shares.some((s) => s.assetId === asset.id && s.partnerBusinessId === partner));
});
