/** The composed server the authorization matrix (authz-matrix*.test.ts) calls, its callers' sessions, and the request each makes. */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
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
import { adminTokensFrom, everyHubToken } from '../../scim-server/admin/admin-tokens.ts';
import { bearerToken } from '../../scim-server/bearer.ts';
import { createSandboxes, sandboxUrls } from '../../scim-server/sandboxes.ts';
import { endSessionsOf } from '../../scim-server/web/session-revocation.ts';
import { SessionStore } from '../../scim-server/web/session-store.ts';
import { seedDirectory } from '../check-for-updates-e2e/business.ts';
import { until } from '../agent-e2e/harness.ts';
import { emailKey } from '../../connectors/sdk/email-key.ts';
import { A, B, matrixRoutes, PEOPLE, SECRETS, SESSIONS, SIGNED_IN, type Caller, type Route } from './authz-matrix-routes.ts';

const OIDC_ISSUER = 'https://idp.sandbox.example';

/** Hub id → the ids of the directory users `email` names on it (the binding an OIDC sign-in records). */
async function directoryUsersOf(store: MemoryStore, email: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const hubId of [A, B]) {
    for await (const u of store.list('directoryUsers', hubId)) {
      if ([u.email, ...u.emails].some((e) => e && emailKey(e) === emailKey(email))) (out[hubId] ??= []).push(u.id);
    }
  }
  return out;
}

const at = '2026-11-01T00:00:00.000Z';
const user = (hubId: string, id: string, email: string): DirectoryUserRecord =>
  ({ hubId, id, userName: email, active: true, displayName: id, email, emails: [email], scim: { userName: email }, created: at, lastModified: at, version: 1 });
const group = (hubId: string, id: string, displayName: string, members: string[]): DirectoryGroupRecord =>
  ({ hubId, id, displayName, members: members.map((value) => ({ value })), scim: {}, created: at, lastModified: at, version: 1 });

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The server, started by a `before` and stopped by an `after` of the calling describe. */
export function matrixServer() {
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
  # A token of every hub, and one scoped to hub B (an owner of hub B on the dashboard).
  adminTokens: [env:ADMIN_TOKEN, { token: env:ADMIN_TOKEN_B, hubs: [${B}] }]
  # Every request below names its own client address (X-Forwarded-For from the loopback proxy),
  # so the wrong-credential budget of one address never turns a 401 into a 429.
  trustProxy: loopback
  oidc: { issuer: "${OIDC_ISSUER}", clientId: hubwarden, clientSecret: env:OIDC_SECRET, allowedEmails: [${PEOPLE.dashAdmin}, ${PEOPLE.revoked}] }
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
    // The keyring the server runs with: a token's label (a dashboard session's actor) is made with it.
    const keyring = Keyring.fromKey(randomBytes(32));
    const adminTokens = adminTokensFrom(config, keyring);
    const sandboxSet = await createSandboxes(config.file.hubs, (req) => everyHubToken(adminTokens, bearerToken(req.headers.authorization)));
    closers.push(sandboxSet.close);
    sandboxPath = sandboxSet.sandboxes[0]!.path;
    hubwarden = composeHubwarden({
      config, store, keyring, sandboxUrls: () => sandboxUrls(sandboxSet.sandboxes, url), auditFile: false, extraRouters: sandboxSet.routers,
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
      // Bound as an OIDC sign-in binds them (session-identity.ts): to the issuer and to the
      // directory users the email names now, so a SCIM write the matrix makes later does not end them.
      const s = await sessions.create(PEOPLE[who], 'oidc', { admin: who === 'dashAdmin' || who === 'revoked', email: PEOPLE[who], issuer: OIDC_ISSUER, directoryUsers: await directoryUsersOf(store, PEOPLE[who]) });
      cookies.set(who, { cookie: `hubwarden-session=${s.id}`, csrf: s.csrf });
      secrets.push(s.id, s.csrf);
    }
    // Signed in with hub B's scoped token, as the token sign-in (token-sign-in.ts) starts it: its
    // actor the token's audit label, an administrator's session the viewer reads as an owner of B.
    const scoped = await sessions.create(adminTokens.actorFor(SECRETS.ADMIN_TOKEN_B)!, 'admin-token');
    cookies.set('scopedSessionB', { cookie: `hubwarden-session=${scoped.id}`, csrf: scoped.csrf });
    secrets.push(scoped.id, scoped.csrf);
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
    if (caller === 'scopedTokenB') headers.authorization = `Bearer ${SECRETS.ADMIN_TOKEN_B}`;
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
    const signedIn = (SESSIONS as readonly Caller[]).includes(caller);
    switch (route.surface) {
      case 'page': return signedIn ? 403 : 303;
      case 'ui-api': return signedIn ? 403 : 401;
      default: return 401;
    }
  }

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

  const routes = (): Route[] => matrixRoutes(sandboxPath);
  return {
    /** The composed server (set once `before` ran). */
    get hubwarden(): Hubwarden { return hubwarden; },
    routes, concrete, request, refusal, writesDuring, statusOk, noSecret,
  };
}
