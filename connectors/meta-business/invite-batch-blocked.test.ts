import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaEmulator, sandboxFixture, SANDBOX } from './emulator/index.ts';
import { createMetaBusiness } from './connector.ts';
import { isConnectorError } from '../sdk/connector-error.ts';

/**
 * An invite checks the invite limit before its look-up of pending invites (write/invites.ts); a
 * batch refused with code 17 meanwhile blocks `invite:<business>` for 24 h ("you should resume 24
 * hours later",
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users).
 * The invites whose look-up was still out then left in a second batch into that limit, while
 * "continued calls extend the block" (https://developers.facebook.com/docs/graph-api/overview/rate-limiting):
 * a lone invite was refused locally (GraphClient.call), a batched one was not.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };
const emulator = createMetaEmulator({ fixture: sandboxFixture(), inviteLimit: { count: 2, windowMs: 86_400_000 } });
let server: { url: string; close(): Promise<void> } | undefined;
after(() => server?.close());

test('invites whose look-up was out when the invite limit was hit are refused without calling, never sent in a batch into the limit', async () => {
  server = await emulator.listen(0, '127.0.0.1');
  // The look-ups (GET pending_users) answer only once the first batch has been answered.
  let firstBatchAnswered!: () => void;
  const answered = new Promise<void>((r) => { firstBatchAnswered = r; });
  const slowReads: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if ((init?.method ?? 'GET') === 'GET') await answered.then(() => new Promise((r) => setTimeout(r, 50)));
    return res;
  };
  const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, fetch: slowReads });
  const first = ['a', 'b', 'c'].map((tag) => c.invite!({ email: `${tag}@example.com`, role: 'EMPLOYEE', firstAttempt: true }));
  const retried = ['d', 'e'].map((tag) => c.invite!({ email: `${tag}@example.com`, role: 'EMPLOYEE', firstAttempt: false }));
  const firstSettled = await Promise.allSettled(first);
  firstBatchAnswered();
  assert.deepEqual(firstSettled.map((s) => s.status), ['fulfilled', 'fulfilled', 'rejected'], 'the limit (2) refused the third invite with 17');
  const batchesBefore = emulator.calls.filter((call) => !call.batch && call.method === 'POST').length;
  const retriedSettled = await Promise.allSettled(retried);
  for (const s of retriedSettled) {
    assert.equal(s.status, 'rejected');
    const err = (s as PromiseRejectedResult).reason;
    assert.ok(isConnectorError(err));
    assert.equal(err.kind, 'rate-limited', err.message);
    assert.equal(err.limitScope, `invite:${SANDBOX.businessId}`);
    assert.equal(err.providerCode, 'local', `refused without calling: ${err.message}`);
    assert.equal(err.notApplied, true);
  }
  assert.equal(emulator.calls.filter((call) => !call.batch && call.method === 'POST').length, batchesBefore, 'no request sent into the invite limit');
  assert.deepEqual(emulator.control.state().invites.filter((i) => /^[de]@/.test(i.email)), []);
});
