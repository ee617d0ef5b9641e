import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from './load.ts';
import { describeGovernanceChanges, governanceView } from './governance.ts';

/**
 * `server.adminTokens` entries scoped to some hubs (`{ token, hubs }`): checked at load as the
 * rest of the config is, each problem naming its path, and shown with their scope in the
 * governance diff of admin access.
 */
const FILE = '/etc/hubwarden/hubwarden.yaml';
const ENV = { ADMIN_TOKEN: 'a-long-admin-secret', PORTAL: 'portal-admin-secret', HOOK: 'a-hook-secret-of-its-own' };
const text = (tokens: string, hook = '') => `server: { adminTokens: ${tokens} }
identityProviders:
  okta: { kind: okta, orgUrl: https://acme.okta.example${hook} }
hubs:
  - { id: acme, connector: meta-business, meta: { businessId: "1234567890" } }
  - { id: beta, connector: meta-business, meta: { businessId: "2234567890" } }
`;

function problemsOf(config: string, env: NodeJS.ProcessEnv = ENV): string[] {
  try {
    parseConfig(config, FILE, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  return [];
}

test('a token scoped to configured hubs loads beside a token of every hub', () => {
  const config = parseConfig(text('[env:ADMIN_TOKEN, { token: env:PORTAL, hubs: [beta] }]'), FILE, ENV);
  assert.deepEqual(config.file.server.adminTokens, ['env:ADMIN_TOKEN', { token: 'env:PORTAL', hubs: ['beta'] }]);
  assert.equal(config.secret('env:PORTAL').reveal(), 'portal-admin-secret');
});

test('a scope naming no hub, a hub twice, or no hub at all, or an entry of another shape: refused, naming the path', () => {
  assert.deepEqual(problemsOf(text('[{ token: env:PORTAL, hubs: [acme, gamma] }]')), ['server.adminTokens[0].hubs[1]: no hub with id "gamma" under hubs']);
  assert.deepEqual(problemsOf(text('[{ token: env:PORTAL, hubs: [beta, beta] }]')), ['server.adminTokens[0].hubs[1]: hub "beta" is named twice']);
  assert.deepEqual(problemsOf(text('[{ token: env:PORTAL, hubs: [] }]')), ['server.adminTokens[0].hubs: expected at least one hub id (a token of every hub is written as the secret reference alone)']);
  assert.deepEqual(problemsOf(text('[{ token: env:PORTAL }]')), ['server.adminTokens[0]: expected a secret reference (env:NAME or file:PATH) or { token: <secret reference>, hubs: [<hub id>, …] }']);
  assert.deepEqual(problemsOf(text('[{ token: inline-s3cret, hubs: [acme] }]')), ['server.adminTokens[0].token: expected a secret reference, env:NAME or file:PATH']);
  assert.deepEqual(problemsOf(text('[{ token: env:PORTAL, hubs: [acme], hub: beta }]')), ['server.adminTokens[0].hub: unknown key (did you mean hubs?)']);
});

test('a scoped token is checked as any admin token: its characters, and reuse as an event hook secret', () => {
  assert.deepEqual(problemsOf(text('[{ token: env:PORTAL, hubs: [acme] }]'), { ...ENV, PORTAL: 'portal secret' }).map((p) => p.replace(/ \(U\+.*/, '')),
    ['server.adminTokens[0].token: env:PORTAL holds a space']);
  assert.deepEqual(problemsOf(text('[env:ADMIN_TOKEN, { token: env:PORTAL, hubs: [acme] }]', ', eventHookSecret: env:HOOK'), { ...ENV, HOOK: 'Bearer portal-admin-secret' }),
    ['identityProviders.okta.eventHookSecret: the same token as server.adminTokens[1].token; an event hook secret must differ from every admin token (whoever sets up the event hook could call the admin API with it)']);
});

test('the governance diff of admin access shows a scope given, widened and taken away', () => {
  const view = (tokens: string) => governanceView(parseConfig(text(tokens), FILE, ENV).file);
  const every = view('[env:ADMIN_TOKEN]');
  const one = view('[env:ADMIN_TOKEN, { token: env:PORTAL, hubs: [beta] }]');
  const two = view('[env:ADMIN_TOKEN, { token: env:PORTAL, hubs: [beta, acme] }]');
  assert.deepEqual(describeGovernanceChanges(every, one), ['server.adminTokens: [env:ADMIN_TOKEN] → [env:ADMIN_TOKEN, env:PORTAL (hubs beta)]']);
  assert.deepEqual(describeGovernanceChanges(one, two), ['server.adminTokens: [env:ADMIN_TOKEN, env:PORTAL (hubs beta)] → [env:ADMIN_TOKEN, env:PORTAL (hubs acme, beta)]']);
  assert.deepEqual(describeGovernanceChanges(two, view('[env:ADMIN_TOKEN, env:PORTAL]')), ['server.adminTokens: [env:ADMIN_TOKEN, env:PORTAL (hubs acme, beta)] → [env:ADMIN_TOKEN, env:PORTAL]']);
});
