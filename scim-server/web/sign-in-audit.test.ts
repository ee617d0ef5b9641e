/**
 * Dashboard sign-ins and sign-outs in the audit log (action `dashboard-sign-in` / `dashboard-sign-out`):
 * the admin-token form here; OIDC sign-ins in oidc-sign-in.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '../../agent/api.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { collect } from '../../agent/store/store.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters, TEST_ENV, testConfig, type TestServer } from '../../test/admin/test-server.ts';
import { FailureLimiter } from '../auth-failures.ts';
import { createWebRouter } from './router.ts';
import { RefusalBudget } from './sign-in-audit.ts';

const silent = { info() {}, warn() {}, error() {} };

describe('dashboard sign-in and sign-out are audited', () => {
  let store: MemoryStore;
  let server: TestServer;
  before(async () => {
    store = new MemoryStore();
    await store.open();
    server = await serveRouters([['/ui', createWebRouter({ config: testConfig(), agent: new FakeAgent(), store, log: silent })]]);
  });
  after(() => server.close());

  const entries = async (action: string): Promise<AuditEntry[]> =>
    (await collect(store.list('audit', ''))).filter((e) => e.action === action);

  /** Posts the token form as a browser does (the form's double-submit value and cookie); returns the response. */
  async function postToken(token: string, form?: { login: string; cookie: string }) {
    if (!form) {
      const page = await fetch(`${server.url}/ui/sign-in`);
      form = {
        login: /name="_login" value="([^"]+)"/.exec(await page.text())![1]!,
        cookie: page.headers.getSetCookie().find((c) => c.startsWith('hubwarden-login='))!.split(';')[0]!,
      };
    }
    return fetch(`${server.url}/ui/sign-in/token`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie, origin: server.url },
      body: new URLSearchParams({ _login: form.login, token, next: '/ui/' }),
    });
  }

  test('an admin-token sign-in and its sign-out: who (the token label), how, admin; no token, no session id', async () => {
    const res = await postToken(TEST_ENV.ADMIN_TOKEN);
    assert.equal(res.status, 303);
    const cookie = res.headers.getSetCookie().find((s) => s.startsWith('hubwarden-session=') && !s.includes('Max-Age=0'))!.split(';')[0]!;
    const [signedIn] = await entries('dashboard-sign-in');
    assert.equal(signedIn?.outcome, 'ok');
    assert.match(signedIn!.trigger.actor!, /^admin-token:[0-9a-f]{6}$/);
    assert.deepEqual([signedIn!.trigger.detail, signedIn!.detail], ['admin-token', { via: 'admin-token', admin: true }]);

    const page = await (await fetch(`${server.url}/ui/`, { headers: { cookie } })).text();
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)![1]!;
    const out = await fetch(`${server.url}/ui/sign-out`, {
      method: 'POST', redirect: 'manual', headers: { cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }),
    });
    assert.equal(out.status, 303);
    const signedOut = await entries('dashboard-sign-out');
    assert.equal(signedOut.length, 1);
    assert.deepEqual([signedOut[0]!.outcome, signedOut[0]!.trigger.actor], ['ok', signedIn!.trigger.actor]);
    // Signing out again (the session is gone): nothing more to audit.
    await fetch(`${server.url}/ui/sign-out`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: server.url } });
    assert.equal((await entries('dashboard-sign-out')).length, 1);
    const text = JSON.stringify(await collect(store.list('audit', '')));
    for (const secret of [TEST_ENV.ADMIN_TOKEN, cookie.split('=')[1]!, csrf]) assert.ok(!text.includes(secret), 'no token or session id in the log');
  });

  test('wrong tokens are audited by client address within the failure budget, never the token; past it only logged', async () => {
    const before = (await entries('dashboard-sign-in')).length;
    for (let i = 0; i < 13; i++) await postToken(`wrong-token-${i}`);
    const refused = (await entries('dashboard-sign-in')).slice(before);
    assert.equal(refused.length, 10, 'the ten of the budget (ADMIN_FAILURES); the 429s after it write nothing');
    assert.ok(refused.every((e) => e.outcome === 'failed' && e.detail?.reason === 'wrong-token' && e.detail?.ip && e.trigger.actor === undefined));
    assert.ok(!JSON.stringify(refused).includes('wrong-token-'), 'the token sent is not kept');
  });
});

test('wrong admin tokens from addresses still within their failure budget are audited at most the process budget a minute (addresses are many)', async () => {
  const store = new MemoryStore();
  await store.open();
  // A failure budget that one address does not reach here, as a guesser spreading over addresses does not.
  const server = await serveRouters([['/ui', createWebRouter({
    config: testConfig(), agent: new FakeAgent(), store, log: silent,
    failures: new FailureLimiter({ admin: { maxFailures: 1000, windowMs: 600_000 } }), signInRefusals: new RefusalBudget(3),
  })]]);
  try {
    for (let i = 0; i < 6; i++) {
      const page = await fetch(`${server.url}/ui/sign-in`);
      const login = /name="_login" value="([^"]+)"/.exec(await page.text())![1]!;
      const cookie = page.headers.getSetCookie().find((c) => c.startsWith('hubwarden-login='))!.split(';')[0]!;
      const res = await fetch(`${server.url}/ui/sign-in/token`, {
        method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: server.url },
        body: new URLSearchParams({ _login: login, token: `wrong-${i}`, next: '/ui/' }),
      });
      assert.equal(res.status, 401);
    }
    const refused = (await collect(store.list('audit', ''))).filter((e) => e.action === 'dashboard-sign-in');
    assert.equal(refused.length, 3);
    assert.ok(refused.every((e) => e.detail?.reason === 'wrong-token'));
  } finally {
    await server.close();
  }
});

test('refusals that name nobody: at most the budget a minute, and the next audited one says how many were not', () => {
  let now = 0;
  const budget = new RefusalBudget(3, () => now);
  assert.deepEqual([budget.take(), budget.take(), budget.take()], [{ audit: true, notAudited: 0 }, { audit: true, notAudited: 0 }, { audit: true, notAudited: 0 }]);
  for (let i = 0; i < 100; i++) assert.deepEqual(budget.take(), { audit: false });
  now += 60_000;
  assert.deepEqual(budget.take(), { audit: true, notAudited: 100 });
  assert.deepEqual(budget.take(), { audit: true, notAudited: 0 });
});
