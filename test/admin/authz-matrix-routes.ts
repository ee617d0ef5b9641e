/**
 * The authorization matrix (authz-matrix*.test.ts): the callers, and every route with who may call it and
 * what everyone else gets (README, docs/security.md "Surfaces and their authentication",
 * docs/dashboard.md "Hub roles and My access" and "Sessions and CSRF").
 */
import { SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { DIR, HUB } from '../check-for-updates-e2e/business.ts';

export const A = HUB;
export const B = 'beta-meta';
export const SECRETS = {
  ADMIN_TOKEN: 'matrix-admin-token-0123456789abcdef',
  SCIM_A: 'matrix-scim-token-hub-a-0123456789',
  SCIM_B: 'matrix-scim-token-hub-b-0123456789',
  OKTA_HOOK: 'matrix-okta-hook-secret-0123456789',
  ENTRA_SECRET: 'matrix-entra-client-secret-0123',
  OIDC_SECRET: 'matrix-oidc-client-secret-0123',
  META_TOKEN: SANDBOX.token,
};
export const PEOPLE = {
  dashAdmin: 'boss@sandbox.example',
  revoked: 'former.boss@sandbox.example',
  ownerA: 'ada.lovelace@sandbox.example',
  managerA: 'max.manager@sandbox.example',
  collabA: 'eve@sandbox.example',
  ownerB: 'bea.owner@beta.example',
  nobody: 'stranger@elsewhere.example',
} as const;

export type Person = keyof typeof PEOPLE;
export const SIGNED_IN = ['dashAdmin', 'ownerA', 'managerA', 'collabA', 'ownerB', 'nobody'] as const satisfies readonly Person[];
export const CALLERS = ['anon', 'badBearer', 'badCookie', 'scimA', 'scimB', 'adminToken', 'hookSecret', 'revoked', 'expired', ...SIGNED_IN] as const;
export type Caller = (typeof CALLERS)[number];
export type Surface = 'scim' | 'admin' | 'hook' | 'page' | 'ui-api' | 'open';

/** A route and who may use it; anyone else gets the surface's refusal (`refusal` below) unless `expect` names them. */
export interface Route {
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

/** Every caller of `list` gets `status`. */
export const all = (list: readonly Caller[], status: number | '2xx'): Partial<Record<Caller, number | '2xx'>> => Object.fromEntries(list.map((c) => [c, status]));
export const MANAGERS_A = ['dashAdmin', 'ownerA', 'managerA'] as const;
export const MANAGERS_B = ['dashAdmin', 'ownerB'] as const;
export const ANY_MANAGER = ['dashAdmin', 'ownerA', 'managerA', 'ownerB'] as const;
export const NO_HUB = ['collabA', 'nobody'] as const;

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

function hookRoutes(sandboxPath: string): Route[] {
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
/** Every row of the matrix; `sandboxPath`: where the built-in sandbox is mounted. */
export const matrixRoutes = (sandboxPath: string): Route[] => [unknownScimHub, ...scimRoutes(A, 'scimA', DIR.grace, 'dir-scim-gone'), ...scimRoutes(B, 'scimB', 'b-bea', 'b-scim-gone'), ...adminRoutes(), ...hookRoutes(sandboxPath), ...dashboardRoutes()];

/**
 * Registered routes of the dashboard and the admin API with no row above, and why. Each is
 * checked elsewhere; a route not here and without a row fails the test below.
 */
export const UNLISTED: Record<string, string> = {
  // Sign-in and sign-out come before a session (or end it) and answer every caller alike; their
  // guards (login CSRF, the OIDC state cookie, sign-out's CSRF token) are checked in
  // scim-server/web/web-router.test.ts, oidc-sign-in.test.ts and test/admin/route-guards.test.ts,
  // and sign-out's without the token in the CSRF test of authz-matrix.test.ts.
  'GET /ui/sign-in': 'sign-in page',
  'POST /ui/sign-in/token': 'admin-token sign-in form',
  'POST /ui/sign-out': 'sign-out',
  'GET /ui/auth/oidc': 'OIDC sign-in start',
  'GET /ui/auth/callback': 'OIDC sign-in callback',
};
