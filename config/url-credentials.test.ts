/**
 * A URL in the config (an API base URL, an IdP's, the public URL) never carries a user name or
 * password (RFC 3986 §3.2.1 userinfo): fetch refuses such a URL with an error that quotes it whole
 * (https://fetch.spec.whatwg.org/#dom-request: "includes credentials" is a TypeError), so the
 * password reached the task error, the audit log and the log lines. Refused at load, the message
 * naming the key and never the password.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from './load.ts';

const PASSWORD = 'EAAB-SECRET-123';

const configWith = (meta: string, okta = 'https://acme.okta.example') => `
server: { publicUrl: http://127.0.0.1 }
identityProviders: { okta: { kind: okta, orgUrl: "${okta}", token: env:OKTA } }
hubs:
  - id: m
    connector: meta-business
    meta: { businessId: "1", accessToken: env:T, graphBaseUrl: "${meta}" }
`;

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, '/tmp/hubwarden-test/url.yaml', { T: 'meta-token-0123456789', OKTA: 'okta-token-0123456789' });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

for (const [where, text] of [
  ['hubs[0].meta.graphBaseUrl', configWith(`https://proxy:${PASSWORD}@graph.example.com`)],
  ['identityProviders.okta.orgUrl', configWith('https://graph.facebook.com', `https://admin:${PASSWORD}@acme.okta.example`)],
  ['hubs[0].meta.graphBaseUrl', configWith(`https://${PASSWORD}@graph.example.com`)],
  // Extra slashes after the scheme: the URL parser skips them and reads the userinfo all the same.
  ['hubs[0].meta.graphBaseUrl', configWith(`https:///proxy:${PASSWORD}@graph.example.com`)],
  ['server.publicUrl', configWith('https://graph.facebook.com').replace('http://127.0.0.1', `http:////admin:${PASSWORD}@127.0.0.1`)],
  ['hubs[1].tiktok.apiBaseUrl', `${configWith('https://graph.facebook.com')}
  - id: t
    connector: tiktok-business
    tiktok: { businessCenterId: "7", accessToken: env:T, tokenUserId: "8", apiBaseUrl: "https://proxy:${PASSWORD}@business-api.tiktok.com" }
`],
] as const) {
  test(`a password or user name in ${where} is refused, and the problem does not repeat it`, () => {
    const problems = problemsOf(text);
    assert.ok(problems.some((p) => p.startsWith(`${where}:`) && /user name or password/.test(p)), problems.join('\n'));
    assert.ok(!problems.join('\n').includes(PASSWORD), problems.join('\n'));
  });
}

test('a URL without credentials is accepted (an @ in the path or query is no userinfo)', () => {
  assert.deepEqual(problemsOf(configWith('https://graph.example.com/base/@v?x=a@b')), []);
});
