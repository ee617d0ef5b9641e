/**
 * The failure limits and /metrics as `npm start` wires them (composeHubwarden + createApp with
 * `server.trustProxy`), seen from a client behind a reverse proxy on loopback: nobody's wrong
 * tokens lock out a valid one, each proxied client has its own budget, the admin API and the
 * dashboard sign-in share theirs, and /metrics wants a token because the loopback peer is the proxy.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { parseConfig } from '../../config/load.ts';
import { createApp } from '../../scim-server/app.ts';
import { composeHubwarden, type Hubwarden } from '../../scim-server/compose.ts';
import { testKeyring } from '../test-keyring.ts';

const ENV = { ADMIN_TOKEN: 'admin-token-trust-proxy-0123456789', SCIM_A: 'scim-token-hub-a-0123456789', SCIM_B: 'scim-token-hub-b-0123456789' };

function configWith(trustProxy: string | undefined) {
  return parseConfig(`
server:
  publicUrl: http://127.0.0.1
  adminTokens: [env:ADMIN_TOKEN]
${trustProxy ? `  trustProxy: ${trustProxy}\n` : ''}hubs:
  - id: hub-a
    connector: meta-business
    meta: { businessId: "1111111111", graphBaseUrl: sandbox }
    scim: { tokens: [env:SCIM_A] }
  - id: hub-b
    connector: meta-business
    meta: { businessId: "2222222222", graphBaseUrl: sandbox }
    scim: { tokens: [env:SCIM_B] }
`, '/tmp/hubwarden-trust-proxy/hubwarden.yaml', ENV);
}

async function serve(trustProxy: string | undefined): Promise<{ url: string; close(): Promise<void> }> {
  const config = configWith(trustProxy);
  const store = new MemoryStore();
  await store.open();
  const hubwarden: Hubwarden = composeHubwarden({ config, store, auditFile: false, keyring: testKeyring() });
  const app = createApp({ store, routers: hubwarden.routers, trustProxy: config.file.server.trustProxy });
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await hubwarden.stop(0);
    },
  };
}

/** The dashboard's admin-token form, as a browser fills it (login value + cookie), from `client`. */
async function signIn(url: string, token: string, client: string): Promise<number> {
  const page = await fetch(`${url}/ui/sign-in`, { headers: { 'x-forwarded-for': client } });
  const login = /name="_login" value="([^"]+)"/.exec(await page.text())![1];
  const cookie = page.headers.getSetCookie().find((c) => c.startsWith('hubwarden-login='))!.split(';')[0];
  const res = await fetch(`${url}/ui/sign-in/token`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: url, 'x-forwarded-for': client },
    body: new URLSearchParams({ _login: login, token, next: '/ui/' }),
  });
  return res.status;
}

describe('behind a reverse proxy on loopback (server.trustProxy: loopback)', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  after(() => server?.close());

  test('SCIM: wrong tokens lock out neither the same hub\'s valid token nor another hub\'s; each client has its own budget', async () => {
    server = await serve('loopback');
    const scim = (hub: string, token: string, client: string) =>
      fetch(`${server.url}/scim/v2/hubs/${hub}/Users`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client } });
    for (let i = 0; i < 5; i++) assert.equal((await scim('hub-a', `guess-${i}`, '203.0.113.66')).status, 401);
    assert.equal((await scim('hub-a', 'guess-5', '203.0.113.66')).status, 429, 'the guesser is limited');
    assert.equal((await scim('hub-a', 'guess-6', '203.0.113.10')).status, 401, 'another client behind the proxy is not');
    for (const client of ['203.0.113.66', '203.0.113.10']) {
      assert.equal((await scim('hub-a', ENV.SCIM_A, client)).status, 200, `hub-a's token from ${client}`);
      assert.equal((await scim('hub-b', ENV.SCIM_B, client)).status, 200, `hub-b's token from ${client}`);
    }
  });

  test('the admin API and the dashboard sign-in share one budget per client; the right token always passes', async () => {
    const api = (token: string, client: string) => fetch(`${server.url}/api/v1/hubs`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client } });
    for (let i = 0; i < 10; i++) assert.equal((await api(`guess-${i}`, '198.51.100.4')).status, 401);
    assert.equal(await signIn(server.url, 'guess-at-the-form', '198.51.100.4'), 429, 'the form counts the API failures');
    assert.equal(await signIn(server.url, 'guess-at-the-form', '198.51.100.5'), 401, 'another client: its own budget');
    assert.equal((await api(ENV.ADMIN_TOKEN, '198.51.100.4')).status, 200);
    assert.equal(await signIn(server.url, ENV.ADMIN_TOKEN, '198.51.100.4'), 303);
  });

  test('/metrics: a plain proxy_pass (loopback peer, no X-Forwarded-For) needs a token', async () => {
    const bare = await fetch(`${server.url}/metrics`);
    assert.equal(bare.status, 401);
    assert.doesNotMatch(await bare.text(), /hubwarden_/);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ENV.ADMIN_TOKEN}` } })).status, 200);
  });
});

describe('no proxy configured (the default)', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  after(() => server?.close());

  test('X-Forwarded-For is ignored: inventing client addresses buys no fresh budget', async () => {
    server = await serve(undefined);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await fetch(`${server.url}/scim/v2/hubs/hub-a/Users`, { headers: { authorization: 'Bearer wrong', 'x-forwarded-for': `192.0.2.${i}` } })).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429]);
    assert.equal((await fetch(`${server.url}/scim/v2/hubs/hub-a/Users`, { headers: { authorization: `Bearer ${ENV.SCIM_A}` } })).status, 200);
  });

  test('/metrics: a scraper on loopback talking to hubwarden directly needs no token', async () => {
    const scraped = await fetch(`${server.url}/metrics`);
    assert.equal(scraped.status, 200);
    assert.match(await scraped.text(), /^hubwarden_store_up 1$/m, 'the store the server runs on is reported');
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { 'x-forwarded-for': '192.0.2.1' } })).status, 401);
  });
});

test('server.trustProxy: a value express would not understand is a config error naming the key', () => {
  assert.throws(() => configWith('"10.0.0.0/8, not-an-address"'), /server\.trustProxy/);
  assert.equal(configWith('"10.0.0.0/8, loopback"').file.server.trustProxy, '10.0.0.0/8, loopback');
  assert.equal(configWith(undefined).file.server.trustProxy, false);
});
