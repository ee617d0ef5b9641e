/**
 * Shared setup for the dashboard's tests: a config whose server block is the usual one (admin
 * token, OIDC with boss@acme.example the one global administrator by email) around the hubs the
 * test is about, the dashboard served over a store and an agent, sessions as OIDC sign-in starts
 * them, and requests the way the browser sends them (cookie; origin and CSRF token on a POST).
 */
import { randomBytes } from 'node:crypto';
import { accessStore, directoryGroup, directoryUser, seedDirectory } from '../../agent/access/directory-fixtures.ts';
import { Keyring } from '../../agent/secrets/keyring.ts';
import type { MemoryStore } from '../../agent/store/memory-store.ts';
import { parseConfig, type LoadedConfig } from '../../config/load.ts';
import { serveRouters, type TestServer } from '../../test/admin/test-server.ts';
import { createWebRouter, type WebRouterDeps } from './router.ts';
import type { SessionStore } from './session-store.ts';

export const silent = { info() {}, warn() {}, error() {} };

/** The config: the usual server block (`oidc: false` leaves sign-in by OIDC out), then `hubsYaml` (the `hubs:` list). */
export function dashboardConfig(name: string, hubsYaml: string, { oidc = true } = {}): LoadedConfig {
  return parseConfig(`
server:
  publicUrl: http://hubwarden.test
  adminTokens: [env:ADMIN_TOKEN]
${oidc ? '  oidc: { issuer: "https://idp.acme.example", clientId: hubwarden, clientSecret: env:OIDC_SECRET, allowedEmails: [boss@acme.example] }\n' : ''}hubs:
${hubsYaml}`, `/tmp/hubwarden-test/${name}.yaml`, { ADMIN_TOKEN: 'admin-token-0123456789', META_TOKEN: 'meta-token', ...(oidc ? { OIDC_SECRET: 'oidc-secret' } : {}) });
}

/** One Meta hub, `acme-ads`, with an owners' team (app admins unless `ownerAppRole` says otherwise) and a managers' team: the rank rule's tests. */
export function rankedHubConfig(name: string, ownerAppRole = 'ADMIN'): LoadedConfig {
  return dashboardConfig(name, `
  - id: acme-ads
    connector: meta-business
    meta: { businessId: "1234567890", accessToken: env:META_TOKEN }
    teams:
      - { group: Acme Owners, hubRole: owner, appRole: ${ownerAppRole} }
      - { group: Acme Managers, hubRole: manager, appRole: EMPLOYEE }
`);
}

/** The dashboard at /ui on 127.0.0.1, port 0; logging nothing unless given a log. */
export function serveDashboard(deps: WebRouterDeps): Promise<TestServer> {
  // A key of its own unless the test brings one: the config's default key file is ./data/hubwarden.key, the checkout's.
  return serveRouters([['/ui', createWebRouter({ log: silent, keyring: Keyring.fromKey(randomBytes(32)), ...deps })]]);
}

export interface SignedIn { cookie: string; csrf: string }

/** A session of `email` as OIDC sign-in starts it: an administrator or not, with the IdP's ids (`sub`, `oid`). */
export async function signedIn(sessions: SessionStore, email: string, { admin = false, idpUserIds }: { admin?: boolean; idpUserIds?: string[] } = {}): Promise<SignedIn> {
  const s = await sessions.create(email, 'oidc', { admin, email, ...(idpUserIds ? { idpUserIds } : {}) });
  return { cookie: `hubwarden-session=${s.id}`, csrf: s.csrf };
}

/** A request to the dashboard as `as`: a POST carries this origin, the session's CSRF token and `body` as JSON. */
export function dashboardCaller(server: () => TestServer) {
  return (as: SignedIn, method: string, path: string, body: unknown = {}) => fetch(`${server().url}${path}`, {
    method, redirect: 'manual',
    headers: { cookie: as.cookie, origin: server().url, ...(method === 'POST' ? { 'content-type': 'application/json', 'x-csrf-token': as.csrf } : {}) },
    body: method === 'POST' ? JSON.stringify(body) : undefined,
  });
}

/**
 * rankedHubConfig's people: Olivia (owner) and Max (manager), active; Dana (owner) and Cora (no
 * hub role), deactivated in the IdP, whose seats wait to be removed. The rank rule's tests.
 */
export async function rankedDirectory(): Promise<MemoryStore> {
  const store = await accessStore();
  const user = (id: string, email: string, extra = {}) => directoryUser('acme-ads', id, [email], extra);
  await seedDirectory(store, [
    user('a-olivia', 'olivia@acme.example'),
    user('a-max', 'max@acme.example'),
    user('a-dana', 'dana@acme.example', { active: false }),
    user('a-cora', 'cora@acme.example', { active: false }),
  ], [
    directoryGroup('acme-ads', 'g-owners', 'Acme Owners', ['a-olivia', 'a-dana']),
    directoryGroup('acme-ads', 'g-managers', 'Acme Managers', ['a-max']),
  ]);
  return store;
}

/** Signs in with an admin token through the sign-in form, as a browser does; the session cookie, or undefined when refused. */
export async function signInWithToken(url: string, token: string): Promise<string | undefined> {
  const page = await fetch(`${url}/ui/sign-in`);
  const login = /name="_login" value="([^"]+)"/.exec(await page.text())![1]!;
  const loginCookie = page.headers.getSetCookie().find((c) => c.startsWith('hubwarden-login='))!.split(';')[0]!;
  const res = await fetch(`${url}/ui/sign-in/token`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie, origin: url },
    body: new URLSearchParams({ _login: login, token, next: '/ui/' }),
  });
  return res.headers.getSetCookie().find((s) => s.startsWith('hubwarden-session=') && !s.includes('Max-Age=0'))?.split(';')[0];
}
