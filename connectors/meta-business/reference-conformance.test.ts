import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetaEmulator, SANDBOX } from './emulator/index.ts';
import { createMetaBusiness } from './connector.ts';

/**
 * The connector against a Graph front that serves only what Meta's business-management reference
 * pages list: features must not depend on an endpoint those pages do not have.
 */
const log = { debug() {}, info() {}, warn() {}, error() {} };

/** A fetch that answers `path` as Graph answers a path it does not know (2500), the rest as the emulator does. */
function withoutPath(path: RegExp): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (path.test(url.pathname)) {
      const body = { error: { message: `Unknown path components: ${url.pathname.replace(/^\/v\d+\.\d+/, '')}`, type: 'OAuthException', code: 2500, fbtrace_id: 'AbCdEf' } };
      return new Response(JSON.stringify(body), { status: 400, headers: { 'content-type': 'application/json' } });
    }
    return fetch(input, init);
  };
}

test('token health without debug_token: a documented read says whether the token works; expiry and scopes stay unknown', async () => {
  const emulator = createMetaEmulator();
  const server = await emulator.listen(0, '127.0.0.1');
  try {
    const make = (accessToken: string) => createMetaBusiness(
      { businessId: SANDBOX.businessId, accessToken, graphBaseUrl: server.url, managedAssetTypes: ['ad_account', 'page'] },
      { log, fetch: withoutPath(/\/debug_token$/) },
    );
    const health = await make(SANDBOX.token).checkCredential!();
    assert.equal(health.valid, true, 'a working token is not reported invalid because debug_token is missing');
    assert.equal(health.expiresAt, undefined);
    assert.deepEqual(health.missingScopes, [], 'no scope is claimed missing without knowing');
    assert.match(health.problem ?? '', /debug_token/);
    const bad = await make('not-a-token').checkCredential!();
    assert.equal(bad.valid, false, 'a token Graph refuses (190) is still reported invalid');
  } finally {
    await server.close();
  }
});
