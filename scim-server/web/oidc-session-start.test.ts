/**
 * What an OIDC sign-in leaves in the browser (OWASP Session Management Cheat Sheet,
 * https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html): a new
 * session id however the browser arrived (no fixation), the cookie's attributes on https, and a
 * return path that stays on the dashboard whatever `next` the link carried (RFC 9700 §4.11, open
 * redirectors). safeNext's own cases: dashboard-parts.test.ts; CSRF on every route: test/admin/route-guards.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { parseConfig } from '../../config/load.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters } from '../../test/admin/test-server.ts';
import { createWebRouter } from './router.ts';
import { oidcWorld, silent } from './oidc-sign-in-fixtures.ts';

describe('OIDC sign-in: the session it starts and where it returns to', () => {
  const w = oidcWorld();
  const admin = { email: 'boss@acme.example', email_verified: true, groups: ['hubwarden-admins'] };
  const hubsStatus = async (cookie: string) => (await fetch(`${w.server.url}/ui/api/v1/hubs`, { headers: { cookie } })).status;

  test('a browser that already holds a session (its own, or one an attacker planted) gets a new id; the old one ends on the server', async () => {
    const planted = await w.signIn(admin, 'code-fixation-1');
    assert.equal(await hubsStatus(planted), 200);
    w.person = admin;
    const { cookie, state, nonce } = await w.start(w.server.url);
    w.nonces.set('code-fixation-2', nonce);
    const back = await w.callback(w.server.url, 'code-fixation-2', state, `${cookie}; ${planted}`);
    assert.equal(back.location, '/ui/');
    const fresh = back.session!.split(';')[0]!;
    assert.notEqual(fresh, planted);
    assert.equal(await hubsStatus(fresh), 200);
    assert.equal(await hubsStatus(planted), 401, 'the id the browser brought is no session any more');
  });

  test('the session cookie of a sign-in over https: __Host-, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain, no Max-Age', async () => {
    const config = parseConfig(`
server:
  publicUrl: https://hubwarden.example
  oidc: { issuer: "${w.issuer}", clientId: client-1, clientSecret: env:SECRET, allowedGroups: [hubwarden-admins] }
secrets: { keyFile: "${w.keyFile}" }
hubs: [{ id: acme-ads, connector: meta-business, meta: { businessId: "1" } }]
`, '/tmp/hubwarden-test/oidc.yaml', { SECRET: 'oidc-secret-for-tests' });
    const store = new MemoryStore();
    await store.open();
    const https = await serveRouters([['/ui', createWebRouter({ config, agent: new FakeAgent(), store, log: silent })]]);
    try {
      w.person = admin;
      const start = await fetch(`${https.url}/ui/auth/oidc`, { redirect: 'manual' });
      const pending = start.headers.getSetCookie().find((c) => c.startsWith('__Host-hubwarden-oidc='))!.split(';')[0]!;
      const authorize = new URL(start.headers.get('location')!);
      w.nonces.set('code-https', authorize.searchParams.get('nonce')!);
      const back = await fetch(`${https.url}/ui/auth/callback?code=code-https&state=${encodeURIComponent(authorize.searchParams.get('state')!)}`, { redirect: 'manual', headers: { cookie: pending } });
      const set = back.headers.getSetCookie().find((c) => /^__Host-hubwarden-session=[^;]/.test(c));
      assert.ok(set, back.headers.getSetCookie().join(' | '));
      const attributes = set.split(';').slice(1).map((a) => a.trim()).sort();
      // A session cookie (no Max-Age, no Expires): the server ends it (30 min idle, 12 h), the browser forgets it on closing.
      assert.deepEqual(attributes, ['HttpOnly', 'Path=/', 'SameSite=Lax', 'Secure']);
      const hubs = await fetch(`${https.url}/ui/api/v1/hubs`, { headers: { cookie: set.split(';')[0]! } });
      assert.equal(hubs.status, 200);
      const unprefixed = await fetch(`${https.url}/ui/api/v1/hubs`, { headers: { cookie: set.split(';')[0]!.replace(/^__Host-/, '') } });
      assert.equal(unprefixed.status, 401, 'over https only the prefixed name is read (a sibling subdomain can set the other)');
    } finally {
      await https.close();
    }
  });

  test('a hostile return path (`next`) never takes the person off the dashboard after sign-in', async () => {
    const hostile = [
      '//evil.example/ui/', '/\\evil.example/', 'https://evil.example/ui/', '/%2F%2Fevil.example', '%2F%2Fevil.example',
      '/ui/%2e%2e/metrics', '/ui/.%2E/api/v1/openapi.json', '/ui/.\t./metrics', '/\t/evil.example', '/ui/\\..\\metrics',
      '/ui/%5c%2e%2e%5cmetrics', 'javascript:alert(1)', '/ui/\r\nSet-Cookie: x=1', ' //evil.example',
    ];
    const base = 'https://hubwarden.test';
    for (const [i, next] of hostile.entries()) {
      w.person = admin;
      const { cookie, state, nonce } = await w.start(w.server.url, next);
      w.nonces.set(`code-next-${i}`, nonce);
      const back = await w.callback(w.server.url, `code-next-${i}`, state, cookie);
      assert.ok(back.session, `signed in (${JSON.stringify(next)})`);
      // Where a browser goes (the WHATWG URL parser, as it resolves Location: RFC 9110 §10.2.2).
      const target = new URL(back.location!, base);
      assert.equal(target.origin, base, `${JSON.stringify(next)} → ${back.location}`);
      assert.match(target.pathname, /^\/ui(\/|$)/, `${JSON.stringify(next)} → ${back.location}`);
    }
  });

  test('a cross-site form post (text/plain or urlencoded, no custom header) with the session cookie changes nothing without the token', async () => {
    const cookie = await w.signIn(admin, 'code-form-post');
    const url = `${w.server.url}/ui/api/v1/hubs/acme-ads/check-for-updates`;
    for (const [type, body] of [['text/plain', '{"_csrf":"x"}'], ['application/x-www-form-urlencoded', '_csrf=x'], ['multipart/form-data; boundary=b', '--b--']]) {
      // No Origin: the browser may leave it out; the synchronizer token is what is required.
      const res = await fetch(url, { method: 'POST', headers: { cookie, 'content-type': type }, body });
      assert.equal(res.status, 403, type);
    }
  });
});
