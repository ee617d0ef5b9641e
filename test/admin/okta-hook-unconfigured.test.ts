import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/load.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { createOktaHookRouter } from '../../scim-server/hooks/okta.ts';
import { FakeAgent } from './fake-agent.ts';
import { serveRouters } from './test-server.ts';

/**
 * A config with no Okta event hook secret (the shipped one) refuses every delivery 401, and Okta
 * never retries a 4xx (https://developer.okta.com/docs/concepts/event-hooks/). Its one-time
 * verification must then fail too, naming the missing key: an admin who skipped the config step
 * got "Verified" in Okta and lost every event after it.
 */
test('without an Okta eventHookSecret, Verify fails and deliveries are refused, both naming the key to set', async (t) => {
  const config = parseConfig(`
server: { adminTokens: [env:ADMIN_TOKEN] }
hubs:
  - id: acme-ads
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams: [{ group: Sales, appRole: EMPLOYEE }]
`, '/tmp/hubwarden-test/hubwarden.yaml', { ADMIN_TOKEN: 'admin-token-unconfigured-hook', META_TOKEN: 'meta' });
  const agent = new FakeAgent();
  const hook = createOktaHookRouter({ config, agent, store: new MemoryStore() });
  const server = await serveRouters([['/hooks', hook]]);
  t.after(async () => {
    hook.stop();
    await server.close();
  });

  const verify = await fetch(`${server.url}/hooks/okta`, { headers: { 'X-Okta-Verification-Challenge': 'abc-123' } });
  assert.equal(verify.status, 404);
  const problem = await verify.json();
  assert.equal(problem.verification, undefined, 'the challenge is not echoed');
  assert.match(problem.detail, /identityProviders\.<name>\.eventHookSecret/);

  const delivery = await fetch(`${server.url}/hooks/okta`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'anything' },
    body: JSON.stringify({ data: { events: [] } }),
  });
  assert.equal(delivery.status, 401);
  assert.match((await delivery.json()).detail, /no Okta event hook is configured here: set identityProviders\.<name>\.eventHookSecret/);
  assert.deepEqual(agent.writes(), []);
});
