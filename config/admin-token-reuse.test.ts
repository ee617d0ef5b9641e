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

test('during a rotation (eventHookSecret as a list of two), each secret is checked as the single one is', () => {
  const env = { ADMIN_TOKEN: 'a-long-admin-secret', OPS_TOKEN: 'ops-admin-secret-123', OLD: 'old-hook-secret', NEW: 'new-hook-secret' };
  assert.deepEqual(problemsOf(text('[env:OLD, env:NEW]'), env), [], 'two secrets of its own load');
  assert.deepEqual(problemsOf(text('[env:OLD, env:HOOK]'), { ...env, HOOK: 'Bearer ops-admin-secret-123' }), [
    'identityProviders.okta.eventHookSecret[1]: the same token as server.adminTokens[1]; an event hook secret must differ from every admin token (whoever sets up the event hook could call the admin API with it)',
  ]);
  assert.ok(problemsOf(text('[env:A, env:B, env:C]'), { ...env, A: 'a-hook', B: 'b-hook', C: 'c-hook' }).some((p) => p.startsWith('identityProviders.okta.eventHookSecret')), 'three are refused: one old and one new');
  const twice = "identityProviders.okta.eventHookSecret[1]: the same secret as identityProviders.okta.eventHookSecret[0]; a rotation's two event hook secrets must differ (the old one and the new one)";
  assert.deepEqual(problemsOf(text('[env:OLD, env:OLD]'), env), [twice], 'the same secret reference twice');
  assert.deepEqual(problemsOf(text('[env:OLD, env:HOOK]'), { ...env, HOOK: 'old-hook-secret' }), [twice], 'the same value twice');
  assert.ok(problemsOf(text('[]'), env).some((p) => p.startsWith('identityProviders.okta.eventHookSecret')), 'an empty list is refused');
});

test("an Okta event hook secret that is a hub's SCIM token (or Bearer and it) is refused, naming both paths and never the token", () => {
  const withScim = (hookSecret: string) => text(hookSecret).replace('meta: { businessId: "1234567890" }', 'meta: { businessId: "1234567890" }\n    scim: { tokens: [env:SCIM] }');
  const env = { ADMIN_TOKEN: 'a-long-admin-secret', OPS_TOKEN: 'ops-admin-secret-123', SCIM: 'scim-token-of-hub', OLD: 'old-hook-secret' };
  const expected = 'identityProviders.okta.eventHookSecret[1]: the same token as hubs[0].scim.tokens[0]; an event hook secret must differ from every SCIM token (whoever holds the SCIM token could send event hook deliveries)';
  const problems = problemsOf(withScim('[env:OLD, env:HOOK]'), { ...env, HOOK: 'Bearer scim-token-of-hub' });
  assert.deepEqual(problems, [expected]);
  assert.ok(!problems.join('\n').includes('scim-token-of-hub'), 'the token is not in the message');
  assert.deepEqual(problemsOf(withScim('env:SCIM'), env), [expected.replace('eventHookSecret[1]', 'eventHookSecret')], 'by reference, single form');
});

test("two orgs: a secret of one org's rotation list that is the other's is refused", () => {
  const two = `server: { adminTokens: [env:ADMIN_TOKEN] }
identityProviders:
  okta-a: { kind: okta, orgUrl: https://a.okta.example, eventHookSecret: [env:A_OLD, env:A_NEW] }
  okta-b: { kind: okta, orgUrl: https://b.okta.example, eventHookSecret: env:B }
hubs:
  - id: meta-main
    connector: meta-business
    meta: { businessId: "1234567890" }
`;
  const env = { ADMIN_TOKEN: 'a-long-admin-secret', A_OLD: 'a-old', A_NEW: 'shared', B: 'shared' };
  assert.deepEqual(problemsOf(two, env), ['identityProviders.okta-b.eventHookSecret: the same secret as identityProviders.okta-a.eventHookSecret[1]; each Okta org needs its own event hook secret (a delivery is told apart by it, and one org\'s events would be taken as the other\'s)']);
});
