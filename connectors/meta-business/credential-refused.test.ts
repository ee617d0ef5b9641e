import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CredentialHealth } from '../sdk/hub-model.ts';
import { createMetaBusiness } from './connector.ts';
import { SANDBOX, sandboxFixture } from './emulator/index.ts';
import { listeningEmulator } from './test-emulator.ts';
import { alternativeFetch, graphError, log, type Reading } from './alternative-fetch.test-double.ts';

/**
 * Token health when Graph refuses the check. debug_token is not on Meta's business-management
 * reference pages (connector README, "Token health"), so these answers are test doubles: a
 * permission error (10, 200–299: "a permission is missing", https://developers.facebook.com/docs/graph-api/guides/error-handling)
 * said neither that the token is invalid nor which scope it lacks, yet was reported as an invalid
 * token lacking every required scope; a 190 listed every scope missing beside "not valid". Now a
 * refused debug_token falls back to the documented probe, a permission error names only the scope
 * Graph names, and the problem is one message without the token.
 */
const token = SANDBOX.token;
const managed = ['ad_account', 'page', 'catalog'] as const;
/** Graph's words, quoting the token back (as an echoing front might): the connector must not pass it on. */
const echo = (text: string) => `${text} (input_token=${token}; token ${token})`;

function noTokenIn(health: CredentialHealth): void {
  const text = JSON.stringify(health);
  for (let i = 0; i + 12 <= token.length; i++) assert.ok(!text.includes(token.slice(i, i + 12)), `token fragment at ${i} leaked: ${text}`);
}

describe('meta-business: token health when Graph refuses the token check', () => {
  const server = listeningEmulator();
  const make = (reading: Reading) => {
    server.emulator.control.seed(sandboxFixture());
    return createMetaBusiness({ businessId: SANDBOX.businessId, accessToken: token, graphBaseUrl: server.url, managedAssetTypes: [...managed] }, { log, fetch: alternativeFetch(reading) });
  };
  const debugToken = (answer: Awaited<ReturnType<Reading>>): Reading => async (op, forward) => (op.path === 'debug_token' ? answer : forward());

  test('debug_token and the probe refused for a missing business_management: that one scope, one message', async () => {
    const refusal = graphError(200, echo('(#200) Requires business_management permission to manage the object'));
    const health = await make(async (op, forward) => (op.path === 'debug_token' || op.path.endsWith('/system_users') ? refusal : forward())).checkCredential!();
    assert.equal(health.valid, false);
    assert.deepEqual(health.missingScopes, ['business_management'], 'only the scope Graph names, not every required one');
    assert.match(health.problem ?? '', /^the access token lacks business_management \(/);
    noTokenIn(health);
  });

  test('debug_token refused (#10) while the documented probe works: the token is valid, scopes unknown', async () => {
    const health = await make(debugToken(graphError(10, '(#10) Application does not have permission for this action'))).checkCredential!();
    assert.equal(health.valid, true);
    assert.deepEqual(health.missingScopes, []);
    assert.equal(health.expiryUnknown, true);
    assert.match(health.problem ?? '', /debug_token/);
  });

  test('a token refused 190: not valid, no scope claimed missing, no token in the problem', async () => {
    const health = await make(debugToken(graphError(190, echo('Invalid OAuth access token - Cannot parse access token')))).checkCredential!();
    assert.equal(health.valid, false);
    assert.deepEqual(health.missingScopes, []);
    assert.match(health.problem ?? '', /Invalid OAuth access token/);
    noTokenIn(health);
  });

  test('debug_token listing no scopes: none claimed missing, said unknown', async () => {
    const health = await make(debugToken({ status: 200, body: { data: { is_valid: true, expires_at: 0 } } })).checkCredential!();
    assert.equal(health.valid, true);
    assert.deepEqual(health.missingScopes, []);
    assert.match(health.problem ?? '', /scopes unknown/);
  });

  test('debug_token listing scopes without catalog_management: that scope named, no token', async () => {
    const body = { data: { is_valid: true, expires_at: 0, scopes: ['business_management', 'ads_management', 'pages_manage_metadata'], error: { message: echo('unused') } } };
    const health = await make(debugToken({ status: 200, body })).checkCredential!();
    assert.equal(health.valid, true);
    assert.deepEqual(health.missingScopes, ['catalog_management']);
    assert.equal(health.problem, 'the access token lacks catalog_management');
    noTokenIn(health);
  });
});
