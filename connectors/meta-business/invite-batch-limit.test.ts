import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { isConnectorError } from '../sdk/connector-error.ts';
import { log } from './alternative-fetch.test-double.ts';

/**
 * Invites sent in the same turn leave as one batch request (write-batcher.ts). A Graph that
 * answers that request as a whole with code 17 answers a request of nothing but POST
 * business_users: that is the invite limit, "resume 24 hours later"
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users).
 * Read as Graph's user-level 17 (5 min on the app scope), every call of the hub stopped for five
 * minutes and the invites were sent into the limit again every five minutes for a day, while
 * "continued calls extend the block" (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
 */
const DAY = 86_400_000;

test('a batch of invites refused as a whole with code 17: the invite limit, 24 h on the invite scope, the app not blocked', async () => {
  const server = listeningEmulator();
  await new Promise((r) => setImmediate(r));
  const limited = { error: { message: '(#17) User request limit reached', type: 'OAuthException', code: 17, fbtrace_id: 't' } };
  let batches = 0;
  const refusing: typeof fetch = async (input, init) => {
    if (init?.method === 'POST' && /\/v\d+\.\d+\/?(\?|$)/.test(new URL(String(input)).pathname + '?')) {
      batches++;
      return new Response(JSON.stringify(limited), { status: 400, headers: { 'content-type': 'application/json' } });
    }
    return fetch(input, init);
  };
  server.emulator.control.setFaults({});
  const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, fetch: refusing });
  const outcomes = await Promise.allSettled(['one@example.com', 'two@example.com'].map((email) => c.invite!({ email, role: 'EMPLOYEE', firstAttempt: true })));
  assert.equal(batches, 1, 'the two invites left as one batch');
  for (const o of outcomes) {
    assert.equal(o.status, 'rejected');
    const err = (o as PromiseRejectedResult).reason;
    assert.ok(isConnectorError(err));
    assert.equal(err.kind, 'rate-limited', err.message);
    assert.equal(err.limitScope, `invite:${SANDBOX.businessId}`);
    assert.ok((err.retryAfterMs ?? 0) > DAY - 60_000, `waits the documented 24 h: ${err.retryAfterMs}`);
  }
  assert.equal(c.rateLimits!().blockedUntil.app, undefined, 'the app scope is not blocked: other work goes on');
  assert.ok(c.rateLimits!().blockedUntil[`invite:${SANDBOX.businessId}`] > Date.now() + DAY - 60_000);
});
