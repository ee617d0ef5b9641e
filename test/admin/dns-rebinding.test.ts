/**
 * DNS rebinding (docs/security.md): a page on evil.example whose name the attacker re-points at
 * hubwarden makes the victim's browser send requests naming `Host: evil.example`. The dashboard and
 * the loopback grant of /metrics answer only hubwarden's own host (`server.publicUrl`'s, or a
 * loopback name from a loopback peer); SCIM and the admin API keep taking any Host. Composed as
 * `npm start` composes it (composeHubwarden + createApp), requests sent with node:http so the Host
 * header is the one the test names.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Keyring } from '../../agent/secrets/keyring.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { parseConfig } from '../../config/load.ts';
import { createApp } from '../../scim-server/app.ts';
import { composeHubwarden, type Hubwarden } from '../../scim-server/compose.ts';

const ENV = { ADMIN_TOKEN: 'admin-token-rebinding-0123456789', SCIM_A: 'scim-token-rebinding-0123456789' };

async function serve(trustProxy?: string) {
  const config = parseConfig(`
server:
  publicUrl: https://hubwarden.example.com
  adminTokens: [env:ADMIN_TOKEN]
${trustProxy ? `  trustProxy: ${trustProxy}\n` : ''}hubs:
  - id: hub-a
    connector: meta-business
    meta: { businessId: "1111111111", graphBaseUrl: sandbox }
    scim: { tokens: [env:SCIM_A] }
`, '/tmp/hubwarden-rebinding/hubwarden.yaml', ENV);
  const store = new MemoryStore();
  await store.open();
  const hubwarden: Hubwarden = composeHubwarden({ config, store, auditFile: false, keyring: Keyring.fromKey(randomBytes(32)) });
  const server: Server = createApp({ store, routers: hubwarden.routers, trustProxy: config.file.server.trustProxy }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await hubwarden.stop(0);
    },
  };
}

interface Answer { status: number; body: string; headers: Record<string, string | string[] | undefined> }

function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('DNS rebinding: the dashboard and /metrics answer only hubwarden\'s own host', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  before(async () => { server = await serve(); });
  after(() => server?.close());

  test('a page rebound to 127.0.0.1 (Host: evil.example) gets 421 for the dashboard, its sign-in form and its posts', async () => {
    const evil = `evil.example:${server.port}`;
    const page = await send(server.port, 'GET', '/ui/sign-in', { host: evil });
    assert.equal(page.status, 421);
    assert.match(page.body, /https:\/\/hubwarden\.example\.com \(server\.publicUrl\)/);
    assert.doesNotMatch(page.body, /_login|evil/, 'no form, and the host named is not echoed');
    assert.equal((await send(server.port, 'GET', '/ui/static/dashboard.js', { host: evil })).status, 421);
    // The old check took an Origin equal to the request's own Host, which the attacker names.
    const post = await send(server.port, 'POST', '/ui/sign-in/token', { host: evil, origin: `http://${evil}`, 'content-type': 'application/x-www-form-urlencoded' }, `token=${ENV.ADMIN_TOKEN}`);
    assert.equal(post.status, 421);
    assert.equal(post.headers['set-cookie'], undefined, 'no session was started');
  });

  test('publicUrl\'s host and the loopback names reach the dashboard', async () => {
    for (const host of ['hubwarden.example.com', 'HubWarden.example.com:443', `127.0.0.1:${server.port}`, `localhost:${server.port}`, `[::1]:${server.port}`]) {
      assert.equal((await send(server.port, 'GET', '/ui/sign-in', { host })).status, 200, host);
    }
    assert.equal((await send(server.port, 'GET', '/ui/sign-in', { host: 'hubwarden.example.com:8443' })).status, 421, 'another port of the public name is not publicUrl');
    assert.equal((await send(server.port, 'GET', '/ui/sign-in', { host: 'localhost.evil.example' })).status, 421);
  });

  test('the loopback sign-in form posts with its own origin; another origin is refused (403)', async () => {
    const host = `127.0.0.1:${server.port}`;
    const form = await send(server.port, 'GET', '/ui/sign-in', { host });
    const login = /name="_login" value="([^"]+)"/.exec(form.body)![1]!;
    const cookie = (form.headers['set-cookie'] as string[]).find((c) => c.startsWith('hubwarden-login='))!.split(';')[0]!;
    const post = (origin: string) => send(server.port, 'POST', '/ui/sign-in/token', { host, origin, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({ _login: login, token: ENV.ADMIN_TOKEN, next: '/ui/' }).toString());
    assert.equal((await post('http://evil.example')).status, 403);
    assert.equal((await post(`http://${host}`)).status, 303);
  });

  test('/metrics from loopback: no token for 127.0.0.1 or publicUrl\'s host, a 401 for a rebound name', async () => {
    assert.equal((await send(server.port, 'GET', '/metrics', { host: `127.0.0.1:${server.port}` })).status, 200);
    assert.equal((await send(server.port, 'GET', '/metrics', { host: 'hubwarden.example.com' })).status, 200);
    const rebound = await send(server.port, 'GET', '/metrics', { host: `evil.example:${server.port}` });
    assert.equal(rebound.status, 401);
    assert.doesNotMatch(rebound.body, /hubwarden_/);
    assert.equal((await send(server.port, 'GET', '/metrics', { host: `evil.example:${server.port}`, authorization: `Bearer ${ENV.ADMIN_TOKEN}` })).status, 200, 'a token still passes');
  });

  test('SCIM, the admin API and the liveness probe keep taking any Host (not browser pages)', async () => {
    const host = 'hubwarden-internal.svc:8080';
    assert.equal((await send(server.port, 'GET', '/scim/v2/hubs/hub-a/Users', { host, authorization: `Bearer ${ENV.SCIM_A}` })).status, 200);
    assert.equal((await send(server.port, 'GET', '/api/v1/hubs', { host, authorization: `Bearer ${ENV.ADMIN_TOKEN}` })).status, 200);
    assert.equal((await send(server.port, 'GET', '/healthz', { host })).status, 200);
  });
});

describe('DNS rebinding behind a reverse proxy (server.trustProxy: loopback)', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  before(async () => { server = await serve('loopback'); });
  after(() => server?.close());

  test('X-Forwarded-Host from the trusted proxy is the host checked', async () => {
    const via = (forwardedHost: string) => send(server.port, 'GET', '/ui/sign-in', { host: `127.0.0.1:${server.port}`, 'x-forwarded-host': forwardedHost, 'x-forwarded-for': '203.0.113.5' });
    assert.equal((await via('hubwarden.example.com')).status, 200);
    assert.equal((await via('evil.example')).status, 421, 'the browser named evil.example at the proxy');
    assert.equal((await send(server.port, 'GET', '/ui/sign-in', { host: 'hubwarden.example.com', 'x-forwarded-for': '203.0.113.5' })).status, 200, 'proxy_set_header Host $host');
  });
});
