import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaEmulator, SANDBOX } from './emulator/index.ts';
import { createMetaBusiness } from './connector.ts';

/**
 * Removing someone from an asset who lost their tasks there after the connector's read (another
 * removal won the race): Meta documents no answer for that DELETE, and the strict emulator refuses
 * it with (#100) (README [INF]). The state asked for holds, so the removal is already-done once a
 * re-read agrees, never an invalid-argument that fails the task for good.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };

test('unassign racing another removal: Graph refuses the second DELETE (#100); a re-read shows them gone → already-done', async () => {
  const emulator = createMetaEmulator();
  const server = await emulator.listen(0, '127.0.0.1');
  let raced = 0;
  // The first DELETE the connector sends is preceded by the same DELETE made by hand.
  const racing: typeof fetch = async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (init?.method === 'DELETE' && url.pathname.endsWith('/assigned_users') && raced++ === 0) {
      const byHand = await fetch(url, { method: 'DELETE' });
      assert.equal(byHand.status, 200);
    }
    return fetch(input, init);
  };
  try {
    const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, fetch: racing });
    const asset = { type: 'ad_account' as const, id: 'act_111' };
    const someone = (await c.listAssignments!([asset])).find((a) => a.userType === 'member' && a.userId !== SANDBOX.systemUserId)!;
    assert.ok(someone, 'the sandbox has a person on act_111');
    assert.equal(await c.unassignAsset!({ asset, userId: someone.userId }), 'already-done');
    assert.equal(raced, 1);
    const refused = emulator.calls.filter((call) => call.method === 'DELETE' && call.path === '/act_111/assigned_users' && call.code === 100);
    assert.equal(refused.length, 1, 'Graph refused the second removal');
  } finally {
    await server.close();
  }
});

test('unshare racing another unshare: Graph refuses the second DELETE (#100); a re-read shows the share gone → already-done', async () => {
  const emulator = createMetaEmulator();
  const server = await emulator.listen(0, '127.0.0.1');
  let raced = 0;
  const racing: typeof fetch = async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (init?.method === 'DELETE' && url.pathname.endsWith('/agencies') && raced++ === 0) {
      assert.equal((await fetch(url, { method: 'DELETE' })).status, 200);
    }
    return fetch(input, init);
  };
  try {
    const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, fetch: racing });
    // act_111 is shared with the sandbox partner (emulator README).
    assert.equal(await c.unshareAsset!({ asset: { type: 'ad_account', id: 'act_111' }, partnerBusinessId: SANDBOX.partner.businessId }), 'already-done');
    assert.equal(raced, 1);
    assert.equal(emulator.calls.filter((call) => call.method === 'DELETE' && call.path === '/act_111/agencies' && call.code === 100).length, 1);
  } finally {
    await server.close();
  }
});
