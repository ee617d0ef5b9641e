import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { parseConfig } from '../../config/load.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig, type TestServer } from '../../test/admin/test-server.ts';
import { adminTokensFrom } from '../admin/admin-tokens.ts';
import { createWebRouter } from './router.ts';
import { SessionStore } from './session-store.ts';
import { ADMIN_FAILURES, FailureLimiter } from '../auth-failures.ts';
import { createAdminRouter } from '../admin/router.ts';
import { testKeyring } from '../../test/test-keyring.ts';

/** The dashboard's key: the admin-token labels below are made with it, as the router makes them. */
const keyring = testKeyring();

const silent = { info() {}, warn() {}, error() {} };

/** Signs in through the admin-token form like a browser: the form's login value and cookie, then the token. */
async function signIn(url: string, token: string): Promise<{ status: number; cookie?: string; setCookie: string }> {
  const page = await fetch(`${url}/ui/sign-in`);
  const html = await page.text();
  const login = /name="_login" value="([^"]+)"/.exec(html)![1];
  const loginCookie = page.headers.getSetCookie().find((c) => c.startsWith('hubwarden-login='))!.split(';')[0];
  const res = await fetch(`${url}/ui/sign-in/token`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie, origin: url },
    body: new URLSearchParams({ _login: login, token, next: '/ui/automation' }),
  });
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('hubwarden-session=') && !c.includes('Max-Age=0')) ?? '';
  return { status: res.status, cookie: setCookie ? setCookie.split(';')[0] : undefined, setCookie };
}

async function csrfOf(url: string, cookie: string): Promise<string> {
  const html = await (await fetch(`${url}/ui/`, { headers: { cookie } })).text();
  return /<meta name="csrf-token" content="([^"]+)">/.exec(html)![1];
}

describe('dashboard sign-in, sessions and CSRF', () => {
  let server: TestServer;
  let agent: FakeAgent;
  const store = new MemoryStore();
  const sessions = new SessionStore(store);
  before(async () => {
    agent = new FakeAgent();
    await store.open();
    server = await serveRouters([['/ui', createWebRouter({ config: testConfig(), keyring, agent, store, log: silent, sessions })]]);
  });
  after(() => server.close());

  test('without a session: pages redirect to sign-in, API and exports answer 401 with no hub data', async () => {
    const page = await fetch(`${server.url}/ui/hubs/acme-ads?tab=members`, { redirect: 'manual' });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/ui/sign-in?next=%2Fui%2Fhubs%2Facme-ads%3Ftab%3Dmembers');
    for (const path of ['/ui/api/v1/hubs', '/ui/api/v1/hubs/acme-ads/members', '/ui/api/hubs/acme-ads/assets', '/ui/export/hubs/acme-ads/members.csv', '/ui/export/audit.csv']) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 401, path);
      const text = await res.text();
      assert.doesNotMatch(text, /jane|contractor|"items"|memberCounts/i, path);
    }
    // A forged cookie is no session either.
    const forged = await fetch(`${server.url}/ui/api/v1/hubs`, { headers: { cookie: 'hubwarden-session=made-up' } });
    assert.equal(forged.status, 401);
  });

  test('a form posted after the session ended sends the person to sign-in and back to a page that exists', async () => {
    // The Claim button on My access, clicked after the session went idle: a POST without a session.
    const res = await fetch(`${server.url}/ui/my-access/offers/offer-1/claim`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: 'stale' }),
    });
    assert.equal(res.status, 303);
    const next = new URL(res.headers.get('location')!, server.url).searchParams.get('next') ?? '/ui/';
    // After signing in the browser GETs `next`: it must be a page, not the form's POST-only action.
    const cookie = (await signIn(server.url, TEST_ENV.ADMIN_TOKEN)).cookie!;
    const back = await fetch(`${server.url}${next}`, { headers: { cookie } });
    assert.equal(back.status, 200, `${next} answered ${back.status}`);
    assert.match(back.headers.get('content-type') ?? '', /text\/html/);
    assert.deepEqual(agent.calls.filter((c) => c.method.startsWith('claim')), [], 'nothing claimed without a session');
    // With the page it was posted from (our own forms send a same-origin Referer): back to that page.
    const post = (referer: string) => fetch(`${server.url}/ui/my-access/offers/offer-1/claim`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', referer }, body: '',
    });
    assert.equal((await post(`${server.url}/ui/my-access`)).headers.get('location'), '/ui/sign-in?next=%2Fui%2Fmy-access');
    assert.equal((await post('https://evil.example/phish')).headers.get('location'), '/ui/sign-in');
    assert.deepEqual(agent.calls.filter((c) => c.method.startsWith('claim')), []);
  });

  test('a wrong admin token is refused and starts no session', async () => {
    const r = await signIn(server.url, 'not-a-configured-token');
    assert.equal(r.status, 401);
    assert.equal(r.cookie, undefined);
  });

  test('after too many wrong tokens from one address, a wrong one gets 429; the right one still signs in', async () => {
    const other = await serveRouters([['/ui', createWebRouter({ config: testConfig(), keyring, agent, store: new MemoryStore(), log: silent })]]);
    try {
      for (let i = 0; i < ADMIN_FAILURES.maxFailures; i++) assert.equal((await signIn(other.url, `wrong-${i}`)).status, 401);
      const limited = await signIn(other.url, 'wrong-again');
      assert.equal(limited.status, 429);
      assert.equal(limited.cookie, undefined);
      const r = await signIn(other.url, TEST_ENV.ADMIN_TOKEN);
      assert.equal(r.status, 303, 'a valid token is never refused because of failures');
      assert.ok(r.cookie);
    } finally {
      await other.close();
    }
  });

  test('one budget for the admin API and the sign-in form: wrong API tokens count at the form too', async () => {
    const failures = new FailureLimiter({ admin: { maxFailures: 3, windowMs: 60_000 } });
    const shared = await serveRouters([
      ['/api/v1', createAdminRouter({ config: testConfig(), agent, failures, adminTokens: adminTokensFrom(testConfig(), keyring) })],
      ['/ui', createWebRouter({ config: testConfig(), keyring, agent, store: new MemoryStore(), log: silent, failures })],
    ]);
    try {
      for (let i = 0; i < 3; i++) assert.equal((await fetch(`${shared.url}/api/v1/hubs`, { headers: { authorization: `Bearer guess-${i}` } })).status, 401);
      assert.equal((await signIn(shared.url, 'guess-at-the-form')).status, 429, 'the form sees the API failures');
      assert.equal((await fetch(`${shared.url}/api/v1/hubs`, { headers: { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` } })).status, 200);
      assert.equal((await signIn(shared.url, TEST_ENV.ADMIN_TOKEN)).status, 303);
    } finally {
      await shared.close();
    }
  });

  test('the sign-in form is refused without its login cookie (login CSRF)', async () => {
    const res = await fetch(`${server.url}/ui/sign-in/token`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _login: 'x', token: TEST_ENV.ADMIN_TOKEN }),
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers.getSetCookie().some((c) => c.startsWith('hubwarden-session=')), false);
  });

  test('a login value of the right length in other bytes is refused like a wrong one (403), not a 500', async () => {
    const page = await fetch(`${server.url}/ui/sign-in`);
    const cookie = page.headers.getSetCookie().find((c) => c.startsWith('hubwarden-login='))!.split(';')[0]!;
    // As many characters as the cookie's value, each two bytes in UTF-8: equal lengths as strings, not as bytes.
    const echoed = 'é'.repeat(cookie.slice('hubwarden-login='.length).length);
    const res = await fetch(`${server.url}/ui/sign-in/token`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: server.url },
      body: new URLSearchParams({ _login: echoed, token: TEST_ENV.ADMIN_TOKEN }),
    });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /The sign-in form expired/);
    assert.equal(res.headers.getSetCookie().some((c) => c.startsWith('hubwarden-session=')), false);
  });

  test('admin-token sign-in: HTTP-only SameSite session; reads work; changes need the CSRF token', async () => {
    const r = await signIn(server.url, TEST_ENV.ADMIN_TOKEN);
    assert.equal(r.status, 303);
    assert.match(r.setCookie, /HttpOnly/);
    assert.match(r.setCookie, /SameSite=Lax/);
    assert.doesNotMatch(r.setCookie, /Secure/, 'http publicUrl: no Secure flag');
    const cookie = r.cookie!;
    const hubs = await (await fetch(`${server.url}/ui/api/v1/hubs`, { headers: { cookie } })).json() as { items: Array<{ id: string }> };
    assert.deepEqual(hubs.items.map((h) => h.id), ['acme-ads', 'beta-shop']);

    const url = `${server.url}/ui/api/v1/hubs/acme-ads/check-for-updates`;
    const json = { 'content-type': 'application/json', cookie };
    const missing = await fetch(url, { method: 'POST', headers: json, body: '{}' });
    assert.equal(missing.status, 403);
    const wrong = await fetch(url, { method: 'POST', headers: { ...json, 'x-csrf-token': 'guess' }, body: '{}' });
    assert.equal(wrong.status, 403);
    const csrf = await csrfOf(server.url, cookie);
    const crossSite = await fetch(url, { method: 'POST', headers: { ...json, 'x-csrf-token': csrf, origin: 'https://evil.example' }, body: '{}' });
    assert.equal(crossSite.status, 403);
    assert.deepEqual(agent.writes(), [], 'nothing changed by refused requests');

    const ok = await fetch(url, { method: 'POST', headers: { ...json, 'x-csrf-token': csrf, origin: server.url }, body: '{}' });
    assert.equal(ok.status, 202);
    const writes = agent.writes();
    assert.equal(writes.length, 1);
    assert.equal(writes[0].method, 'checkForUpdates');
    // Audited as the signed-in dashboard user, not the adapter's internal token.
    const actor = adminTokensFrom(testConfig(), keyring).actorFor(TEST_ENV.ADMIN_TOKEN);
    assert.deepEqual(writes[0].args.at(-1), { type: 'dashboard', actor, detail: 'admin-token' });
  });

  test('reports and halted plans are applied through the adapter with the admin API\'s own checks', async () => {
    const cookie = (await signIn(server.url, TEST_ENV.ADMIN_TOKEN)).cookie!;
    const csrf = await csrfOf(server.url, cookie);
    const post = (path: string, body: unknown) => fetch(`${server.url}/ui/api/v1${path}`, {
      method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body),
    });
    // Validation and problem details come from the admin router unchanged.
    const stranger = await post('/reports/r-1/apply', { memberIds: ['not-in-report'] });
    assert.equal(stranger.status, 400);
    assert.equal(stranger.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.match(((await stranger.json()) as { detail: string }).detail, /is not an item of report "r-1"/);
    const applied = await post('/reports/r-1/apply', { memberIds: 'all' });
    assert.equal(applied.status, 200);
    const approved = await post('/approvals/a-1/approve', { reason: 'dashboard test' });
    assert.equal(approved.status, 200);
    const calls = agent.writes().filter((w) => w.method === 'applyReport' || w.method === 'decideApproval');
    assert.deepEqual(calls.map((c) => [c.method, (c.args.at(-1) as { type: string }).type]), [['applyReport', 'dashboard'], ['decideApproval', 'dashboard']]);
    // The signed-in person acts; the reason they gave stays with the trigger, to be audited.
    assert.equal((calls[1]!.args.at(-1) as { reason?: string }).reason, 'dashboard test');
    assert.equal((calls[0]!.args.at(-1) as { reason?: string }).reason, undefined);
  });

  test('an administrator claiming an offer for someone through the adapter is audited as the signed-in person', async () => {
    const cookie = (await signIn(server.url, TEST_ENV.ADMIN_TOKEN)).cookie!;
    const csrf = await csrfOf(server.url, cookie);
    const res = await fetch(`${server.url}/ui/api/v1/people/jane@example.com/offers/offer-1/claim`, {
      method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}',
    });
    assert.equal(res.status, 202);
    const claim = agent.writes().filter((w) => w.method === 'claimOffer').at(-1)!;
    const actor = adminTokensFrom(testConfig(), keyring).actorFor(TEST_ENV.ADMIN_TOKEN);
    // Not `admin: admin-token:<the adapter's per-process internal token>`, which names nobody.
    assert.deepEqual(claim.args.at(-1), { type: 'dashboard', actor, detail: 'admin-token' });
  });

  test('CSV export of members follows the tab and search; static files need no session, unknown ones are 404', async () => {
    const cookie = (await signIn(server.url, TEST_ENV.ADMIN_TOKEN)).cookie!;
    const res = await fetch(`${server.url}/ui/export/hubs/acme-ads/members.csv?status=unmatched`, { headers: { cookie } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="?acme-ads-unmatched.csv"?/);
    const lines = (await res.text()).trim().split('\r\n');
    assert.equal(lines[0], 'email,name,status,app role,asset tasks,hub role,granted by,directory user,exemption,partner business,last seen,other seats,member id');
    assert.deepEqual(lines.slice(1).map((l) => l.split(',')[0]), ['old.contractor@gmail.com']);
    const searched = await (await fetch(`${server.url}/ui/export/hubs/acme-ads/members.csv?search=jane`, { headers: { cookie } })).text();
    assert.deepEqual(searched.trim().split('\r\n').slice(1).map((l) => l.split(',')[0]), ['jane@example.com']);
    assert.equal((await fetch(`${server.url}/ui/export/hubs/nope/members.csv`, { headers: { cookie } })).status, 404);
    const css = await fetch(`${server.url}/ui/static/dashboard.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /text\/css/);
    const missing = await fetch(`${server.url}/ui/static/nope.js`);
    assert.equal(missing.status, 404);
  });

  test('sign-out needs the CSRF token and ends the session', async () => {
    const cookie = (await signIn(server.url, TEST_ENV.SECOND_ADMIN_TOKEN)).cookie!;
    const forged = await fetch(`${server.url}/ui/sign-out`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    assert.equal(forged.status, 403);
    assert.equal((await fetch(`${server.url}/ui/api/v1/hubs`, { headers: { cookie: cookie } })).status, 200);
    const csrf = await csrfOf(server.url, cookie);
    const out = await fetch(`${server.url}/ui/sign-out`, { method: 'POST', redirect: 'manual', headers: { cookie: cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }) });
    assert.equal(out.status, 303);
    assert.equal((await fetch(`${server.url}/ui/api/v1/hubs`, { headers: { cookie: cookie } })).status, 401);
  });
});

describe('OIDC callback guards', () => {
  let server: TestServer;
  before(async () => {
    const config = parseConfig(`
server:
  publicUrl: https://hubwarden.example
  oidc: { issuer: "http://127.0.0.1:9/", clientId: c1, clientSecret: env:SECRET, allowedGroups: [admins] }
hubs: [{ id: acme-ads, connector: meta-business, meta: { businessId: "1" } }]
`, '/tmp/hubwarden-test/oidc.yaml', { SECRET: 'oidc-secret' });
    const store = new MemoryStore();
    await store.open();
    server = await serveRouters([['/ui', createWebRouter({ config, keyring, agent: new FakeAgent(), store, log: silent })]]);
  });
  after(() => server.close());

  test('a callback without the state this browser started is refused, no session', async () => {
    const res = await fetch(`${server.url}/ui/auth/callback?state=made-up&code=stolen`, { redirect: 'manual', headers: { cookie: 'hubwarden-oidc=made-up' } });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/ui/sign-in?error=expired');
    assert.match(await (await fetch(`${server.url}/ui/sign-in?error=expired`)).text(), /That sign-in expired or was started in another browser/);
    assert.equal(res.headers.getSetCookie().some((c) => /hubwarden-session=[^;]/.test(c)), false);
  });

  test('an unreachable IdP sends the person back to sign-in with a message', async () => {
    const res = await fetch(`${server.url}/ui/auth/oidc`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/ui/sign-in?error=unreachable');
  });

  test('the sign-in page shows only its own messages, never text from the URL', async () => {
    const html = await (await fetch(`${server.url}/ui/sign-in?error=${encodeURIComponent('Call +1 555 0100 to verify your account')}`)).text();
    assert.doesNotMatch(html, /555 0100/);
    assert.doesNotMatch(html, /role="alert"/);
  });

  test('https publicUrl: cookies are Secure; only the OIDC button without admin tokens', async () => {
    const res = await fetch(`${server.url}/ui/sign-in`);
    const html = await res.text();
    assert.match(html, /Sign in with your organisation/);
    assert.doesNotMatch(html, /Admin token/);
    const cookies = res.headers.getSetCookie();
    assert.ok(cookies.length > 0 && cookies.every((c) => /; Secure/.test(c) && /HttpOnly/.test(c)), cookies.join(' | '));
  });
});
