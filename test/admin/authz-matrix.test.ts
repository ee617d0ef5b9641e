/**
 * The authorization matrix: every HTTP entry point of the composed server (scim-server/compose.ts
 * on the memory store; hub A on the built-in sandbox mounted as main.ts mounts it, hub B on a
 * business of its own), called as
 * every kind of caller, each answered with the status the docs promise (README, docs/security.md
 * "Surfaces and their authentication", docs/dashboard.md "Hub roles and My access" and "Sessions
 * and CSRF"). A refusal carries no secret and writes nothing to the store; state-changing dashboard
 * requests without the CSRF token are refused.
 *
 * Callers: nobody (no credential), a wrong bearer token, a made-up session cookie, hub A's and hub
 * B's SCIM tokens, an admin token, the Okta event hook secret, a global administrator signed in
 * (allowedEmails), one whose session was ended by revocation, one whose session is past its
 * 12-hour limit, the owner, a manager and a collaborator of hub A, the owner of
 * hub B only, a person signed in whom no directory knows, an admin token scoped to hub B (404 on
 * anything of hub A, as an unknown hub; 403 on /metrics, which wants a token of every hub) and a dashboard
 * session signed in with it (an owner of hub B).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Router } from 'express';
import { matrixServer } from './authz-matrix-server.ts';
import { A, CALLERS, SESSIONS, UNLISTED, type Route } from './authz-matrix-routes.ts';
import { pathPattern, routeTable, type RegisteredRoute } from './route-table.ts';

describe('authorization matrix: every route × every caller', () => {
  const m = matrixServer();
  const { routes, concrete, request, refusal, writesDuring, noSecret } = m;

  test('every route the dashboard and the admin API register has a row in the matrix (or is UNLISTED, with why)', (t) => {
    // The routers this server runs, read from their stacks (test/admin/route-table.ts): a route added
    // later is found here without anyone listing it. The dashboard's /ui/api/v1 hands every request
    // to an admin router from the same factory as /api/v1 (web/ui-api.ts), whose routes it lists.
    const mounted = (path: string) => m.hubwarden.routers.find((m) => m.path === path && (m.router as { stack?: unknown }).stack)!.router as Router;
    const admin = mounted('/api/v1');
    const registered = [...routeTable(mounted('/ui'), '/ui', { '/ui/api/v1': admin }).routes, ...routeTable(admin, '/api/v1').routes];
    const rows = routes().map((r) => ({ method: r.method, path: concrete(r.path).split('?')[0]! }));
    const key = (r: RegisteredRoute) => `${r.method} ${r.path}`;
    const unclassified = registered.filter((r) => !(key(r) in UNLISTED) && !rows.some((row) => row.method === r.method && pathPattern(r).test(row.path)));
    assert.deepEqual(unclassified.map(key), [], 'routes with no row in the matrix: add one for each (who may call it, what everyone else gets), or list it in UNLISTED with why');
    for (const listed of Object.keys(UNLISTED)) assert.ok(registered.some((r) => key(r) === listed), `${listed} (UNLISTED) is still a route`);
    const count = (prefix: string) => registered.filter((r) => r.path === prefix.slice(0, -1) || r.path.startsWith(prefix)).length;
    assert.ok(count('/api/v1/') >= 24 && count('/ui/api/v1/') >= 24, 'both copies of the admin API are listed');
    t.diagnostic(`${registered.length} routes: ${count('/ui/') - count('/ui/api/v1/')} dashboard, ${count('/ui/api/v1/')} /ui/api/v1, ${count('/api/v1/')} /api/v1`);
  });

  test('every refused caller gets the documented refusal, no secret, and no store write', async (t) => {
    // The write check sees writes: the same request, allowed, writes its task.
    const check: Route = { surface: 'admin', method: 'POST', path: `/api/v1/hubs/${A}/check-for-updates`, allow: {} };
    const allowed = await writesDuring(async () => assert.equal((await request(check, 'adminToken', 0)).status, 202));
    assert.ok(allowed.some((c) => c.collection === 'tasks' && c.record !== undefined), 'an allowed change is seen');
    let cells = 0;
    const wrong: string[] = [];
    for (const route of routes()) {
      for (const caller of CALLERS) {
        if (route.allow[caller] !== undefined) continue;
        const want = refusal(route, caller);
        let res: Response | undefined;
        let text = '';
        const writes = await writesDuring(async () => {
          res = await request(route, caller, cells);
          text = await res.text();
        });
        cells++;
        const what: string = `${route.method} ${route.path} as ${caller}`;
        if (res!.status !== want) wrong.push(`${what}: ${res!.status}, expected ${want}`);
        noSecret(text, what, caller);
        if (want === 303 && route.surface === 'page') assert.match(res!.headers.get('location') ?? '', /^\/ui\/(sign-in|my-access)/, what);
        assert.deepEqual(writes.map((c) => `${c.collection}/${c.partition}`), [], `${what}: nothing written`);
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(cells > 700, `${cells} refused cells`);
    t.diagnostic(`${routes().length} routes × ${CALLERS.length} callers: ${cells} refused cells`);
  });

  test('a state-changing dashboard request without the CSRF token is refused (403) and changes nothing', async (t) => {
    let cells = 0;
    for (const route of routes()) {
      if (route.method === 'GET' || !route.path.startsWith('/ui/')) continue;
      for (const caller of SESSIONS) {
        let res: Response | undefined;
        let text = '';
        const writes = await writesDuring(async () => {
          res = await request(route, caller, cells, false);
          text = await res.text();
        });
        cells++;
        const what: string = `${route.method} ${route.path} as ${caller} without CSRF`;
        assert.equal(res!.status, 403, what);
        noSecret(text, what, caller);
        assert.deepEqual(writes.map((c) => c.collection), [], `${what}: nothing written`);
      }
    }
    // Sign-out too: without the token a cross-site form signs nobody out, and the session stays.
    const signOut: Route = { surface: 'page', method: 'POST', path: '/ui/sign-out', allow: {}, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: () => '' };
    const myAccess: Route = { surface: 'page', method: 'GET', path: '/ui/my-access', allow: {} };
    for (const caller of SESSIONS) {
      assert.equal((await request(signOut, caller, cells++, false)).status, 403, `sign-out as ${caller} without CSRF`);
      assert.equal((await request(myAccess, caller, cells)).status, 200, `${caller} is still signed in`);
    }
    assert.ok(cells >= 60, `${cells} CSRF cells`);
    t.diagnostic(`${cells} cells without the CSRF token`);
  });
});
