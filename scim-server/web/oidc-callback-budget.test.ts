/**
 * The OIDC callback's budget of refused code exchanges (scim-server/auth-failures.ts
 * OIDC_EXCHANGES): a pending-sign-in cookie is anyone's for the asking, and each callback with a
 * code made hubwarden call the IdP's token endpoint as its client, so a loop replaying one cookie
 * spent the IdP's rate limit for everybody's sign-ins.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { parseConfig } from '../../config/load.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { OIDC_EXCHANGES } from '../auth-failures.ts';
import { createWebRouter } from './router.ts';

const silent = { info() {}, warn() {}, error() {} };

describe('OIDC callback: refused code exchanges per client address', () => {
  let idp: Server;
  let issuer: string;
  let key: CryptoKeyPair;
  let jwk: JWK;
  /** Token endpoint calls, and how it answers: `refuse` (invalid_grant but for `good`), or `drop` the connection. */
  let tokenCalls = 0;
  let mode: 'refuse' | 'drop' = 'refuse';
  /** The IdP's JWKS endpoint answering 503. */
  let jwksDown = false;
  const good = new Map<string, string>(); // code → nonce
  const keyFile = join(mkdtempSync(join(tmpdir(), 'hubwarden-oidc-budget-')), 'hubwarden.key');

  before(async () => {
    key = await generateKeyPair('RS256');
    jwk = { ...(await exportJWK(key.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    idp = createServer(async (req, res) => {
      const json = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
      if (req.url === '/.well-known/openid-configuration') return json(200, { issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks` });
      if (req.url === '/jwks') return jwksDown ? json(503, { error: 'temporarily_unavailable' }) : json(200, { keys: [jwk] });
      if (req.url === '/token') {
        tokenCalls++;
        if (mode === 'drop') return void req.socket.destroy();
        let body = '';
        for await (const chunk of req) body += chunk;
        const code = new URLSearchParams(body).get('code') ?? '';
        // RFC 6749 §5.2: a code the IdP never issued (or already redeemed).
        if (!good.has(code)) return json(400, { error: 'invalid_grant' });
        const idToken = await new SignJWT({ nonce: good.get(code), email: 'ada@acme.example', email_verified: true }).setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setSubject('person-1').setIssuer(issuer).setAudience('client-1').setIssuedAt().setExpirationTime('5m').sign(key.privateKey);
        return json(200, { id_token: idToken, access_token: 'at-1', token_type: 'Bearer' });
      }
      res.writeHead(404).end();
    });
    idp.listen(0, '127.0.0.1');
    await new Promise((r) => idp.once('listening', r));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  });
  after(async () => {
    idp.closeAllConnections();
    await new Promise((r) => idp.close(r));
  });

  /** A replica behind a proxy (`trust proxy`, so X-Forwarded-For is the client address), over `store`. */
  async function replica(store: MemoryStore) {
    const config = parseConfig(`
server:
  publicUrl: http://hubwarden.test
  oidc: { issuer: "${issuer}", clientId: client-1, clientSecret: env:SECRET }
secrets: { keyFile: "${keyFile}" }
hubs: [{ id: acme-ads, connector: meta-business, meta: { businessId: "1" } }]
`, '/tmp/hubwarden-test/oidc-budget.yaml', { SECRET: 'oidc-secret-for-tests' });
    const app = express();
    app.set('trust proxy', true);
    app.use('/ui', createWebRouter({ config, agent: new FakeAgent(), store, log: silent }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    return {
      async start(ip: string) {
        const res = await fetch(`${url}/ui/auth/oidc`, { redirect: 'manual', headers: from(ip) });
        const authorize = new URL(res.headers.get('location')!);
        const cookie = res.headers.getSetCookie().find((c) => c.startsWith('hubwarden-oidc='))!.split(';')[0]!;
        return { cookie, state: authorize.searchParams.get('state')!, nonce: authorize.searchParams.get('nonce')! };
      },
      callback: (ip: string, p: { cookie: string; state: string }, code: string) =>
        fetch(`${url}/ui/auth/callback?code=${code}&state=${encodeURIComponent(p.state)}`, { redirect: 'manual', headers: { ...from(ip), cookie: p.cookie } }),
      page: async (path: string) => (await fetch(`${url}${path}`)).text(),
      close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
    };
  }

  test('one pending cookie replayed with made-up codes reaches the token endpoint at most the budget; another address still signs in', async () => {
    mode = 'refuse';
    const store = new MemoryStore();
    await store.open();
    const web = await replica(store);
    try {
      const pending = await web.start('203.0.113.7');
      tokenCalls = 0;
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) {
        const res = await web.callback('203.0.113.7', pending, `made-up-${i}`);
        statuses.push(res.status);
        if (res.status === 429) assert.ok(Number(res.headers.get('retry-after')) > 0, 'Retry-After says when');
        else assert.equal(res.headers.get('location'), '/ui/sign-in?error=failed');
      }
      assert.equal(tokenCalls, OIDC_EXCHANGES.maxFailures, 'the IdP is asked only within the budget (it was asked 25 times)');
      assert.deepEqual(statuses, [...Array(10).fill(303), ...Array(15).fill(429)]);

      // Someone else, from another address: their own sign-in is not refused.
      const mine = await web.start('198.51.100.9');
      good.set('code-ada', mine.nonce);
      const ok = await web.callback('198.51.100.9', mine, 'code-ada');
      assert.equal(ok.headers.get('location'), '/ui/');
      assert.ok(ok.headers.getSetCookie().some((c) => /^hubwarden-session=[^;]/.test(c)), 'signed in');
    } finally {
      await web.close();
    }
  });

  test('two replicas over one store share the budget', async () => {
    mode = 'refuse';
    const store = new MemoryStore();
    await store.open();
    const [a, b] = [await replica(store), await replica(store)];
    try {
      const pending = await a.start('203.0.113.8');
      tokenCalls = 0;
      for (let i = 0; i < 8; i++) await a.callback('203.0.113.8', pending, `a-${i}`);
      for (let i = 0; i < 8; i++) await b.callback('203.0.113.8', pending, `b-${i}`);
      assert.equal(tokenCalls, OIDC_EXCHANGES.maxFailures);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('an IdP that cannot be reached spends nothing: its outage does not outlast it', async () => {
    mode = 'drop';
    const store = new MemoryStore();
    await store.open();
    const web = await replica(store);
    try {
      const pending = await web.start('203.0.113.9');
      for (let i = 0; i < 15; i++) {
        const res = await web.callback('203.0.113.9', pending, `during-outage-${i}`);
        assert.equal(res.headers.get('location'), '/ui/sign-in?error=failed', `callback ${i}: the sign-in failed, not 429`);
      }
      mode = 'refuse';
      const mine = await web.start('203.0.113.9');
      good.set('code-after', mine.nonce);
      assert.equal((await web.callback('203.0.113.9', mine, 'code-after')).headers.get('location'), '/ui/', 'signs in once the IdP is back');
    } finally {
      await web.close();
    }
  });

  test('the IdP\'s signing keys cannot be read: the sign-in says so and counts nothing against the budget', async () => {
    mode = 'refuse';
    jwksDown = true;
    const store = new MemoryStore();
    await store.open();
    const web = await replica(store);
    try {
      const pending = await web.start('203.0.113.10');
      good.set('code-keys-down', pending.nonce);
      for (let i = 0; i < OIDC_EXCHANGES.maxFailures + 5; i++) {
        const res = await web.callback('203.0.113.10', pending, 'code-keys-down');
        assert.equal(res.headers.get('location'), '/ui/sign-in?error=keys-unavailable', `callback ${i}: keys not available, not a refused sign-in nor 429`);
      }
      assert.match(await web.page('/ui/sign-in?error=keys-unavailable'), /signing keys cannot be read right now[^<]*try again/);
      // The budget of the address is whole: made-up codes still reach the token endpoint the budget's number of times.
      tokenCalls = 0;
      const statuses: number[] = [];
      for (let i = 0; i < OIDC_EXCHANGES.maxFailures + 1; i++) statuses.push((await web.callback('203.0.113.10', pending, `made-up-after-${i}`)).status);
      assert.equal(tokenCalls, OIDC_EXCHANGES.maxFailures);
      assert.deepEqual(statuses, [...Array(OIDC_EXCHANGES.maxFailures).fill(303), 429]);
    } finally {
      jwksDown = false;
      await web.close();
    }
  });
});
