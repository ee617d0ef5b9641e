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
import { RefusalAudits } from './sign-in-audit.ts';
import { RefusalBudget } from '../refusal-budget.ts';

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

  test('an admin-token sign-in and its sign-out: who (the token label), how, admin, from which address; no token, no session id', async () => {
    const res = await postToken(TEST_ENV.ADMIN_TOKEN);
    assert.equal(res.status, 303);
    const cookie = res.headers.getSetCookie().find((s) => s.startsWith('hubwarden-session=') && !s.includes('Max-Age=0'))!.split(';')[0]!;
    const [signedIn] = await entries('dashboard-sign-in');
    assert.equal(signedIn?.outcome, 'ok');
    assert.match(signedIn!.trigger.actor!, /^admin-token:[0-9a-f]{6}$/);
    // Where the token was used from, as a refusal records it: a leaked token's first question.
    const loopback = /^(::ffff:)?127\.0\.0\.1$/;
    const { ip, ...rest } = signedIn!.detail ?? {};
    assert.deepEqual([signedIn!.trigger.detail, rest], ['admin-token', { via: 'admin-token', admin: true }]);
    assert.match(String(ip), loopback);

    const page = await (await fetch(`${server.url}/ui/`, { headers: { cookie } })).text();
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)![1]!;
    const out = await fetch(`${server.url}/ui/sign-out`, {
      method: 'POST', redirect: 'manual', headers: { cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }),
    });
    assert.equal(out.status, 303);
    const signedOut = await entries('dashboard-sign-out');
    assert.equal(signedOut.length, 1);
    assert.deepEqual([signedOut[0]!.outcome, signedOut[0]!.trigger.actor], ['ok', signedIn!.trigger.actor]);
    assert.match(String(signedOut[0]!.detail?.ip), loopback);
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

test('wrong admin tokens from addresses still within their failure budget are audited at most the fleet budget a minute (addresses are many)', async () => {
  const store = new MemoryStore();
  await store.open();
  // A failure budget that one address does not reach here, as a guesser spreading over addresses does not.
  const server = await serveRouters([['/ui', createWebRouter({
    config: testConfig(), agent: new FakeAgent(), store, log: silent,
    failures: new FailureLimiter({ admin: { maxFailures: 1000, windowMs: 600_000 }, refusal: { maxFailures: 3, windowMs: 60_000 } }),
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

/** Posts a sign-in form that did not come from the sign-in page (no double-submit cookie): a refusal naming nobody. */
const forged = (url: string) => fetch(`${url}/ui/sign-in/token`, {
  method: 'POST', redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
  body: new URLSearchParams({ _login: 'forged', token: 'x', next: '/ui/' }),
});

test('refusals that name nobody sent to two replicas of one store: the fleet audits its budget, not each replica', async () => {
  const store = new MemoryStore();
  await store.open();
  const refusal = { maxFailures: 3, windowMs: 60_000 };
  // Each replica builds its own limiter on the shared store, as each process does (compose.ts).
  const [a, b] = await Promise.all([0, 1].map(() => serveRouters([['/ui', createWebRouter({
    config: testConfig(), agent: new FakeAgent(), store, log: silent, failures: new FailureLimiter({ refusal }, Date.now, store),
  })]])));
  try {
    for (let i = 0; i < 8; i++) assert.equal((await forged((i % 2 ? b! : a!).url)).status, 403);
    const refused = (await collect(store.list('audit', ''))).filter((e) => e.action === 'dashboard-sign-in');
    assert.equal(refused.length, 3, 'three for the fleet (it was three per replica)');
    assert.ok(refused.every((e) => e.detail?.reason === 'form-expired'));
  } finally {
    await Promise.all([a!.close(), b!.close()]);
  }
});

test('refusals that name nobody: at most the budget a minute across limiters on one store, and the next audited one says how many its process did not', async () => {
  let now = 0;
  const store = new MemoryStore();
  const budgets = { refusal: { maxFailures: 3, windowMs: 60_000 } };
  const [onA, onB] = [new RefusalAudits(new FailureLimiter(budgets, () => now, store)), new RefusalAudits(new FailureLimiter(budgets, () => now, store))];
  assert.deepEqual([await onA.take(), await onB.take(), await onA.take()], [{ audit: true, notAudited: 0 }, { audit: true, notAudited: 0 }, { audit: true, notAudited: 0 }]);
  for (let i = 0; i < 100; i++) assert.deepEqual(await (i % 2 ? onB : onA).take(), { audit: false });
  now += 60_000;
  assert.deepEqual(await onA.take(), { audit: true, notAudited: 50 });
  assert.deepEqual(await onB.take(), { audit: true, notAudited: 50 });
  assert.deepEqual(await onA.take(), { audit: true, notAudited: 0 });
  assert.deepEqual(await onB.take(), { audit: false });
});

test('log lines (RefusalBudget, per process): at most the budget a minute, and the next one taken says how many were not', () => {
  let now = 0;
  const budget = new RefusalBudget(3, () => now);
  assert.deepEqual([budget.take(), budget.take(), budget.take()], [{ audit: true, notAudited: 0 }, { audit: true, notAudited: 0 }, { audit: true, notAudited: 0 }]);
  for (let i = 0; i < 100; i++) assert.deepEqual(budget.take(), { audit: false });
  now += 60_000;
  assert.deepEqual(budget.take(), { audit: true, notAudited: 100 });
  assert.deepEqual(budget.take(), { audit: true, notAudited: 0 });
});
