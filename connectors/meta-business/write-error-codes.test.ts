import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toConnectorError } from './graph-errors.ts';
import { SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { createMetaBusiness } from './connector.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import { log } from './alternative-fetch.test-double.ts';

/**
 * Error codes Meta lists for the connector's writes that no other test replays: POST
 * business_users (370, 457, 613/1996; https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users),
 * POST /{asset}/assigned_users (2620, 100/1752129, 100/1752100;
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users),
 * and 17/2446079 outside the invite limit (error reference).
 */
const envelope = (code: number, subcode?: number, message = `(#${code}) x`) => ({ error: { message, type: 'OAuthException', code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: 't' } });
const inviteCtx = { what: 'meta-business: invite', businessId: '1000000000000001', isInvite: true };
const ctx = { what: 'meta-business: assign', businessId: '1000000000000001' };

describe('graph error table: documented write codes', () => {
  test('370 on an invite (listed, meaning undocumented) is a refusal: invalid-argument, never retried or taken as done', () => {
    assert.equal(toConnectorError({ status: 400, body: envelope(370) }, inviteCtx).kind, 'invalid-argument');
  });
  test('457 (session has an invalid origin) is permission-denied', () => {
    assert.equal(toConnectorError({ status: 400, body: envelope(457) }, inviteCtx).kind, 'permission-denied');
  });
  test('613/1996 (inconsistent request volume) is rate-limited like 613', () => {
    const err = toConnectorError({ status: 400, body: envelope(613, 1996) }, inviteCtx);
    assert.equal(err.kind, 'rate-limited');
    assert.ok((err.retryAfterMs ?? 0) > 0);
  });
  test('17/2446079 on an assign is the user-level limit (app scope), not the 24 h invite limit', () => {
    const err = toConnectorError({ status: 400, body: envelope(17, 2446079) }, ctx);
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.limitScope, 'app');
    assert.equal(err.retryAfterMs, 5 * 60_000);
  });
  test('2620 (invalid call to update account permissions) is invalid-argument', () => {
    assert.equal(toConnectorError({ status: 400, body: envelope(2620) }, ctx).kind, 'invalid-argument');
  });
  test('100/1752129 names tasks, 100/1752100 names user', () => {
    assert.equal(toConnectorError({ status: 400, body: envelope(100, 1752129, 'This Task Combination Is Not Supported') }, ctx).field, 'tasks');
    assert.equal(toConnectorError({ status: 400, body: envelope(100, 1752100, 'User is not business-scoped') }, ctx).field, 'user');
  });
});

describe('meta-business invite answered 370', () => {
  const server = listeningEmulator();
  test('the task fails with Meta\'s refusal, not applied; it is not taken for an invite made or already there', async () => {
    server.emulator.control.setFaults({});
    const refusing: typeof fetch = async (input, init) => (init?.method === 'POST' && String(input).includes('/business_users')
      ? new Response(JSON.stringify(envelope(370, undefined, '(#370) The request could not be completed')), { status: 400, headers: { 'content-type': 'application/json' } })
      : fetch(input, init));
    const c = createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log, fetch: refusing });
    await assert.rejects(c.invite!({ email: 'refused.370@example.com', role: 'EMPLOYEE' }), (e: unknown) =>
      e instanceof ConnectorError && e.kind === 'invalid-argument' && e.notApplied === true && e.providerCode === '370');
  });
});
