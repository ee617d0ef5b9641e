import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from './load.ts';

/**
 * An Okta event hook secret is the whole Authorization header Okta sends with each delivery. One
 * that is an admin token (or `Bearer <admin token>`) is an admin credential in the hands of
 * whoever configures the org's event hooks: refused at load, as a SCIM token that is one is.
 */
const FILE = '/etc/hubwarden/hubwarden.yaml';
const text = (hookSecret: string) => `server: { adminTokens: [env:ADMIN_TOKEN, env:OPS_TOKEN] }
identityProviders:
  okta: { kind: okta, orgUrl: https://acme.okta.example, eventHookSecret: ${hookSecret} }
hubs:
  - id: meta-main
    connector: meta-business
    meta: { businessId: "1234567890" }
`;

function problemsOf(config: string, env: NodeJS.ProcessEnv): string[] {
  try {
    parseConfig(config, FILE, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  return [];
}

const expected = 'identityProviders.okta.eventHookSecret: the same token as server.adminTokens[1]; an event hook secret must differ from every admin token (whoever sets up the event hook could call the admin API with it)';

test('an Okta event hook secret that is an admin token, by reference or by value, with or without "Bearer ": refused, naming both paths and never the token', () => {
  const env = { ADMIN_TOKEN: 'a-long-admin-secret', OPS_TOKEN: 'ops-admin-secret-123' };
  assert.deepEqual(problemsOf(text('env:OPS_TOKEN'), env), [expected]);
  assert.deepEqual(problemsOf(text('env:HOOK'), { ...env, HOOK: 'ops-admin-secret-123' }), [expected]);
  const bearer = problemsOf(text('env:HOOK'), { ...env, HOOK: 'Bearer ops-admin-secret-123' });
  assert.deepEqual(bearer, [expected]);
  assert.ok(!bearer.join('\n').includes('ops-admin-secret'), 'the token is not in the message');
  // A secret of its own still loads.
  assert.deepEqual(problemsOf(text('env:HOOK'), { ...env, HOOK: 'a-hook-secret-of-its-own' }), []);
});
