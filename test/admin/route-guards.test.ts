/**
 * Every route the dashboard (/ui) and the admin API (/api/v1) register, read from the routers'
 * stacks (route-table.ts), so a route added later is checked here without anyone listing it:
 * - every state-changing dashboard route (any method but GET and HEAD) refuses a request without
 *   a session (401 under /ui/api, else 401 or the redirect to sign-in), and one with a valid
 *   session but no CSRF token, another session's token, or the right token from another origin
 *   (403, docs/dashboard.md "Sessions and CSRF"); none of them reaches the agent;
 * - every admin API route refuses a missing or a wrong bearer token (401 with the RFC 6750 §3
 *   challenge) and reaches the agent with neither;
 * - the right credential passes each guard (so the refusals above are the guards', on routes that
 *   exist).
 * authz-matrix.test.ts checks the other half: every route has its row in the matrix.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { createAdminRouter } from '../../scim-server/admin/router.ts';
import { FailureLimiter } from '../../scim-server/auth-failures.ts';
import { createWebRouter } from '../../scim-server/web/router.ts';
import { signInWithToken } from '../../scim-server/web/web-fixtures.ts';
import { FakeAgent } from './fake-agent.ts';
import { concretePath, pathPattern, routeTable, type RegisteredRoute } from './route-table.ts';
import { serveRouters, TEST_ENV, testConfig, type TestServer } from './test-server.ts';

const silent = { info() {}, warn() {}, error() {} };
const SAFE = new Set(['GET', 'HEAD']);
/** Values for the routes' parameters: the fake agent's hub and rows (any value is refused alike). */
const PARAMS: Record<string, string> = { hubId: 'acme-ads', memberId: '1002', email: 'raj@example.com', offerId: 'offer-1', id: 'r-1' };

/**
 * Dashboard routes that take a state-changing request before any session exists, so they cannot
 * check a session's CSRF token: each has its own guard, checked below.
 */
const PRE_SESSION: Record<string, string> = {
  // The admin-token sign-in form: a login CSRF check (the form's `_login` value must echo its
  // cookie, and the Origin be ours); without it, 403 and no session.
  'POST /ui/sign-in/token': 'login form value and cookie',
};

/**
 * Mounts (`router.use(path, handler)`) answering every method under their path themselves.
 * `refusal`: what a state-changing request with a session but no CSRF token gets there.
 */
const MOUNTS: Record<string, { why: string; refusal: number }> = {
  '/ui/static': { why: 'scripts and styles: express.static answers GET and HEAD only', refusal: 405 },
  '/ui/api/v1': { why: 'the admin API behind the session (ui-api.ts): its routes are listed with the admin router\'s', refusal: 403 },
};

/** The admin API routes that answer without a token. */
const PUBLIC_ADMIN: Record<string, string> = {
  // The OpenAPI description holds no secret; API-connector builders fetch it before they have a token.
  'GET /api/v1/openapi.json': 'the API description',
};

/** Signs in through the admin-token form as a browser does (web-fixtures.ts); the session cookie and its CSRF token. */
async function signIn(url: string): Promise<{ cookie: string; csrf: string }> {
  const cookie = await signInWithToken(url, TEST_ENV.ADMIN_TOKEN);
  assert.ok(cookie, 'signed in');
  const html = await (await fetch(`${url}/ui/my-access`, { headers: { cookie } })).text();
  return { cookie, csrf: /<meta name="csrf-token" content="([^"]+)">/.exec(html)![1]! };
}

const key = (r: RegisteredRoute) => `${r.method} ${r.path}`;

describe('every dashboard and admin API route, from the routers\' stacks, against its guards', () => {
  let server: TestServer;
  const agent = new FakeAgent();
  const config = testConfig();
  // The admin router the app mounts at /api/v1; the dashboard's adapter builds another from the same factory.
  // A budget no test reaches: every wrong token here must be answered 401, not 429.
  const failures = new FailureLimiter({ admin: { maxFailures: 100_000, windowMs: 60_000 } });
  const admin = createAdminRouter({ config, agent, failures });
  const web = createWebRouter({ config, agent, store: new MemoryStore(), log: silent, failures });
  const dashboard = routeTable(web, '/ui', { '/ui/api/v1': admin });
  const api = routeTable(admin, '/api/v1');
  let alice: { cookie: string; csrf: string };
  let bob: { cookie: string; csrf: string };

  before(async () => {
    server = await serveRouters([['/ui', web], ['/api/v1', admin]]);
    alice = await signIn(server.url);
    bob = await signIn(server.url);
  });
  after(() => server.close());

  /** A request to `path`; `session` adds its cookie, `csrf` the X-CSRF-Token header, `origin` the Origin header. */
  async function call(method: string, path: string, o: { session?: { cookie: string }; csrf?: string; origin?: string; authorization?: string } = {}) {
    const headers: Record<string, string> = {};
    if (o.session) headers.cookie = o.session.cookie;
    if (o.csrf !== undefined) headers['x-csrf-token'] = o.csrf;
    if (o.origin !== undefined) headers.origin = o.origin;
    if (o.authorization !== undefined) headers.authorization = o.authorization;
    const body = SAFE.has(method) ? undefined : '{}';
    if (body) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.url}${path}`, { method, headers, body, redirect: 'manual' });
    return { status: res.status, text: await res.text(), location: res.headers.get('location') ?? '', challenge: res.headers.get('www-authenticate') ?? '' };
  }
  type Answer = Awaited<ReturnType<typeof call>>;
  /** The guards' CSRF refusal: the problem of requireSession, or sign-out's plain text. */
  const csrfRefusal = (a: Answer) => a.status === 403 && (a.text.includes('https://hubwarden.dev/problems/csrf') || a.text === 'missing or wrong CSRF token');
  /** No route took the request (the admin router's own 404, or Express's). */
  const unrouted = (a: Answer, method: string) => a.status === 404 && (a.text.startsWith(`Cannot ${method} `) || a.text.includes(`"detail":"${method} /`));
  /** Runs `fn`; a call to the agent meanwhile (even a read) is noted in `wrong`. */
  async function untouched<T>(what: string, wrong: string[], fn: () => Promise<T>): Promise<T> {
    const before = agent.calls.length;
    const out = await fn();
    const calls = agent.calls.slice(before).map((c) => c.method);
    if (calls.length) wrong.push(`${what}: refused requests reached the agent (${calls.join(', ')})`);
    return out;
  }

  test('the stacks list the routes: pages, sign-in, read routes, exports, the admin API behind the session', () => {
    const counts = { dashboard: dashboard.routes.length, mutating: dashboard.routes.filter((r) => !SAFE.has(r.method)).length, admin: api.routes.length };
    // Floors only (routes are added over time): a walk that missed a nested router lists far fewer.
    assert.ok(counts.dashboard >= 40 && counts.mutating >= 14 && counts.admin >= 24, JSON.stringify(counts));
    for (const expected of ['POST /ui/my-access/offers/:offerId/claim', 'POST /ui/api/v1/hubs/:hubId/members/:memberId/remove', 'GET /ui/api/hubs/:hubId/assets', 'POST /ui/sign-out']) {
      assert.ok(dashboard.routes.some((r) => key(r) === expected), `${expected} is listed`);
    }
    assert.deepEqual(dashboard.mounts.map((m) => m.path).filter((p) => !(p in MOUNTS)), [], 'every mount of the dashboard is classified in MOUNTS');
    for (const listed of [...Object.keys(PRE_SESSION)]) assert.ok(dashboard.routes.some((r) => key(r) === listed), `${listed} (PRE_SESSION) is still a route`);
    for (const listed of Object.keys(PUBLIC_ADMIN)) assert.ok(api.routes.some((r) => key(r) === listed), `${listed} (PUBLIC_ADMIN) is still a route`);
  });

  test('every state-changing dashboard route refuses no session, no CSRF token, another session\'s token and another origin', async (t) => {
    const mutating = dashboard.routes.filter((r) => !SAFE.has(r.method) && !(key(r) in PRE_SESSION));
    const wrong: string[] = [];
    for (const route of mutating) {
      const path = concretePath(route, PARAMS);
      const what = `${route.method} ${path} (${route.path})`;
      await untouched(what, wrong, async () => {
        const anon = await call(route.method, path);
        const signInRedirect = anon.status === 303 && anon.location.startsWith('/ui/sign-in');
        if (!(anon.status === 401 || (signInRedirect && !route.path.startsWith('/ui/api/')))) wrong.push(`${what} without a session: ${anon.status} ${anon.location}`);
        const refusals: Array<[string, Parameters<typeof call>[2]]> = [
          ['without a CSRF token', { session: alice, origin: server.url }],
          ['with another session\'s CSRF token', { session: alice, csrf: bob.csrf, origin: server.url }],
          ['with a made-up CSRF token', { session: alice, csrf: 'x'.repeat(alice.csrf.length), origin: server.url }],
          ['from another origin', { session: alice, csrf: alice.csrf, origin: 'https://evil.example' }],
        ];
        for (const [how, o] of refusals) {
          const a = await call(route.method, path, o);
          if (!csrfRefusal(a)) wrong.push(`${what} ${how}: ${a.status} ${a.text.slice(0, 120)}`);
        }
      });
    }
    assert.deepEqual(wrong, [], 'each state-changing dashboard route refuses these requests');

    // The right token passes each guard: the refusals above were the guards', on routes that exist.
    // Sign-out ends the session it is given: a session of its own.
    for (const route of mutating) {
      const path = concretePath(route, PARAMS);
      const signOut = route.path === '/ui/sign-out';
      const s = signOut ? await signIn(server.url) : alice;
      const a = await call(route.method, path, { session: s, csrf: s.csrf, origin: server.url });
      const refused = a.status === 401 || (a.status === 303 && a.location.startsWith('/ui/sign-in') && !signOut) || csrfRefusal(a) || unrouted(a, route.method);
      assert.ok(!refused, `${route.method} ${path} with the session's token: ${a.status} ${a.location} ${a.text.slice(0, 160)}`);
    }
    t.diagnostic(`${mutating.length} state-changing dashboard routes: ${mutating.map(key).join(', ')}`);
  });

  test('a mount answering every method refuses a state-changing request without the CSRF token', async () => {
    const wrong: string[] = [];
    for (const mount of dashboard.mounts) {
      const { refusal } = MOUNTS[mount.path]!;
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const path = `${mount.path}/hubs/acme-ads`;
        const a = await untouched(`${method} ${path}`, wrong, () => call(method, path, { session: alice, origin: server.url }));
        if (a.status !== refusal || (refusal === 403 && !csrfRefusal(a))) wrong.push(`${method} ${path} without a CSRF token: ${a.status}, expected ${refusal}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('the routes that come before any session keep their own guard', async () => {
    const wrong: string[] = [];
    for (const listed of Object.keys(PRE_SESSION)) {
      const [method, path] = listed.split(' ') as [string, string];
      const a = await untouched(listed, wrong, () => call(method, path, { session: alice, csrf: alice.csrf, origin: server.url }));
      if (a.status !== 403) wrong.push(`${listed} without the login form's value: ${a.status}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('every admin API route refuses a missing or wrong bearer token; the right one passes', async (t) => {
    const wrong: string[] = [];
    const guarded = api.routes.filter((r) => !(key(r) in PUBLIC_ADMIN));
    for (const route of api.routes) {
      const path = concretePath(route, PARAMS);
      const what = `${route.method} ${path} (${route.path})`;
      if (key(route) in PUBLIC_ADMIN) {
        const open = await call(route.method, path);
        if (open.status !== 200) wrong.push(`${what} (public) without a token: ${open.status}`);
        continue;
      }
      await untouched(what, wrong, async () => {
        const none = await call(route.method, path);
        if (none.status !== 401 || none.challenge !== 'Bearer realm="hubwarden"') wrong.push(`${what} without a token: ${none.status} ${none.challenge}`);
        for (const bad of [`Bearer ${TEST_ENV.ADMIN_TOKEN}x`, 'Bearer not-a-token', `Basic ${Buffer.from(`admin:${TEST_ENV.ADMIN_TOKEN}`).toString('base64')}`, alice.cookie]) {
          const a = await call(route.method, path, { authorization: bad });
          if (a.status !== 401) wrong.push(`${what} with "${bad.slice(0, 12)}…": ${a.status}`);
        }
        // A dashboard session is no admin API credential.
        const withSession = await call(route.method, path, { session: alice, csrf: alice.csrf, origin: server.url });
        if (withSession.status !== 401) wrong.push(`${what} with a dashboard session: ${withSession.status}`);
      });
      const ok = await call(route.method, path, { authorization: `Bearer ${TEST_ENV.ADMIN_TOKEN}` });
      if (ok.status === 401 || unrouted(ok, route.method)) wrong.push(`${what} with the admin token: ${ok.status} ${ok.text.slice(0, 120)}`);
    }
    // A method no route registers is refused by the same guard.
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const a = await untouched(`${method} /api/v1/hubs`, wrong, () => call(method, '/api/v1/hubs'));
      if (a.status !== 401) wrong.push(`${method} /api/v1/hubs without a token: ${a.status}`);
    }
    assert.deepEqual(wrong, []);
    t.diagnostic(`${api.routes.length} admin API routes, ${guarded.length} behind the token`);
  });

  test('the dashboard\'s hub-role gate lets non-administrators reach admin routes one by one, never by a wildcard', () => {
    // The gate's routes (ui-api.ts hubRoleGate) are the only ones the dashboard's own stack has
    // under /ui/api/v1: the admin routes behind it are run by the adapter. Anything the gate does
    // not list is refused to hub owners and managers, so an admin route added later stays closed
    // to them until it is listed, unless a rule with a parameter for the action already covers it.
    const rules = routeTable(web, '/ui').routes.filter((r) => r.path.startsWith('/ui/api/v1/'));
    const behind = api.routes.map((r) => ({ method: r.method, path: r.path.replace(/^\/api\/v1/, '/ui/api/v1') }));
    assert.ok(rules.length >= 10, `${rules.length} gate rules`);
    const loose = rules.map((rule) => ({ rule, covers: behind.filter((r) => r.method === rule.method && pathPattern(rule).test(r.path)) }))
      .filter(({ covers }) => covers.length !== 1)
      .map(({ rule, covers }) => `${key(rule)} covers ${covers.length} admin routes${covers.length ? `: ${covers.map((c) => c.path.split('/').pop()).join(', ')}` : ''}`);
    assert.deepEqual(loose, [], 'each gate rule names exactly one admin route');
  });

  test('the path patterns match the concrete paths the checks request', () => {
    for (const route of [...dashboard.routes, ...api.routes]) assert.match(concretePath(route, PARAMS), pathPattern(route), key(route));
  });
});
