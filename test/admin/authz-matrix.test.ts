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
 * hub B only, and a person signed in whom no directory knows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { Router } from 'express';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { DirectoryGroupRecord, DirectoryUserRecord } from '../../agent/desired-state/directory-records.ts';
import { Keyring } from '../../agent/secrets/keyring.ts';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import type { Change } from '../../agent/store/store.ts';
import { parseConfig } from '../../config/load.ts';
import { createMetaEmulator, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { createApp } from '../../scim-server/app.ts';
import { composeHubwarden, type Hubwarden } from '../../scim-server/compose.ts';
import { adminTokensFrom } from '../../scim-server/admin/admin-tokens.ts';
import { bearerToken } from '../../scim-server/bearer.ts';
import { createSandboxes, sandboxUrls } from '../../scim-server/sandboxes.ts';
import { endSessionsOf } from '../../scim-server/web/session-revocation.ts';
import { SessionStore } from '../../scim-server/web/session-store.ts';
import { DIR, HUB, seedDirectory } from '../check-for-updates-e2e/business.ts';
import { until } from '../agent-e2e/harness.ts';
import { pathPattern, routeTable, type RegisteredRoute } from './route-table.ts';

const A = HUB;
const B = 'beta-meta';
const SECRETS = {
  ADMIN_TOKEN: 'matrix-admin-token-0123456789abcdef',
  SCIM_A: 'matrix-scim-token-hub-a-0123456789',
  SCIM_B: 'matrix-scim-token-hub-b-0123456789',
  OKTA_HOOK: 'matrix-okta-hook-secret-0123456789',
  ENTRA_SECRET: 'matrix-entra-client-secret-0123',
  OIDC_SECRET: 'matrix-oidc-client-secret-0123',
  META_TOKEN: SANDBOX.token,
};
const PEOPLE = {
  dashAdmin: 'boss@sandbox.example',
  revoked: 'former.boss@sandbox.example',
  ownerA: 'ada.lovelace@sandbox.example',
  managerA: 'max.manager@sandbox.example',
  collabA: 'eve@sandbox.example',
  ownerB: 'bea.owner@beta.example',
  nobody: 'stranger@elsewhere.example',
} as const;

type Person = keyof typeof PEOPLE;
const SIGNED_IN = ['dashAdmin', 'ownerA', 'managerA', 'collabA', 'ownerB', 'nobody'] as const satisfies readonly Person[];
const CALLERS = ['anon', 'badBearer', 'badCookie', 'scimA', 'scimB', 'adminToken', 'hookSecret', 'revoked', 'expired', ...SIGNED_IN] as const;
type Caller = (typeof CALLERS)[number];
type Surface = 'scim' | 'admin' | 'hook' | 'page' | 'ui-api' | 'open';

/** A route and who may use it; anyone else gets the surface's refusal (`refusal` below) unless `expect` names them. */
interface Route {
  surface: Surface;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** Callers allowed, and the status they get ('2xx' for any success). */
  allow: Partial<Record<Caller, number | '2xx'>>;
  /** Other callers whose answer is not the surface's default refusal. */
  expect?: Partial<Record<Caller, number>>;
  body?: (caller: Caller, n: number) => unknown;
  headers?: Record<string, string>;
}

const at = '2026-11-01T00:00:00.000Z';
const user = (hubId: string, id: string, email: string): DirectoryUserRecord =>
  ({ hubId, id, userName: email, active: true, displayName: id, email, emails: [email], scim: { userName: email }, created: at, lastModified: at, version: 1 });
const group = (hubId: string, id: string, displayName: string, members: string[]): DirectoryGroupRecord =>
  ({ hubId, id, displayName, members: members.map((value) => ({ value })), scim: {}, created: at, lastModified: at, version: 1 });

/** Every caller of `list` gets `status`. */
const all = (list: readonly Caller[], status: number | '2xx'): Partial<Record<Caller, number | '2xx'>> => Object.fromEntries(list.map((c) => [c, status]));
const MANAGERS_A = ['dashAdmin', 'ownerA', 'managerA'] as const;
const MANAGERS_B = ['dashAdmin', 'ownerB'] as const;
const ANY_MANAGER = ['dashAdmin', 'ownerA', 'managerA', 'ownerB'] as const;
const NO_HUB = ['collabA', 'nobody'] as const;

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('authorization matrix: every route × every caller', () => {
  const http = createServer();
  let url: string;
  let hubwarden: Hubwarden;
  let store: MemoryStore;
  const closers: Array<() => Promise<void>> = [];
  const cookies = new Map<Caller, { cookie: string; csrf: string }>();
  const secrets: string[] = Object.values(SECRETS);
  let taskA = '';
  let taskB = '';
  let memberA = '';
  let memberB = '';
  let addressNo = 0;
  let sandboxPath = '';

  before(async () => {
    url = await listen(http);
    // Hub B's business on an emulator of its own; hub A is the built-in sandbox, mounted as
    // main.ts mounts it (control endpoints for admin tokens only).
    const graphB = await createMetaEmulator().listen(0);
    closers.push(graphB.close);
    const config = parseConfig(`
server:
  publicUrl: ${url}
  adminTokens: [env:ADMIN_TOKEN]
  # Every request below names its own client address (X-Forwarded-For from the loopback proxy),
  # so the wrong-credential budget of one address never turns a 401 into a 429.
  trustProxy: loopback
  oidc: { issuer: "https://idp.sandbox.example", clientId: hubwarden, clientSecret: env:OIDC_SECRET, allowedEmails: [${PEOPLE.dashAdmin}, ${PEOPLE.revoked}] }
identityProviders:
  okta: { kind: okta, orgUrl: "https://acme.okta.example", eventHookSecret: env:OKTA_HOOK }
  entra:
    kind: entra
    tenantId: tenant-matrix
    clientId: hubwarden-app
    clientSecret: env:ENTRA_SECRET
    extensionAppId: ext-app
    graphBaseUrl: http://127.0.0.1:9
    authorityUrl: http://127.0.0.1:9
    lifecycleWorkflows: { allowedAppIds: [relay], audience: "api://hubwarden" }
hubs:
  - id: ${A}
    connector: meta-business
    identityProvider: okta
    meta: { businessId: "${SANDBOX.businessId}", graphBaseUrl: sandbox }
    scim: { tokens: [env:SCIM_A] }
    teams:
      - { group: Meta Admins, hubRole: owner, appRole: ADMIN }
      - { group: Meta Managers, hubRole: manager, appRole: EMPLOYEE }
      - { group: Meta Advertisers, appRole: EMPLOYEE }
    partners: []
    checkForUpdates: { onConnect: false }
  - id: ${B}
    connector: meta-business
    identityProvider: okta
    meta: { businessId: "${SANDBOX.businessId}", accessToken: env:META_TOKEN, graphBaseUrl: ${graphB.url} }
    scim: { tokens: [env:SCIM_B] }
    teams:
      - { group: Beta Owners, hubRole: owner, appRole: ADMIN }
      - { group: Beta Staff, appRole: EMPLOYEE }
    partners: []
    checkForUpdates: { onConnect: false }
`, '/tmp/hubwarden-authz-matrix.yaml', { ...SECRETS });
    store = new MemoryStore();
    await seedDirectory(store);
    await store.transact((tx) => {
      tx.put('directoryUsers', A, 'dir-max', user(A, 'dir-max', PEOPLE.managerA));
      tx.put('directoryGroups', A, 'grp-managers', group(A, 'grp-managers', 'Meta Managers', ['dir-max']));
      // Throwaway records for hub A's and hub B's SCIM writes.
      tx.put('directoryUsers', A, 'dir-scim-gone', user(A, 'dir-scim-gone', 'gone.a@sandbox.example'));
      tx.put('directoryGroups', A, 'grp-scim', group(A, 'grp-scim', 'Scim Scratch', []));
      tx.put('directoryGroups', A, 'grp-scim-gone', group(A, 'grp-scim-gone', 'Scim Gone', []));
      // Hub B: Bea owns it; Ada is only staff there.
      for (const u of [user(B, 'b-bea', PEOPLE.ownerB), user(B, 'b-ada', PEOPLE.ownerA), user(B, 'b-scim-gone', 'gone.b@beta.example')]) tx.put('directoryUsers', B, u.id, u);
      tx.put('directoryGroups', B, 'b-owners', group(B, 'b-owners', 'Beta Owners', ['b-bea']));
      tx.put('directoryGroups', B, 'b-staff', group(B, 'b-staff', 'Beta Staff', ['b-ada']));
    });
    const adminTokens = adminTokensFrom(config);
    const sandboxSet = await createSandboxes(config.file.hubs, (req) => adminTokens.actorFor(bearerToken(req.headers.authorization) ?? '') !== undefined);
    closers.push(sandboxSet.close);
    sandboxPath = sandboxSet.sandboxes[0]!.path;
    hubwarden = composeHubwarden({
      config, store, keyring: Keyring.fromKey(randomBytes(32)), sandboxUrls: () => sandboxUrls(sandboxSet.sandboxes, url), auditFile: false, extraRouters: sandboxSet.routers,
      runner: { backoffBaseMs: 50, backoffMaxMs: 500, leaseMs: 5_000 },
    });
    await hubwarden.start();
    http.on('request', createApp({ store, trustProxy: 'loopback', log: { debug() {}, info() {}, warn() {}, error() {} } as never, routers: hubwarden.routers }));

    // Both hubs imported, so there are member rows and a task on each.
    for (const hubId of [A, B]) {
      const check = await hubwarden.agent.api.checkForUpdates(hubId, { type: 'schedule', detail: 'authz matrix' });
      await until(`the first check for updates of ${hubId}`, async () => ['completed', 'failed'].includes((await hubwarden.agent.api.task(check.id))?.status ?? ''), 30_000);
      if (hubId === A) taskA = check.id;
      else taskB = check.id;
    }
    await hubwarden.agent.idle();
    memberA = SANDBOX.employees[1]!;
    memberB = SANDBOX.employees[2]!;
    assert.ok(await hubwarden.agent.api.member(A, memberA), 'hub A has the member row the matrix acts on');
    assert.ok(await hubwarden.agent.api.member(B, memberB), 'hub B has the member row the matrix acts on');

    const sessions = new SessionStore(store);
    for (const who of [...SIGNED_IN, 'revoked'] as const) {
      const s = await sessions.create(PEOPLE[who], 'oidc', { admin: who === 'dashAdmin' || who === 'revoked', email: PEOPLE[who] });
      cookies.set(who, { cookie: `hubwarden-session=${s.id}`, csrf: s.csrf });
      secrets.push(s.id, s.csrf);
    }
    // The administrator's session ended by the identity provider (Okta deactivation, Lifecycle Workflows).
    const ended = await endSessionsOf(store, { ids: [], emails: [PEOPLE.revoked] }, { trigger: { type: 'okta-event-hook', idp: 'okta' }, why: 'authz matrix: deactivated' });
    assert.equal(ended, 1);
  });

  after(async () => {
    await hubwarden.stop(500);
    await new Promise<void>((resolve) => { http.closeAllConnections(); http.close(() => resolve()); });
    for (const close of closers) await close();
  });

  /** A global administrator's session signed in 13 hours ago (past the 12-hour limit): one per request, as the first use deletes it. */
  async function expiredSession(): Promise<{ cookie: string; csrf: string }> {
    const s = await new SessionStore(store, undefined, () => Date.now() - 13 * 60 * 60_000).create(PEOPLE.dashAdmin, 'oidc', { admin: true, email: PEOPLE.dashAdmin });
    secrets.push(s.id, s.csrf);
    return { cookie: `hubwarden-session=${s.id}`, csrf: s.csrf };
  }

  /** A route's path with the ids of the tasks and member rows made in `before`. */
  const concrete = (path: string) => path.replace('{taskA}', taskA).replace('{taskB}', taskB).replace('{memberA}', memberA).replace('{memberB}', memberB);

  /** The request as `caller` makes it; `csrf: false` leaves the session's CSRF token out. */
  async function request(route: Route, caller: Caller, n: number, csrf = true): Promise<Response> {
    const headers: Record<string, string> = { 'x-forwarded-for': `198.51.100.${(addressNo++ % 250) + 1}`, ...route.headers };
    if (caller === 'badBearer') headers.authorization = 'Bearer not-a-token-of-this-server';
    if (caller === 'scimA') headers.authorization = `Bearer ${SECRETS.SCIM_A}`;
    if (caller === 'scimB') headers.authorization = `Bearer ${SECRETS.SCIM_B}`;
    if (caller === 'adminToken') headers.authorization = `Bearer ${SECRETS.ADMIN_TOKEN}`;
    // Okta sends the event hook secret as the whole Authorization header value.
    if (caller === 'hookSecret') headers.authorization = SECRETS.OKTA_HOOK;
    if (caller === 'badCookie') headers.cookie = `hubwarden-session=${randomBytes(32).toString('base64url')}`;
    const session = caller === 'expired' ? await expiredSession() : cookies.get(caller);
    if (session) {
      headers.cookie = session.cookie;
      headers.origin = url;
      if (route.method !== 'GET' && csrf) headers['x-csrf-token'] = session.csrf;
    }
    const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : route.body?.(caller, n) ?? {};
    if (body !== undefined && !headers['content-type']) headers['content-type'] = route.surface === 'scim' ? 'application/scim+json' : 'application/json';
    return fetch(`${url}${concrete(route.path)}`, { method: route.method, redirect: 'manual', headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  }

  /** What a caller not allowed gets on each surface. */
  function refusal(route: Route, caller: Caller): number {
    const explicit = route.expect?.[caller];
    if (explicit !== undefined) return explicit;
    const signedIn = (SIGNED_IN as readonly Caller[]).includes(caller);
    switch (route.surface) {
      case 'page': return signedIn ? 403 : 303;
      case 'ui-api': return signedIn ? 403 : 401;
      default: return 401;
    }
  }

  const scimUser = (_c: Caller, n: number) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `matrix.${n}@sandbox.example`, emails: [{ value: `matrix.${n}@sandbox.example`, primary: true }], active: true });
  const scimPatch = () => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Patched by matrix' }] });
  const scimGroup = (_c: Caller, n: number) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `Matrix group ${n}` });

  function scimRoutes(hubId: string, allowed: 'scimA' | 'scimB', userId: string, goneUser: string): Route[] {
    const base = `/scim/v2/hubs/${hubId}`;
    const ok = (s: number | '2xx') => ({ [allowed]: s });
    const r = (method: Route['method'], path: string, status: number | '2xx', body?: Route['body']): Route => ({ surface: 'scim', method, path: `${base}${path}`, allow: ok(status), ...(body ? { body } : {}) });
    return [
      r('GET', '/ServiceProviderConfig', 200), r('GET', '/ResourceTypes', 200), r('GET', '/Schemas', 200),
      r('GET', '/Users', 200), r('GET', `/Users/${userId}`, 200), r('POST', '/Users', 201, scimUser),
      // PATCH answers 200 with the resource or 204 without it (RFC 7644 §3.5.2).
      r('PATCH', `/Users/${userId}`, '2xx', scimPatch),
      r('PUT', `/Users/${userId}`, 200, () => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: hubId === A ? 'Grace.Hopper@Sandbox.example' : PEOPLE.ownerB, emails: [{ value: hubId === A ? 'Grace.Hopper@Sandbox.example' : PEOPLE.ownerB, primary: true }], active: true })),
      r('DELETE', `/Users/${goneUser}`, 204),
      r('GET', '/Groups', 200), r('POST', '/Groups', 201, scimGroup),
      ...(hubId === A ? [
        r('GET', '/Groups/grp-scim', 200), r('PATCH', '/Groups/grp-scim', '2xx', scimPatch),
        r('PUT', '/Groups/grp-scim', 200, () => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Scim Scratch' })),
        r('DELETE', '/Groups/grp-scim-gone', 204),
      ] : []),
    ];
  }

  /** The admin API's routes; `prefix` /api/v1 (bearer) or /ui/api/v1 (session adapter). */
  function adminRoutes(): Route[] {
    const r = (method: Route['method'], path: string, status: number | '2xx', body?: Route['body']): Route => ({ surface: 'admin', method, path: `/api/v1${path}`, allow: { adminToken: status }, ...(body ? { body } : {}) });
    return [
      { surface: 'open', method: 'GET', path: '/api/v1/openapi.json', allow: all(CALLERS, 200) },
      r('GET', '/hubs', 200), r('GET', `/hubs/${A}`, 200), r('GET', `/hubs/${A}/members`, 200), r('GET', `/hubs/${A}/members/{memberA}`, 200),
      r('GET', `/hubs/${A}/plan`, 200), r('POST', `/hubs/${A}/check-for-updates`, 202),
      r('POST', `/hubs/${A}/members/{memberA}/exempt`, 200, () => ({ reason: 'authz matrix' })),
      r('POST', `/hubs/${A}/members/{memberA}/unexempt`, 200),
      r('GET', '/tasks', 200), r('GET', '/tasks/{taskA}', 200), r('GET', '/reports', 200), r('GET', '/approvals', 200), r('GET', '/audit', 200),
      r('POST', '/reports/no-such-report/apply', 404, () => ({ memberIds: 'all' })), r('POST', '/approvals/no-such-approval/approve', 404, () => ({ reason: 'authz matrix' })),
      r('GET', '/people/nobody-here@sandbox.example/offers', 200), r('POST', '/people/nobody-here@sandbox.example/reevaluate', 404),
      r('POST', '/people/nobody-here@sandbox.example/offers/no-such-offer/claim', 404),
      // Member decisions on a row that does not exist (found by the route-table check): the route runs, changes nothing.
      r('POST', `/hubs/${A}/members/no-such-member/match`, 404, () => ({ directoryUserId: DIR.grace })),
      r('POST', `/hubs/${A}/members/no-such-member/unmatch`, 404), r('POST', `/hubs/${A}/members/no-such-member/remove`, 404),
      r('POST', '/approvals/no-such-approval/reject', 404),
      // Offboarding someone no directory knows: a task that finds nothing to remove.
      r('POST', '/people/nobody-here@sandbox.example/offboard', 202),
    ];
  }

  /** The dashboard: pages, read routes, exports, the admin API behind the session, My access. */
  function dashboardRoutes(): Route[] {
    const page = (path: string, allow: readonly Caller[], expect?: Route['expect']): Route => ({ surface: 'page', method: 'GET', path: `/ui${path}`, allow: all(allow, 200), ...(expect ? { expect } : {}) });
    const api = (method: Route['method'], path: string, allow: readonly Caller[], status: number | '2xx' = 200, body?: Route['body'], expect?: Route['expect']): Route =>
      ({ surface: 'ui-api', method, path: `/ui${path}`, allow: all(allow, status), ...(body ? { body } : {}), ...(expect ? { expect } : {}) });
    const adminOnly404 = { dashAdmin: 404 } as const;
    return [
      page('/', ANY_MANAGER, { collabA: 303, nobody: 303 }),
      page(`/hubs/${A}`, MANAGERS_A), page(`/hubs/${A}?tab=settings`, ['dashAdmin', 'ownerA']),
      page(`/hubs/${B}`, MANAGERS_B), page(`/hubs/${B}?tab=settings`, MANAGERS_B),
      page('/automation', ANY_MANAGER), page('/audit', ANY_MANAGER), page('/my-access', SIGNED_IN),
      api('GET', `/charts/hubs/${A}/standing.svg`, MANAGERS_A), api('GET', `/charts/hubs/${B}/standing.svg`, MANAGERS_B),
      api('GET', `/api/hubs/${A}/assets`, MANAGERS_A), api('GET', `/api/hubs/${A}/partners`, MANAGERS_A), api('GET', `/api/hubs/${A}/directory-users?search=a`, MANAGERS_A),
      api('GET', `/api/hubs/${B}/assets`, MANAGERS_B), api('GET', `/api/hubs/${B}/directory-users?search=a`, MANAGERS_B),
      api('GET', `/export/hubs/${A}/members.csv`, MANAGERS_A), api('GET', `/export/hubs/${B}/members.csv`, MANAGERS_B),
      api('GET', '/export/audit.csv', ANY_MANAGER), api('GET', `/export/audit.csv?hubId=${A}`, MANAGERS_A), api('GET', `/export/audit.csv?hubId=${B}`, MANAGERS_B),
      api('GET', '/api/v1/openapi.json', SIGNED_IN),
      api('GET', '/api/v1/hubs', ANY_MANAGER), api('GET', `/api/v1/hubs/${A}`, MANAGERS_A), api('GET', `/api/v1/hubs/${B}`, MANAGERS_B),
      api('GET', `/api/v1/hubs/${A}/members`, MANAGERS_A), api('GET', `/api/v1/hubs/${A}/members/{memberA}`, MANAGERS_A), api('GET', `/api/v1/hubs/${A}/plan`, MANAGERS_A),
      api('GET', `/api/v1/hubs/${B}/members`, MANAGERS_B), api('GET', `/api/v1/hubs/${B}/members/{memberB}`, MANAGERS_B), api('GET', `/api/v1/hubs/${B}/plan`, MANAGERS_B),
      api('GET', '/api/v1/hubs/no-such-hub/members', [], 200, undefined, adminOnly404),
      api('POST', `/api/v1/hubs/${A}/check-for-updates`, MANAGERS_A, 202), api('POST', `/api/v1/hubs/${B}/check-for-updates`, MANAGERS_B, 202),
      api('POST', `/api/v1/hubs/${A}/members/{memberA}/exempt`, MANAGERS_A, 200, () => ({ reason: 'authz matrix' })),
      api('POST', `/api/v1/hubs/${A}/members/{memberA}/unexempt`, MANAGERS_A),
      api('POST', `/api/v1/hubs/${B}/members/{memberB}/exempt`, MANAGERS_B, 200, () => ({ reason: 'authz matrix' })),
      api('POST', `/api/v1/hubs/${B}/members/{memberB}/unexempt`, MANAGERS_B),
      api('GET', '/api/v1/tasks', ANY_MANAGER), api('GET', `/api/v1/tasks?hubId=${A}`, MANAGERS_A), api('GET', `/api/v1/tasks?hubId=${B}`, MANAGERS_B),
      api('GET', '/api/v1/tasks/{taskA}', MANAGERS_A), api('GET', '/api/v1/tasks/{taskB}', MANAGERS_B),
      api('GET', '/api/v1/reports', ANY_MANAGER), api('GET', '/api/v1/approvals', ANY_MANAGER),
      api('GET', '/api/v1/audit', ANY_MANAGER), api('GET', `/api/v1/audit?hubId=${A}`, MANAGERS_A), api('GET', `/api/v1/audit?hubId=${B}`, MANAGERS_B),
      api('POST', '/api/v1/reports/no-such-report/apply', [], 200, () => ({ memberIds: 'all' }), adminOnly404),
      api('POST', '/api/v1/approvals/no-such-approval/reject', [], 200, undefined, adminOnly404),
      // Person-wide: global administrators only.
      api('GET', `/api/v1/people/${PEOPLE.collabA}/offers`, ['dashAdmin']),
      api('POST', '/api/v1/people/nobody-here@sandbox.example/reevaluate', [], 200, undefined, adminOnly404),
      api('POST', `/api/v1/people/${PEOPLE.collabA}/offers/no-such-offer/claim`, [], 200, undefined, adminOnly404),
      api('POST', '/api/v1/people/nobody-here@sandbox.example/offboard', ['dashAdmin'], 202),
      // Member decisions on a row that does not exist: hub A's managers reach the route (404), nobody else.
      api('POST', `/api/v1/hubs/${A}/members/no-such-member/match`, MANAGERS_A, 404, () => ({ directoryUserId: DIR.grace })),
      api('POST', `/api/v1/hubs/${A}/members/no-such-member/unmatch`, MANAGERS_A, 404),
      api('POST', `/api/v1/hubs/${B}/members/no-such-member/remove`, MANAGERS_B, 404),
      api('POST', '/api/v1/approvals/no-such-approval/approve', [], 200, () => ({ reason: 'authz matrix' }), adminOnly404),
      // My access: anyone signed in claims their own offers (none here: 404), a stranger is sent to sign in.
      { surface: 'page', method: 'POST', path: '/ui/my-access/offers/no-such-offer/claim', allow: {}, expect: all(SIGNED_IN, 404) as Route['expect'] },
    ];
  }

  function hookRoutes(): Route[] {
    const delivery = () => ({ data: { events: [] } });
    return [
      { surface: 'open', method: 'GET', path: '/hooks/okta', headers: { 'x-okta-verification-challenge': 'matrix' }, allow: all(CALLERS, 200) },
      { surface: 'hook', method: 'POST', path: '/hooks/okta', body: delivery, allow: { hookSecret: 200 } },
      { surface: 'hook', method: 'POST', path: '/hooks/entra/lifecycle', body: () => ({ data: {} }), allow: {} },
      { surface: 'open', method: 'GET', path: '/healthz', allow: all(CALLERS, 200) },
      // Behind the (loopback) proxy, /metrics needs an admin token.
      { surface: 'admin', method: 'GET', path: '/metrics', allow: { adminToken: 200 } },
      // The built-in sandbox's control endpoints: admin tokens only (docs/security.md, fixed item 4).
      { surface: 'admin', method: 'GET', path: `${sandboxPath}/__emulator/state`, allow: { adminToken: 200 } },
      { surface: 'admin', method: 'GET', path: `${sandboxPath}/__emulator/calls`, allow: { adminToken: 200 } },
      { surface: 'admin', method: 'POST', path: `${sandboxPath}/__emulator/invites/no-such-invite/accept`, allow: { adminToken: 404 } },
    ];
  }

  // A hub that does not exist: no credential opens it, so 401 to everyone, as a wrong token on a
  // configured hub (hub ids cannot be probed; scim-server/scim/router.test.ts).
  const unknownScimHub: Route = { surface: 'scim', method: 'GET', path: '/scim/v2/hubs/no-such-hub/Users', allow: {}, expect: all(CALLERS, 401) as Route['expect'] };
  const routes = (): Route[] => [unknownScimHub, ...scimRoutes(A, 'scimA', DIR.grace, 'dir-scim-gone'), ...scimRoutes(B, 'scimB', 'b-bea', 'b-scim-gone'), ...adminRoutes(), ...hookRoutes(), ...dashboardRoutes()];

  /**
   * Store writes while `fn` runs, but the failure budget, sessions (their last use; an expired one
   * is deleted when presented) and the agent's own timers: the schedule slots and the archive
   * moving tasks finished a minute ago (no request deletes a task).
   */
  const background = (c: Change) => ['authFailures', 'dashboardSessions', 'scheduleRuns', 'finishedTasks'].includes(c.collection)
    || (['tasks', 'taskKeys'].includes(c.collection) && c.record === undefined);
  async function writesDuring(fn: () => Promise<void>): Promise<Change[]> {
    const seen: Change[] = [];
    const stop = store.subscribe((changes) => seen.push(...changes.filter((c) => !background(c))));
    try {
      await fn();
      await hubwarden.agent.idle();
    } finally {
      stop();
    }
    return seen;
  }

  const statusOk = (want: number | '2xx', got: number) => (want === '2xx' ? got >= 200 && got < 300 : got === want);
  /** No credential in an answer; a page may carry the caller's own CSRF token (its forms need it). */
  const noSecret = (text: string, what: string, caller: Caller) => {
    const own = cookies.get(caller)?.csrf;
    for (const s of secrets) if (s !== own) assert.ok(!text.includes(s), `${what}: the answer carries no secret`);
  };

  /**
   * Registered routes of the dashboard and the admin API with no row above, and why. Each is
   * checked elsewhere; a route not here and without a row fails the test below.
   */
  const UNLISTED: Record<string, string> = {
    // Sign-in and sign-out come before a session (or end it) and answer every caller alike; their
    // guards (login CSRF, the OIDC state cookie, sign-out's CSRF token) are checked in
    // scim-server/web/web-router.test.ts, oidc-sign-in.test.ts and test/admin/route-guards.test.ts,
    // and sign-out's without the token in the CSRF test below.
    'GET /ui/sign-in': 'sign-in page',
    'POST /ui/sign-in/token': 'admin-token sign-in form',
    'POST /ui/sign-out': 'sign-out',
    'GET /ui/auth/oidc': 'OIDC sign-in start',
    'GET /ui/auth/callback': 'OIDC sign-in callback',
  };

  test('every route the dashboard and the admin API register has a row in the matrix (or is UNLISTED, with why)', (t) => {
    // The routers this server runs, read from their stacks (test/admin/route-table.ts): a route added
    // later is found here without anyone listing it. The dashboard's /ui/api/v1 hands every request
    // to an admin router from the same factory as /api/v1 (web/ui-api.ts), whose routes it lists.
    const mounted = (path: string) => hubwarden.routers.find((m) => m.path === path && (m.router as { stack?: unknown }).stack)!.router as Router;
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
      for (const caller of SIGNED_IN) {
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
    for (const caller of SIGNED_IN) {
      assert.equal((await request(signOut, caller, cells++, false)).status, 403, `sign-out as ${caller} without CSRF`);
      assert.equal((await request(myAccess, caller, cells)).status, 200, `${caller} is still signed in`);
    }
    assert.ok(cells >= 60, `${cells} CSRF cells`);
    t.diagnostic(`${cells} cells without the CSRF token`);
  });

  test('every allowed caller gets the documented success', async (t) => {
    let cells = 0;
    const wrong: string[] = [];
    // Caller by caller, so each runs the routes in order (exempt, then unexempt the same row).
    for (const caller of CALLERS) {
      for (const route of routes()) {
        const want = route.allow[caller];
        if (want === undefined) continue;
        const res = await request(route, caller, 10_000 + cells);
        const text = await res.text();
        cells++;
        const what: string = `${route.method} ${route.path} as ${caller}`;
        if (!statusOk(want, res.status)) wrong.push(`${what}: ${res.status}, expected ${want}: ${text.slice(0, 200)}`);
        // The sandbox's call log holds the sandbox's own public token, nothing of ours.
        noSecret(text.split(SANDBOX.token).join(''), what, caller);
        await hubwarden.agent.idle();
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(cells > 100, `${cells} allowed cells`);
    t.diagnostic(`${cells} allowed cells`);
  });

  test('no hub role decides about its own seat or places a seat above itself, over the real agent; nothing is written but the refusal\'s audit entry', async () => {
    const rows = (await hubwarden.agent.api.members(A, { offset: 0, limit: 100 })).items;
    const adaRow = rows.find((m) => m.email?.toLowerCase() === PEOPLE.ownerA);
    assert.ok(adaRow, 'Ada holds a seat on hub A');
    const post = (path: string, body: unknown): Route => ({ surface: 'ui-api', method: 'POST', path: `/ui/api/v1/hubs/${A}/members/${path}`, allow: {}, body: () => body });
    const refused: Array<[Caller, Route, RegExp]> = [
      // The owner: her own row exempted, un-matched or matched to another owner; any row matched to her.
      ['ownerA', post(`${adaRow.id}/exempt`, { reason: 'keep my seat' }), /own seat/],
      ['ownerA', post(`${adaRow.id}/unmatch`, {}), /own seat/],
      ['ownerA', post(`${adaRow.id}/match`, { directoryUserId: DIR.grace }), /own seat/],
      ['ownerA', post(`{memberA}/match`, { directoryUserId: DIR.ada }), /own seat/],
      // The manager: nobody's row under an owner, and no label above his own.
      ['managerA', post(`{memberA}/match`, { directoryUserId: DIR.ada }), /cannot match a seat to an owner/],
      ['managerA', post(`{memberA}/match`, { directoryUserId: DIR.eve, hubRole: 'owner' }), /cannot label a member owner/],
      ['managerA', post(`${adaRow.id}/match`, { directoryUserId: 'dir-max' }), /own seat/],
    ];
    for (const [caller, route, detail] of refused) {
      let res: Response | undefined;
      let text = '';
      const writes = await writesDuring(async () => {
        res = await request(route, caller, 0);
        text = await res.text();
      });
      const what: string = `${route.path} ${JSON.stringify(route.body?.(caller, 0))} as ${caller}`;
      assert.equal(res!.status, 403, what);
      assert.match(text, detail, what);
      // Nothing but the refusal's own audit entry (outcome failed, as the person who asked).
      assert.deepEqual(writes.map((c) => `${c.collection}/${c.partition}`), [`audit/${A}`], `${what}: nothing written but the refusal's audit entry`);
      const entry = writes[0]!.record as { outcome: string; trigger: { type: string } };
      assert.deepEqual([entry.outcome, entry.trigger.type], ['failed', 'dashboard'], what);
    }
  });
});
