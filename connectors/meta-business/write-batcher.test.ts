import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaEmulator, sandboxFixture, SANDBOX, type FaultConfig, type MetaEmulator } from './emulator/index.ts';
import { createMetaBusiness } from './connector.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { HubConnector } from '../sdk/connector.ts';

// Invites asked for at the same moment share one batch request (write-batcher.ts); each caller
// still gets its own outcome. Checked against the emulator's call log.
const log = { debug() {}, info() {}, warn() {}, error() {} };
const invitePath = `/${SANDBOX.businessId}/business_users`;

describe('writes made at the same moment share a batch request', () => {
  let emulator: MetaEmulator;
  let server: { url: string; close(): Promise<void> } | undefined;
  let c: HubConnector;
  after(() => server?.close());
  /** A fresh sandbox business (with these faults and invite limit) and a connector to it. */
  const connect = async (faults: FaultConfig = {}, options: { inviteLimit?: number } = {}) => {
    await server?.close();
    emulator = createMetaEmulator({ fixture: sandboxFixture(), faults, ...(options.inviteLimit ? { inviteLimit: { count: options.inviteLimit, windowMs: 86_400_000 } } : {}) });
    server = await emulator.listen(0, '127.0.0.1');
    c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });
  };
  const emails = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}@example.com`);
  const requests = () => emulator.calls.filter((call) => !call.batch);

  test('60 invites at once: two batch requests (50 + 10), every invite pending once, each caller told done', async () => {
    await connect();
    const results = await Promise.all(emails(60, 'burst').map((email) => c.invite!({ email, role: 'EMPLOYEE', firstAttempt: true })));
    assert.ok(results.every((r) => r.result === 'done'));
    assert.deepEqual(requests().map((r) => `${r.method} ${r.path}`), ['POST /', 'POST /']);
    const ops = emulator.calls.filter((call) => call.batch && call.path === invitePath);
    assert.equal(ops.length, 60);
    const pending = emulator.control.state().invites.filter((i) => i.email.startsWith('burst') && i.status === 'PENDING');
    assert.equal(pending.length, 60);
  });

  test('a lone invite goes out as a plain call, not a batch of one', async () => {
    await connect();
    await c.invite!({ email: 'alone@example.com', role: 'EMPLOYEE', firstAttempt: true });
    assert.deepEqual(requests().map((r) => `${r.method} ${r.path}`), [`POST ${invitePath}`]);
  });

  test('one operation throttled (code 17) fails only its caller, as rate-limited for 24 h on the invite scope; later invites are refused without calling', async () => {
    await connect({}, { inviteLimit: 2 });
    const settled = await Promise.allSettled(emails(3, 'limit').map((email) => c.invite!({ email, role: 'EMPLOYEE', firstAttempt: true })));
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'rejected']);
    const err = (settled[2] as PromiseRejectedResult).reason as ConnectorError;
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.limitScope, `invite:${SANDBOX.businessId}`);
    assert.match(err.message, /limit2@example\.com/);
    assert.equal(err.notApplied, true, 'Meta refused it: nothing was written, the retry may skip the look-up');
    const callsBefore = emulator.calls.length;
    await assert.rejects(c.invite!({ email: 'later@example.com', role: 'EMPLOYEE', firstAttempt: true }), (e: ConnectorError) => e.kind === 'rate-limited' && e.notApplied === true);
    assert.equal(emulator.calls.length, callsBefore, 'the blocked scope is honoured without a call');
  });

  test('operations the batch did not complete are unavailable (outcome unknown), never re-sent by the batcher', async () => {
    await connect({ batchTimeoutRate: 1, seed: 1 });
    const settled = await Promise.allSettled(emails(3, 'cut').map((email) => c.invite!({ email, role: 'EMPLOYEE', firstAttempt: true })));
    assert.ok(settled.every((s) => s.status === 'rejected' && (s.reason as ConnectorError).kind === 'unavailable'));
    assert.ok(settled.every((s) => (s as PromiseRejectedResult).reason.notApplied !== true), 'the outcome is unknown, not refused');
    assert.match(((settled[0] as PromiseRejectedResult).reason as Error).message, /cut0@example\.com.*outcome unknown/);
    assert.equal(requests().length, 1, 'one batch request, not retried');
  });

  test('a failed batch request fails every caller with its own invite named, and no token in any message', async () => {
    await connect({ dropRate: 1, match: '^/$' });
    const settled = await Promise.allSettled(emails(2, 'down').map((email) => c.invite!({ email, role: 'EMPLOYEE', firstAttempt: true })));
    settled.forEach((s, i) => {
      assert.equal(s.status, 'rejected');
      const e = (s as PromiseRejectedResult).reason as ConnectorError;
      assert.equal(e.kind, 'unavailable');
      assert.match(e.message, new RegExp(`down${i}@example\\.com`));
      assert.ok(!e.message.includes(SANDBOX.token));
      assert.notEqual(e.notApplied, true);
    });
  });

  test('a retry whose look-up fails sent nothing: its error is marked not applied', async () => {
    await connect({ errorRate: 1, match: 'pending_users' });
    await assert.rejects(c.invite!({ email: 'retry@example.com', role: 'EMPLOYEE' }), (e: ConnectorError) => e.kind === 'unavailable' && e.notApplied === true);
    assert.equal(emulator.calls.filter((call) => call.method === 'POST').length, 0);
  });
});
