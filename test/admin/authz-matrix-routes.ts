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
  ADMIN_TOKEN_B: 'matrix-admin-token-hub-b-0123456789',
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
/**
 * `scopedTokenB`: an admin token scoped to hub B (`{ token, hubs: [B] }`) as a bearer;
 * `scopedSessionB`: a dashboard session signed in with it (an owner of hub B, hub-guard.ts). Last,
 * so the allowed side's lists already hold what the others wrote (every-hub offboardings, hub A's tasks).
 */
export const CALLERS = ['anon', 'badBearer', 'badCookie', 'scimA', 'scimB', 'adminToken', 'hookSecret', 'revoked', 'expired', ...SIGNED_IN, 'scopedTokenB', 'scopedSessionB'] as const;
export type Caller = (typeof CALLERS)[number];
/** Every live dashboard session: the people signed in, and the one signed in with hub B's scoped token. */
export const SESSIONS = [...SIGNED_IN, 'scopedSessionB'] as const satisfies readonly Caller[];
/** Callers who see hub B only: a list they are answered names no other hub (`Route.hubsIn`). */
export const ONLY_B = ['ownerB', 'scopedTokenB', 'scopedSessionB'] as const satisfies readonly Caller[];
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
  /** A list: the hubs its answer names, for the allowed side's check that ONLY_B callers see hub B's items only. */
  hubsIn?: (text: string) => string[];
}

type Listed = { items: Array<{ id?: string; hubId?: string }> };
/** A JSON list's items' hubs (`-` for an item of no one hub, as a person-wide task). */
export const itemHubs = (text: string) => (JSON.parse(text) as Listed).items.map((i) => i.hubId ?? '-');
/** `GET /hubs`: the hubs listed. */
export const listedHubs = (text: string) => (JSON.parse(text) as Listed).items.map((i) => i.id ?? '-');
/** A page or an export: the hubs whose id it shows. */
export const namedHubs = (text: string) => [A, B].filter((h) => text.includes(h));

/** The callers that send an `Authorization: Bearer …` header (authz-matrix-server.ts `request`). */
const BEARERS: readonly Caller[] = ['badBearer', 'scimA', 'scimB', 'adminToken', 'scopedTokenB'];

/** Every caller of `list` gets `status`. */
export const all = (list: readonly Caller[], status: number | '2xx'): Partial<Record<Caller, number | '2xx'>> => Object.fromEntries(list.map((c) => [c, status]));
export const MANAGERS_A = ['dashAdmin', 'ownerA', 'managerA'] as const;
export const MANAGERS_B = ['dashAdmin', 'ownerB', 'scopedSessionB'] as const;
export const ANY_MANAGER = ['dashAdmin', 'ownerA', 'managerA', 'ownerB', 'scopedSessionB'] as const;
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

/**
 * The admin API on /api/v1 (bearer): a token of every hub; hub B's scoped token on hub B and on
 * lists (cut to hub B), and 404 on anything of hub A, as for a hub (task) that does not exist.
 */
function adminRoutes(): Route[] {
  type Opt = Pick<Route, 'body' | 'expect' | 'hubsIn'>;
  const r = (method: Route['method'], path: string, allow: Route['allow'], o: Opt = {}): Route => ({ surface: 'admin', method, path: `/api/v1${path}`, allow, ...o });
  /** Both tokens; `onA`: the token of every hub, the scoped one answered 404 (an unknown hub). */
  const any = (method: Route['method'], path: string, status: number | '2xx', o: Opt = {}) => r(method, path, { adminToken: status, scopedTokenB: status }, o);
  const onA = (method: Route['method'], path: string, status: number | '2xx', o: Opt = {}) => r(method, path, { adminToken: status }, { expect: { scopedTokenB: 404 }, ...o });
  const exempt = { body: () => ({ reason: 'authz matrix' }) };
  return [
    { surface: 'open', method: 'GET', path: '/api/v1/openapi.json', allow: all(CALLERS, 200) },
    any('GET', '/hubs', 200, { hubsIn: listedHubs }),
    onA('GET', `/hubs/${A}`, 200), onA('GET', `/hubs/${A}/members`, 200), onA('GET', `/hubs/${A}/members/{memberA}`, 200),
    onA('GET', `/hubs/${A}/plan`, 200), onA('POST', `/hubs/${A}/check-for-updates`, 202),
    onA('POST', `/hubs/${A}/members/{memberA}/exempt`, 200, exempt), onA('POST', `/hubs/${A}/members/{memberA}/unexempt`, 200),
    any('GET', `/hubs/${B}`, 200), any('GET', `/hubs/${B}/members`, 200), any('GET', `/hubs/${B}/members/{memberB}`, 200),
    any('GET', `/hubs/${B}/plan`, 200), any('POST', `/hubs/${B}/check-for-updates`, 202),
    any('POST', `/hubs/${B}/members/{memberB}/exempt`, 200, exempt), any('POST', `/hubs/${B}/members/{memberB}/unexempt`, 200),
    any('GET', '/tasks', 200, { hubsIn: itemHubs }), onA('GET', `/tasks?hubId=${A}`, 200), onA('GET', '/tasks/{taskA}', 200), any('GET', '/tasks/{taskB}', 200),
    // Reports, approvals and offers: none in this world (scoped-admin-token.test.ts checks them cut to the hub).
    any('GET', '/reports', 200), any('GET', '/approvals', 200),
    any('GET', '/audit', 200, { hubsIn: itemHubs }), onA('GET', `/audit?hubId=${A}`, 200), any('GET', `/audit?hubId=${B}`, 200, { hubsIn: itemHubs }),
    any('POST', '/reports/no-such-report/apply', 404, { body: () => ({ memberIds: 'all' }) }), any('POST', '/approvals/no-such-approval/approve', 404, exempt),
    any('GET', '/people/nobody-here@sandbox.example/offers', 200), any('POST', '/people/nobody-here@sandbox.example/reevaluate', 404),
    any('POST', '/people/nobody-here@sandbox.example/offers/no-such-offer/claim', 404),
    // Member decisions on a row that does not exist (found by the route-table check): the route runs, changes nothing.
    onA('POST', `/hubs/${A}/members/no-such-member/match`, 404, { body: () => ({ directoryUserId: DIR.grace }) }),
    onA('POST', `/hubs/${A}/members/no-such-member/unmatch`, 404), onA('POST', `/hubs/${A}/members/no-such-member/remove`, 404),
    any('POST', `/hubs/${B}/members/no-such-member/remove`, 404),
    any('POST', '/approvals/no-such-approval/reject', 404),
    // Retrying a task that is not a failed app change (a check for updates): 409 on its hub, 404 from another hub's path.
    onA('POST', `/hubs/${A}/tasks/{taskA}/retry`, 409, exempt), any('POST', `/hubs/${B}/tasks/{taskA}/retry`, 404, exempt),
    // Offboarding someone no directory knows: a task that finds nothing to remove (the scoped token's: on hub B only).
    any('POST', '/people/nobody-here@sandbox.example/offboard', 202),
  ];
}

/** The dashboard: pages, read routes, exports, the admin API behind the session, My access. */
function dashboardRoutes(): Route[] {
  const page = (path: string, allow: readonly Caller[], expect?: Route['expect']): Route => ({ surface: 'page', method: 'GET', path: `/ui${path}`, allow: all(allow, 200), ...(expect ? { expect } : {}) });
  const api = (method: Route['method'], path: string, allow: readonly Caller[], status: number | '2xx' = 200, body?: Route['body'], expect?: Route['expect']): Route =>
    ({ surface: 'ui-api', method, path: `/ui${path}`, allow: all(allow, status), ...(body ? { body } : {}), ...(expect ? { expect } : {}) });
  const adminOnly404 = { dashAdmin: 404 } as const;
  /** A list, whose answer to ONLY_B callers names hub B only. */
  const list = (route: Route, hubsIn: Route['hubsIn']): Route => ({ ...route, hubsIn });
  return [
    page('/', ANY_MANAGER, { collabA: 303, nobody: 303 }),
    page(`/hubs/${A}`, MANAGERS_A), page(`/hubs/${A}?tab=settings`, ['dashAdmin', 'ownerA']),
    page(`/hubs/${B}`, MANAGERS_B), page(`/hubs/${B}?tab=settings`, MANAGERS_B),
    list(page('/automation', ANY_MANAGER), namedHubs), list(page('/audit', ANY_MANAGER), namedHubs), page('/my-access', SESSIONS),
    api('GET', `/charts/hubs/${A}/standing.svg`, MANAGERS_A), api('GET', `/charts/hubs/${B}/standing.svg`, MANAGERS_B),
    api('GET', `/api/hubs/${A}/assets`, MANAGERS_A), api('GET', `/api/hubs/${A}/partners`, MANAGERS_A), api('GET', `/api/hubs/${A}/directory-users?search=a`, MANAGERS_A),
    api('GET', `/api/hubs/${B}/assets`, MANAGERS_B), api('GET', `/api/hubs/${B}/directory-users?search=a`, MANAGERS_B),
    api('GET', `/export/hubs/${A}/members.csv`, MANAGERS_A), api('GET', `/export/hubs/${B}/members.csv`, MANAGERS_B),
    list(api('GET', '/export/audit.csv', ANY_MANAGER), namedHubs), api('GET', `/export/audit.csv?hubId=${A}`, MANAGERS_A), api('GET', `/export/audit.csv?hubId=${B}`, MANAGERS_B),
    api('GET', '/api/v1/openapi.json', SESSIONS),
    list(api('GET', '/api/v1/hubs', ANY_MANAGER), listedHubs), api('GET', `/api/v1/hubs/${A}`, MANAGERS_A), api('GET', `/api/v1/hubs/${B}`, MANAGERS_B),
    api('GET', `/api/v1/hubs/${A}/members`, MANAGERS_A), api('GET', `/api/v1/hubs/${A}/members/{memberA}`, MANAGERS_A), api('GET', `/api/v1/hubs/${A}/plan`, MANAGERS_A),
    api('GET', `/api/v1/hubs/${B}/members`, MANAGERS_B), api('GET', `/api/v1/hubs/${B}/members/{memberB}`, MANAGERS_B), api('GET', `/api/v1/hubs/${B}/plan`, MANAGERS_B),
    api('GET', '/api/v1/hubs/no-such-hub/members', [], 200, undefined, adminOnly404),
    api('POST', `/api/v1/hubs/${A}/check-for-updates`, MANAGERS_A, 202), api('POST', `/api/v1/hubs/${B}/check-for-updates`, MANAGERS_B, 202),
    api('POST', `/api/v1/hubs/${A}/members/{memberA}/exempt`, MANAGERS_A, 200, () => ({ reason: 'authz matrix' })),
    api('POST', `/api/v1/hubs/${A}/members/{memberA}/unexempt`, MANAGERS_A),
    api('POST', `/api/v1/hubs/${B}/members/{memberB}/exempt`, MANAGERS_B, 200, () => ({ reason: 'authz matrix' })),
    api('POST', `/api/v1/hubs/${B}/members/{memberB}/unexempt`, MANAGERS_B),
    list(api('GET', '/api/v1/tasks', ANY_MANAGER), itemHubs), api('GET', `/api/v1/tasks?hubId=${A}`, MANAGERS_A), api('GET', `/api/v1/tasks?hubId=${B}`, MANAGERS_B),
    api('GET', '/api/v1/tasks/{taskA}', MANAGERS_A), api('GET', '/api/v1/tasks/{taskB}', MANAGERS_B),
    api('GET', '/api/v1/reports', ANY_MANAGER), api('GET', '/api/v1/approvals', ANY_MANAGER),
    list(api('GET', '/api/v1/audit', ANY_MANAGER), itemHubs), api('GET', `/api/v1/audit?hubId=${A}`, MANAGERS_A), api('GET', `/api/v1/audit?hubId=${B}`, MANAGERS_B),
    api('POST', '/api/v1/reports/no-such-report/apply', [], 200, () => ({ memberIds: 'all' }), adminOnly404),
    api('POST', '/api/v1/approvals/no-such-approval/reject', [], 200, undefined, adminOnly404),
    // Retrying a failed task: the hub's owners and administrators reach the route (409: a check for updates is no failed app change); managers do not.
    api('POST', `/api/v1/hubs/${A}/tasks/{taskA}/retry`, ['dashAdmin', 'ownerA'], 409, () => ({ reason: 'authz matrix' })),
    api('POST', `/api/v1/hubs/${B}/tasks/{taskB}/retry`, MANAGERS_B, 409, () => ({ reason: 'authz matrix' })),
    // Person-wide: global administrators only.
    api('GET', `/api/v1/people/${PEOPLE.collabA}/offers`, ['dashAdmin']),
    api('POST', '/api/v1/people/nobody-here@sandbox.example/reevaluate', [], 200, undefined, adminOnly404),
    api('POST', `/api/v1/people/${PEOPLE.collabA}/offers/no-such-offer/claim`, [], 200, undefined, adminOnly404),
    // 2xx: the admin token offboarded the same person on every hub before, so this is a repeat with
    // nothing left to do, answered 200 `alreadyDone` (docs/security.md 181); a first one is 202.
    api('POST', '/api/v1/people/nobody-here@sandbox.example/offboard', ['dashAdmin'], '2xx'),
    // Member decisions on a row that does not exist: hub A's managers reach the route (404), nobody else.
    api('POST', `/api/v1/hubs/${A}/members/no-such-member/match`, MANAGERS_A, 404, () => ({ directoryUserId: DIR.grace })),
    api('POST', `/api/v1/hubs/${A}/members/no-such-member/unmatch`, MANAGERS_A, 404),
    api('POST', `/api/v1/hubs/${B}/members/no-such-member/remove`, MANAGERS_B, 404),
    api('POST', '/api/v1/approvals/no-such-approval/approve', [], 200, () => ({ reason: 'authz matrix' }), adminOnly404),
    // My access: anyone signed in claims their own offers (none here: 404), a stranger is sent to sign
    // in; a session of an admin token has no email, so no offers of its own (403, web/my-access.ts).
    { surface: 'page', method: 'POST', path: '/ui/my-access/offers/no-such-offer/claim', allow: {}, expect: { ...all(SIGNED_IN, 404), scopedSessionB: 403 } as Route['expect'] },
  ];
}

function hookRoutes(sandboxPath: string): Route[] {
  const delivery = () => ({ data: { events: [] } });
  return [
    // Okta's one-time verification: answered without an Authorization header or with the hook's
    // secret; any other Authorization value is a wrong secret (401, counted against the address).
    { surface: 'open', method: 'GET', path: '/hooks/okta', headers: { 'x-okta-verification-challenge': 'matrix' }, allow: all(CALLERS.filter((c) => !BEARERS.includes(c)), 200), expect: { ...all(BEARERS, 401) } as Route['expect'] },
    { surface: 'hook', method: 'POST', path: '/hooks/okta', body: delivery, allow: { hookSecret: 200 } },
    { surface: 'hook', method: 'POST', path: '/hooks/entra/lifecycle', body: () => ({ data: {} }), allow: {} },
    { surface: 'open', method: 'GET', path: '/healthz', allow: all(CALLERS, 200) },
    // Behind the (loopback) proxy, /metrics needs an admin token of every hub: its figures name every hub.
    // A token of hub B only is a right token: 403 (metrics-access.ts scopedAdminToken), not a wrong one's 401.
    { surface: 'admin', method: 'GET', path: '/metrics', allow: { adminToken: 200 }, expect: { scopedTokenB: 403 } },
    // The built-in sandbox's control endpoints: admin tokens of every hub only (docs/security.md, fixed
    // item 4; a sandbox is shared by the hubs on it). Hub B's scoped token gets the surface's 401.
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
