/**
 * The dashboard's OIDC sign-in end to end through the router (`/ui/auth/oidc` → IdP → `/ui/auth/callback`)
 * against a small hand-made IdP whose ID token the test chooses (oidc-client.test.ts has the ID-token
 * checks; test/browser/dashboard.test.ts the real provider). Okta events about the person:
 * oidc-sign-in-okta-events.test.ts; the pending sign-in's cookie: oidc-pending-sign-in.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { parseConfig } from '../../config/load.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters } from '../../test/admin/test-server.ts';
import { createWebRouter } from './router.ts';
import { oidcWorld, silent } from './oidc-sign-in-fixtures.ts';

describe('OIDC sign-in through the dashboard router', () => {
  const w = oidcWorld();
  const { signIn, checkForUpdatesAs, start, callback, nonces, keyFile, stored, signIns } = w;

  test('an administrator whose email the IdP marks unverified is audited by subject, not by that email', async () => {
    const cookie = await signIn({ email: 'ceo@acme.example', email_verified: false, groups: ['hubwarden-admins'] }, 'code-unverified');
    assert.deepEqual(await checkForUpdatesAs(cookie), { type: 'dashboard', actor: 'oidc:person-1', detail: 'oidc' });
    const page = await (await fetch(`${w.server.url}/ui/`, { headers: { cookie } })).text();
    assert.doesNotMatch(page, /ceo@acme\.example/, 'the page does not name them by an address nobody verified');
  });

  test("an Entra token whose xms_edov says the email's domain owner is unverified (nOAuth): audited by subject, not by that email", async () => {
    const cookie = await signIn({ email: 'ceo@acme.example', xms_edov: false, groups: ['hubwarden-admins'] }, 'code-edov');
    assert.deepEqual(await checkForUpdatesAs(cookie), { type: 'dashboard', actor: 'oidc:person-1', detail: 'oidc' });
    const asString = await signIn({ email: 'ceo@acme.example', xms_edov: 'false', email_verified: true, groups: ['hubwarden-admins'] }, 'code-edov-string');
    assert.deepEqual(await checkForUpdatesAs(asString), { type: 'dashboard', actor: 'oidc:person-1', detail: 'oidc' });
    const verified = await signIn({ email: 'ceo@acme.example', xms_edov: true, groups: ['hubwarden-admins'] }, 'code-edov-true');
    assert.deepEqual(await checkForUpdatesAs(verified), { type: 'dashboard', actor: 'ceo@acme.example', detail: 'oidc' });
  });

  test('https: the state cookie is __Host- prefixed, so a sibling subdomain cannot plant one (login CSRF)', async () => {
    const config = parseConfig(`
server:
  publicUrl: https://hubwarden.example
  oidc: { issuer: "${w.issuer}", clientId: client-1, clientSecret: env:SECRET }
secrets: { keyFile: "${keyFile}" }
hubs: [{ id: acme-ads, connector: meta-business, meta: { businessId: "1" } }]
`, '/tmp/hubwarden-test/oidc.yaml', { SECRET: 'oidc-secret-for-tests' });
    const store = new MemoryStore();
    await store.open();
    const https = await serveRouters([['/ui', createWebRouter({ config, agent: new FakeAgent(), store, log: silent })]]);
    try {
      // The attacker starts a sign-in in their own browser and stops at the IdP's redirect back
      // (their code, their state); a page on another subdomain of the same site then sets a
      // cookie with that state for the whole site (Domain=example) and sends the victim to the callback.
      w.person = { email: 'attacker@acme.example', email_verified: true };
      const start = await fetch(`${https.url}/ui/auth/oidc`, { redirect: 'manual' });
      const set = start.headers.getSetCookie().find((c) => /hubwarden-oidc=/.test(c))!;
      const authorize = new URL(start.headers.get('location')!);
      nonces.set('code-attacker', authorize.searchParams.get('nonce')!);
      const state = authorize.searchParams.get('state')!;
      const planted = await fetch(`${https.url}/ui/auth/callback?code=code-attacker&state=${encodeURIComponent(state)}`, {
        redirect: 'manual', headers: { cookie: `hubwarden-oidc=${state}` },
      });
      assert.equal(planted.headers.get('location'), '/ui/sign-in?error=expired');
      assert.equal(planted.headers.getSetCookie().some((c) => /hubwarden-session=[^;]/.test(c)), false, 'the victim is not signed in as the attacker');
      assert.equal(start.headers.get('strict-transport-security'), 'max-age=31536000', 'https: browsers keep to https (RFC 6797)');
      assert.match(set, /^__Host-hubwarden-oidc=/);
      assert.match(set, /; Path=\/;/);
      assert.match(set, /; Secure/);
    } finally {
      await https.close();
    }
  });

  test('a verified email names the person in the audit log', async () => {
    const cookie = await signIn({ email: 'Ada@Acme.example', email_verified: true, groups: ['hubwarden-admins'] }, 'code-verified');
    assert.deepEqual(await checkForUpdatesAs(cookie), { type: 'dashboard', actor: 'ada@acme.example', detail: 'oidc' });
  });

  test("a sign-in records the IdP's ids of the person: the ID token's sub, and Entra's oid when sent", async () => {
    await signIn({ sub: 'pairwise-sub', oid: 'obj-cy', email: 'cy@acme.example', email_verified: true }, 'code-cy');
    const sessions = (await stored('dashboardSessions')).filter((r) => r.email === 'cy@acme.example');
    assert.equal(sessions.length, 1);
    assert.deepEqual(sessions[0]!.idpUserIds, ['pairwise-sub', 'obj-cy']);
  });

  test('a sign-in is audited: who (email and sub), how (the issuer), what it grants; never a code, token or session id', async () => {
    const cookie = await signIn({ sub: '00u-max', email: 'Max@Acme.example', email_verified: true, groups: ['hubwarden-admins', 'Sales'] }, 'code-max');
    const entry = (await signIns()).filter((e) => e.subject?.email === 'max@acme.example').at(-1)!;
    assert.equal(entry.outcome, 'ok');
    assert.deepEqual(entry.trigger, { type: 'dashboard', actor: 'max@acme.example', detail: 'oidc' });
    const { ip, ...rest } = entry.detail ?? {};
    assert.deepEqual(rest, { via: 'oidc', admin: true, issuer: new URL(w.issuer).host, sub: '00u-max', adminGroups: ['hubwarden-admins'] });
    // Where from, as a refusal says: the first thing to look at when an account is used by someone else.
    assert.match(String(ip), /^(::ffff:)?127\.0\.0\.1$/);
    const text = JSON.stringify(entry);
    const sessionId = cookie.split('=')[1]!;
    for (const secret of [sessionId, 'code-max', 'oidc-secret-for-tests', 'at-1']) assert.ok(!text.includes(secret), `the entry holds no ${secret}`);
    // Someone with no admin group: no administrator, their hub roles (none here).
    await signIn({ sub: '00u-nia', email: 'nia@acme.example', email_verified: true, groups: ['Sales'] }, 'code-nia');
    const nia = (await signIns()).filter((e) => e.subject?.email === 'nia@acme.example').at(-1)!;
    assert.deepEqual([nia.detail?.admin, nia.detail?.hubRoles], [false, {}]);
  });

  test('refused callbacks are audited by a fixed reason, the hostile text the URL carried not repeated', async () => {
    const hostile = '<script>alert(1)</script>\n{"forged":true}';
    const count = (await signIns()).length;
    // No sign-in started in this browser (a forged or replayed callback).
    const forged = await fetch(`${w.server.url}/ui/auth/callback?code=x&state=${encodeURIComponent(hostile)}`, { redirect: 'manual' });
    assert.equal(forged.headers.get('location'), '/ui/sign-in?error=expired');
    // The IdP (or someone posing as it) says no, with an error that is not an error code.
    const mine = await start(w.server.url);
    const idpNo = await fetch(`${w.server.url}/ui/auth/callback?error=${encodeURIComponent(hostile)}&state=${encodeURIComponent(mine.state)}`, { redirect: 'manual', headers: { cookie: mine.cookie } });
    assert.equal(idpNo.headers.get('location'), '/ui/sign-in?error=refused');
    const again = await start(w.server.url);
    await fetch(`${w.server.url}/ui/auth/callback?error=access_denied&state=${encodeURIComponent(again.state)}`, { redirect: 'manual', headers: { cookie: again.cookie } });
    // A wrong nonce: the ID token was minted for another sign-in.
    w.person = { email: 'ada@acme.example', email_verified: true };
    const third = await start(w.server.url);
    nonces.set('code-wrong-nonce', 'not-the-nonce');
    assert.equal((await callback(w.server.url, 'code-wrong-nonce', third.state, third.cookie)).location, '/ui/sign-in?error=failed');
    const entries = (await signIns()).slice(count);
    assert.deepEqual(entries.map((e) => [e.outcome, e.detail?.reason, e.detail?.idpError]), [
      ['failed', 'no-pending', undefined], ['failed', 'idp-refused', 'not an error code (not repeated)'], ['failed', 'idp-refused', 'access_denied'], ['failed', 'not-verified', undefined],
    ]);
    assert.ok(!JSON.stringify(entries).includes('script'), 'nothing of the hostile text is kept');
    assert.ok(entries.every((e) => e.trigger.type === 'dashboard' && e.trigger.actor === undefined && e.detail?.ip), 'by client address, naming nobody');
  });
});
