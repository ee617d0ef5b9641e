import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaEmulator, SANDBOX } from './emulator/index.ts';
import { createMetaBusiness } from './connector.ts';
import { isConnectorError } from '../sdk/connector-error.ts';

/**
 * Meta has no resend: a re-send is cancel + invite, and both steps are subject to the invite
 * limit, code 17, "resume 24 hours later"
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users,
 * connectors/meta-business/README.md [INF]). A 17 on cancelling is that limit: a 24 h wait on the
 * business's invite scope, not Graph's user-level limit (5 min on the whole app), which would stall
 * every task of the hub every few minutes for a day while the cancel ran into it again.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };
const DAY = 86_400_000;

test('cancelling an invite while the invite limit holds: rate-limited 24 h on the invite scope, the app not blocked', async () => {
  const emulator = createMetaEmulator({ inviteLimit: { count: 1, windowMs: DAY } });
  const server = await emulator.listen(0, '127.0.0.1');
  try {
    const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });
    const sent = await c.invite!({ email: 'fills.window@example.com', role: 'EMPLOYEE' });
    assert.equal(sent.result, 'done');
    await assert.rejects(c.cancelInvite!(sent.inviteId), (err) => {
      assert.ok(isConnectorError(err));
      assert.equal(err.kind, 'rate-limited', err.message);
      assert.equal(err.limitScope, `invite:${SANDBOX.businessId}`);
      assert.ok((err.retryAfterMs ?? 0) > DAY - 60_000, `waits the documented 24 h: ${err.retryAfterMs}`);
      return true;
    });
    assert.equal(c.rateLimits!().blockedUntil.app, undefined, 'the app scope is not blocked: other work goes on');
    // Reads and other writes go on; the invite is still pending.
    assert.equal((await c.listInvites!()).items.find((i) => i.id === sent.inviteId)?.status, 'pending');
  } finally {
    await server.close();
  }
});
