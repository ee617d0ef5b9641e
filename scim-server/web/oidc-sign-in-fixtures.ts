/**
 * Shared by oidc-sign-in*.test.ts and oidc-pending-sign-in.test.ts: the dashboard's router (and the
 * Okta event hook) over a memory store, a small hand-made IdP whose ID token the test chooses
 * (`world.person`), and the steps of a sign-in.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { parseConfig, type LoadedConfig } from '../../config/load.ts';
import { FakeAgent } from '../../test/admin/fake-agent.ts';
import { serveRouters, type TestServer } from '../../test/admin/test-server.ts';
import { createOktaHookRouter, type HookRouter } from '../hooks/okta.ts';
import { createWebRouter } from './router.ts';

export const silent = { info() {}, warn() {}, error() {} };
const HOOK_SECRET = 'okta-hook-secret-for-tests';

/** What the next ID token says about the person. */
export interface Person { sub?: string; iat?: number; oid?: string; email?: string; email_verified?: boolean; xms_edov?: boolean | string; groups?: string[] }

/**
 * The world, started by a `before` and stopped by an `after` of the calling describe; its fields
 * are set once `before` ran. `person` is what the IdP's next ID token says.
 */
export function oidcWorld() {
  let idp: Server;
  let hook: HookRouter & { stop(): void };
  let agent: FakeAgent;
  /** One key file: every router here is a replica sharing it (`secrets.keyFile`). */
  const keyFile = join(mkdtempSync(join(tmpdir(), 'hubwarden-oidc-')), 'hubwarden.key');
  const configWith = (file: string) => parseConfig(`
server:
  publicUrl: http://hubwarden.test
  oidc: { issuer: "${w.issuer}", clientId: client-1, clientSecret: env:SECRET, allowedGroups: [hubwarden-admins, "Caf\u00e9 Admins"] }
secrets: { keyFile: "${file}" }
identityProviders: { okta: { kind: okta, orgUrl: https://acme.okta.example, eventHookSecret: env:HOOK_SECRET } }
hubs: [{ id: acme-ads, connector: meta-business, meta: { businessId: "1" } }]
`, '/tmp/hubwarden-test/oidc.yaml', { SECRET: 'oidc-secret-for-tests', HOOK_SECRET: HOOK_SECRET });
  const nonces = new Map<string, string>();
  let key: CryptoKeyPair;
  let jwk: JWK;
  before(async () => {
    key = await generateKeyPair('RS256');
    jwk = { ...(await exportJWK(key.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    idp = createServer(async (req, res) => {
      const json = (body: unknown) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
      if (req.url === '/.well-known/openid-configuration') {
        return json({ issuer: w.issuer, authorization_endpoint: `${w.issuer}/auth`, token_endpoint: `${w.issuer}/token`, jwks_uri: `${w.issuer}/jwks`, scopes_supported: ['openid', 'email', 'groups'] });
      }
      if (req.url === '/jwks') return json({ keys: [jwk] });
      if (req.url === '/token') {
        let body = '';
        for await (const chunk of req) body += chunk;
        const code = new URLSearchParams(body).get('code') ?? '';
        const { sub, iat, ...claims } = w.person;
        const idToken = await new SignJWT({ nonce: nonces.get(code), ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setSubject(sub ?? 'person-1').setIssuer(w.issuer).setAudience('client-1').setIssuedAt(iat).setExpirationTime('5m').sign(key.privateKey);
        return json({ id_token: idToken, access_token: 'at-1', token_type: 'Bearer' });
      }
      res.writeHead(404).end();
    });
    idp.listen(0, '127.0.0.1');
    await new Promise((r) => idp.once('listening', r));
    w.issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    w.config = configWith(keyFile);
    w.store = new MemoryStore();
    await w.store.open();
    agent = new FakeAgent();
    hook = createOktaHookRouter({ config: w.config, agent, store: w.store, log: silent as never });
    w.server = await serveRouters([['/ui', createWebRouter({ config: w.config, agent, store: w.store, log: silent })], ['/hooks', hook]]);
  });
  after(async () => {
    hook.stop();
    await w.server.close();
    idp.closeAllConnections();
    await new Promise((r) => idp.close(r));
  });

  /** Starts a sign-in, lets the IdP answer for `who`, and returns the session cookie. */
  async function signIn(who: Person, code: string): Promise<string> {
    w.person = who;
    const start = await fetch(`${w.server.url}/ui/auth/oidc?next=/ui/`, { redirect: 'manual' });
    assert.equal(start.status, 303);
    const authorize = new URL(start.headers.get('location')!);
    nonces.set(code, authorize.searchParams.get('nonce')!);
    const state = authorize.searchParams.get('state')!;
    const stateCookie = start.headers.getSetCookie().find((c) => c.startsWith('hubwarden-oidc='))!.split(';')[0]!;
    const back = await fetch(`${w.server.url}/ui/auth/callback?code=${code}&state=${encodeURIComponent(state)}`, { redirect: 'manual', headers: { cookie: stateCookie } });
    assert.equal(back.headers.get('location'), '/ui/');
    return back.headers.getSetCookie().find((c) => c.startsWith('hubwarden-session=') && !c.includes('Max-Age=0'))!.split(';')[0]!;
  }

  /** Starts a sign-in on `url`: the pending-sign-in cookie (name=value) and what the IdP is asked. */
  async function start(url: string, next = '/ui/') {
    const res = await fetch(`${url}/ui/auth/oidc?next=${encodeURIComponent(next)}`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    const authorize = new URL(res.headers.get('location')!);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('hubwarden-oidc='))!.split(';')[0]!;
    return { cookie, state: authorize.searchParams.get('state')!, nonce: authorize.searchParams.get('nonce')! };
  }

  /** The IdP's redirect back to `url` with `code`, in a browser holding `cookie`. */
  async function callback(url: string, code: string, state: string, cookie: string) {
    const res = await fetch(`${url}/ui/auth/callback?code=${code}&state=${encodeURIComponent(state)}`, { redirect: 'manual', headers: { cookie } });
    const session = res.headers.getSetCookie().find((c) => /^hubwarden-session=[^;]/.test(c));
    return { location: res.headers.get('location'), session };
  }

  async function checkForUpdatesAs(cookie: string) {
    const page = await (await fetch(`${w.server.url}/ui/`, { headers: { cookie } })).text();
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)![1]!;
    const res = await fetch(`${w.server.url}/ui/api/v1/hubs/acme-ads/check-for-updates`, {
      method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}',
    });
    assert.equal(res.status, 202);
    return agent.writes().filter((c) => c.method === 'checkForUpdates').at(-1)!.args.at(-1);
  }

  /** Delivers one Okta System Log event about `user` (https://developer.okta.com/docs/concepts/event-hooks/) and waits until it is acted on. */
  async function oktaEvent(eventType: string, user: { id: string; login: string }, group?: string) {
    const event = {
      uuid: randomUUID(), published: new Date().toISOString(), eventType, outcome: { result: 'SUCCESS' },
      actor: { id: '00uadmin', type: 'User', alternateId: 'admin@acme.example' },
      target: [
        { id: user.id, type: 'User', alternateId: user.login, displayName: 'Someone' },
        ...(group ? [{ id: `00g-${group}`, type: 'UserGroup', alternateId: 'unknown', displayName: group }] : []),
      ],
    };
    const res = await fetch(`${w.server.url}/hooks/okta`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: HOOK_SECRET }, body: JSON.stringify({ data: { events: [event] } }) });
    assert.equal(res.status, 200);
    await hook.settled();
  }

  /** How many hubs the session sees, or the status refusing it. */
  async function hubsSeen(cookie: string): Promise<number> {
    const res = await fetch(`${w.server.url}/ui/api/v1/hubs`, { headers: { cookie } });
    return res.status === 200 ? ((await res.json()) as { total: number }).total : -res.status;
  }

  async function stored<C extends 'audit' | 'dashboardSessions'>(collection: C) {
    const records = [];
    for await (const r of w.store.list(collection, '')) records.push(r);
    return records;
  }
  const auditOf = async (action: string) => (await stored('audit')).filter((e) => e.action === action);

  /** The audit entries of dashboard sign-ins (newest last). */
  const signIns = async () => (await stored('audit')).filter((e) => e.action === 'dashboard-sign-in');

  const w = {
    issuer: '',
    server: undefined as unknown as TestServer,
    store: undefined as unknown as MemoryStore,
    config: undefined as unknown as LoadedConfig,
    person: {} as Person,
    keyFile, configWith, nonces, signIn, start, callback, checkForUpdatesAs, oktaEvent, hubsSeen, stored, auditOf, signIns,
  };
  return w;
}
