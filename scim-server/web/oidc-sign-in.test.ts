/**
 * The dashboard's OIDC sign-in end to end through the router (`/ui/auth/oidc` → IdP → `/ui/auth/callback`)
 * against a small hand-made IdP whose ID token the test chooses (oidc-client.test.ts has the ID-token
 * checks; test/browser/dashboard.test.ts the real provider).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { parseConfig } from '../../config/load.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters, type TestServer } from '../../test/admin/test-server.ts';
import { createWebRouter } from './router.ts';

const silent = { info() {}, warn() {}, error() {} };

/** What the next ID token says about the person. */
interface Person { email?: string; email_verified?: boolean; groups?: string[] }

describe('OIDC sign-in through the dashboard router', () => {
  let idp: Server;
  let issuer: string;
  let server: TestServer;
  let agent: FakeAgent;
  let person: Person = {};
  const nonces = new Map<string, string>();
  let key: CryptoKeyPair;
  let jwk: JWK;

  before(async () => {
    key = await generateKeyPair('RS256');
    jwk = { ...(await exportJWK(key.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    idp = createServer(async (req, res) => {
      const json = (body: unknown) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
      if (req.url === '/.well-known/openid-configuration') {
        return json({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, scopes_supported: ['openid', 'email', 'groups'] });
      }
      if (req.url === '/jwks') return json({ keys: [jwk] });
      if (req.url === '/token') {
        let body = '';
        for await (const chunk of req) body += chunk;
        const code = new URLSearchParams(body).get('code') ?? '';
        const idToken = await new SignJWT({ nonce: nonces.get(code), ...person }).setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setSubject('person-1').setIssuer(issuer).setAudience('client-1').setIssuedAt().setExpirationTime('5m').sign(key.privateKey);
        return json({ id_token: idToken, access_token: 'at-1', token_type: 'Bearer' });
      }
      res.writeHead(404).end();
    });
    idp.listen(0, '127.0.0.1');
    await new Promise((r) => idp.once('listening', r));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    const config = parseConfig(`
server:
  publicUrl: http://hubwarden.test
  oidc: { issuer: "${issuer}", clientId: client-1, clientSecret: env:SECRET, allowedGroups: [hubwarden-admins] }
hubs: [{ id: acme-ads, connector: meta-business, meta: { businessId: "1" } }]
`, '/tmp/hubwarden-test/oidc.yaml', { SECRET: 'oidc-secret-for-tests' });
    const store = new MemoryStore();
    await store.open();
    agent = new FakeAgent();
    server = await serveRouters([['/ui', createWebRouter({ config, agent, store, log: silent })]]);
  });
  after(async () => {
    await server.close();
    idp.closeAllConnections();
    await new Promise((r) => idp.close(r));
  });

  /** Starts a sign-in, lets the IdP answer for `who`, and returns the session cookie. */
  async function signIn(who: Person, code: string): Promise<string> {
    person = who;
    const start = await fetch(`${server.url}/ui/auth/oidc?next=/ui/`, { redirect: 'manual' });
    assert.equal(start.status, 303);
    const authorize = new URL(start.headers.get('location')!);
    nonces.set(code, authorize.searchParams.get('nonce')!);
    const state = authorize.searchParams.get('state')!;
    const stateCookie = start.headers.getSetCookie().find((c) => c.startsWith('hubwarden-oidc='))!.split(';')[0]!;
    const back = await fetch(`${server.url}/ui/auth/callback?code=${code}&state=${encodeURIComponent(state)}`, { redirect: 'manual', headers: { cookie: stateCookie } });
    assert.equal(back.headers.get('location'), '/ui/');
    return back.headers.getSetCookie().find((c) => c.startsWith('hubwarden-session=') && !c.includes('Max-Age=0'))!.split(';')[0]!;
  }

  async function checkForUpdatesAs(cookie: string) {
    const page = await (await fetch(`${server.url}/ui/`, { headers: { cookie } })).text();
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)![1]!;
    const res = await fetch(`${server.url}/ui/api/v1/hubs/acme-ads/check-for-updates`, {
      method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}',
    });
    assert.equal(res.status, 202);
    return agent.writes().filter((w) => w.method === 'checkForUpdates').at(-1)!.args.at(-1);
  }

  test('an administrator whose email the IdP marks unverified is audited by subject, not by that email', async () => {
    const cookie = await signIn({ email: 'ceo@acme.example', email_verified: false, groups: ['hubwarden-admins'] }, 'code-unverified');
    assert.deepEqual(await checkForUpdatesAs(cookie), { type: 'dashboard', actor: 'oidc:person-1', detail: 'oidc' });
    const page = await (await fetch(`${server.url}/ui/`, { headers: { cookie } })).text();
    assert.doesNotMatch(page, /ceo@acme\.example/, 'the page does not name them by an address nobody verified');
  });

  test('https: the state cookie is __Host- prefixed, so a sibling subdomain cannot plant one (login CSRF)', async () => {
    const config = parseConfig(`
server:
  publicUrl: https://hubwarden.example
  oidc: { issuer: "${issuer}", clientId: client-1, clientSecret: env:SECRET }
hubs: [{ id: acme-ads, connector: meta-business, meta: { businessId: "1" } }]
`, '/tmp/hubwarden-test/oidc.yaml', { SECRET: 'oidc-secret-for-tests' });
    const store = new MemoryStore();
    await store.open();
    const https = await serveRouters([['/ui', createWebRouter({ config, agent: new FakeAgent(), store, log: silent })]]);
    try {
      // The attacker starts a sign-in in their own browser and stops at the IdP's redirect back
      // (their code, their state); a page on another subdomain of the same site then sets a
      // cookie with that state for the whole site (Domain=example) and sends the victim to the callback.
      person = { email: 'attacker@acme.example', email_verified: true };
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
});
