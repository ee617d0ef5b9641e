import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { HubSummary } from '../../agent/api.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig, type TestServer } from '../../test/admin/test-server.ts';
import { createWebRouter } from './router.ts';
import { SessionStore } from './session-store.ts';

/**
 * The hub page names the hub's app as its connector definition labels it (`data-app`), which the
 * member dialogs say a change is made in: the dialogs said "Meta removes them from the business"
 * and "Remove from Meta" on a TikTok Business Center hub.
 */

/** A hub on the TikTok connector (the fake agent's hubs are all on the Meta one). */
class TiktokHubAgent extends FakeAgent {
  override async hub(hubId: string): Promise<HubSummary | undefined> {
    const hub = await super.hub(hubId);
    return hub && hubId === 'beta-shop' ? { ...hub, connector: 'tiktok-business' } : hub;
  }
}

let server: TestServer;
before(async () => {
  const store = new MemoryStore();
  await store.open();
  server = await serveRouters([['/ui', createWebRouter({ config: testConfig(), agent: new TiktokHubAgent(), store, log: { info() {}, warn() {}, error() {} }, sessions: new SessionStore(store) })]]);
});
after(() => server.close());

async function signIn(url: string): Promise<string> {
  const page = await fetch(`${url}/ui/sign-in`);
  const login = /name="_login" value="([^"]+)"/.exec(await page.text())![1];
  const loginCookie = page.headers.getSetCookie().find((c) => c.startsWith('hubwarden-login='))!.split(';')[0];
  const res = await fetch(`${url}/ui/sign-in/token`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie, origin: url },
    body: new URLSearchParams({ _login: login, token: TEST_ENV.ADMIN_TOKEN, next: '/ui/' }),
  });
  return res.headers.getSetCookie().find((c) => c.startsWith('hubwarden-session=') && !c.includes('Max-Age=0'))!.split(';')[0];
}

test('the hub page names each hub\'s own app for the member dialogs', async () => {
  const cookie = await signIn(server.url);
  const appOf = async (hubId: string) => /data-app="([^"]*)"/.exec(await (await fetch(`${server.url}/ui/hubs/${hubId}`, { headers: { cookie } })).text())?.[1];
  assert.equal(await appOf('beta-shop'), 'TikTok Business Center');
  assert.equal(await appOf('acme-ads'), 'Meta Business Manager');
});
