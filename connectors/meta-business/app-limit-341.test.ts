import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectorError } from '../sdk/connector-error.ts';
import { createMetaBusiness } from './connector.ts';
import { sandboxFixture, SANDBOX } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';

/**
 * Code 341 "Application limit reached" (error reference,
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/error-reference) is an
 * application-level limit like code 4 ("Application request limit reached"), and Meta's
 * rate-limiting guide (https://developers.facebook.com/docs/graph-api/overview/rate-limiting) says
 * continued calls extend a block. Read as `unavailable`, a batch sent the refused read again at
 * once and the agent retried the task within seconds; it now pauses the app's calls as code 4 does:
 * rate-limited, scope `app`, 10 min, and the batch does not send it again.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };
const APP_LIMIT_MS = 10 * 60_000;

describe('meta-business: code 341, the application limit', () => {
  const server = listeningEmulator();
  const connector = () => {
    server.emulator.control.seed(sandboxFixture());
    server.emulator.control.clearCalls();
    return createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: SANDBOX.token, graphBaseUrl: server.url }, { log });
  };
  const isAppLimit = (e: unknown) => e instanceof ConnectorError && e.kind === 'rate-limited' && e.providerCode === '341'
    && e.limitScope === 'app' && e.retryAfterMs === APP_LIMIT_MS;

  test('a call answered 341 waits like code 4: rate-limited, scope app, 10 min, and the app is blocked', async () => {
    const c = connector();
    server.emulator.control.setFaults({ throttle: { code: 341, match: 'business_users' } });
    await assert.rejects(c.listMembers!(), isAppLimit);
    assert.ok(c.rateLimits!().blockedUntil.app! - Date.now() > APP_LIMIT_MS - 60_000, 'the app scope is blocked for the limit\'s wait');
    server.emulator.control.setFaults({});
  });

  test('a read answered 341 inside a batch is not sent again at once', async () => {
    const c = connector();
    server.emulator.control.setFaults({ throttle: { code: 341, match: 'act_111/assigned_users' } });
    await assert.rejects(c.listAssignments!([{ type: 'ad_account', id: 'act_111' }]), isAppLimit);
    const asked = server.emulator.calls.filter((x) => x.path.includes('act_111/assigned_users'));
    assert.equal(asked.length, 1, 'one request into the limit, not one per batch round');
    server.emulator.control.setFaults({});
  });
});
