/**
 * A dashboard session is bound to who signed in (session-identity.ts): the IdP giving its address
 * to someone else within the session's lifetime (the person renamed, a new hire given the
 * address) ends it instead of letting it act with the new person's hub role; the same directory
 * user renamed keeps it, under the new address. Signed in through `/ui/auth/callback` against a
 * small hand-made IdP, the directory pushed over SCIM, on the server as `npm start` composes it:
 * the SCIM push answered by replica A, the dashboard on replica B (on PostgreSQL, two stores on one schema).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { MemoryStore } from '../../agent/store/memory-store.ts';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import { collect, type Store } from '../../agent/store/store.ts';
import { parseConfig } from '../../config/load.ts';
import { createApp } from '../app.ts';
import { composeHubwarden, type Hubwarden } from '../compose.ts';
import { postgresForTests, testSchema } from '../../test/postgres.ts';
import { SessionStore } from './session-store.ts';
import { testKeyring } from '../../test/test-keyring.ts';

const ENV = { ADMIN_TOKEN: 'admin-token-session-identity-0123456789', SCIM_TOKEN: 'scim-token-session-identity-0123456789', OIDC_SECRET: 'oidc-secret' };
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** The IdP: its ID token says what `claims.current` says (`sub`, `email`). */
async function startIdp(claims: { current: { sub: string; email: string } }): Promise<{ issuer: string; server: Server }> {
  const key = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(key.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const nonces = new Map<string, string>();
  let issuer = '';
  const server = createServer(async (req, res) => {
    const json = (body: unknown) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/.well-known/openid-configuration') return json({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks` });
    if (url.pathname === '/jwks') return json({ keys: [jwk] });
    if (url.pathname === '/nonce') { nonces.set(url.searchParams.get('code')!, url.searchParams.get('nonce')!); return json({}); }
    if (url.pathname === '/token') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const code = new URLSearchParams(body).get('code') ?? '';
      const { sub, email } = claims.current;
      const idToken = await new SignJWT({ nonce: nonces.get(code), email, email_verified: true }).setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setSubject(sub).setIssuer(issuer).setAudience('hubwarden').setIssuedAt().setExpirationTime('5m').sign(key.privateKey);
      return json({ id_token: idToken, access_token: 'at-1', token_type: 'Bearer' });
    }
    res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { issuer, server };
}

function suite(name: string, replicas: () => Promise<[Store, Store]>, opts: { skip?: string | false } = {}) {
  describe(name, { skip: opts.skip ?? false }, () => {
    const claims = { current: { sub: '', email: '' } };
    const running: Array<{ hubwarden: Hubwarden; server: Server }> = [];
    let idp: Server;
    let issuer: string;
    let scimUrl: string;
    let dashboardUrl: string;
    let store: Store;
    let sessions: SessionStore;
    let owners: string;

    before(async () => {
      ({ issuer, server: idp } = await startIdp(claims));
      const config = parseConfig(`
server:
  publicUrl: http://127.0.0.1
  adminTokens: [env:ADMIN_TOKEN]
  oidc: { issuer: "${issuer}", clientId: hubwarden, clientSecret: env:OIDC_SECRET, allowedEmails: [boss@acme.example] }
hubs:
  - id: hub-a
    connector: meta-business
    meta: { businessId: "1111111111", graphBaseUrl: sandbox }
    scim: { tokens: [env:SCIM_TOKEN] }
    teams:
      - { group: Hub Owners, hubRole: owner, appRole: ADMIN }
`, join(mkdtempSync(join(tmpdir(), 'hubwarden-session-identity-')), 'hubwarden.yaml'), ENV);
      const [a, b] = await replicas();
      const urls: string[] = [];
      for (const s of [a, b]) {
        const hubwarden = composeHubwarden({ config, store: s, auditFile: false, keyring: testKeyring() });
        const server = createApp({ store: s, routers: hubwarden.routers }).listen(0, '127.0.0.1');
        await new Promise((r) => server.once('listening', r));
        running.push({ hubwarden, server });
        urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      }
      [scimUrl, dashboardUrl] = urls as [string, string];
      store = b;
      sessions = new SessionStore(b);
      owners = (await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Hub Owners', members: [] }))!.id as string;
    });
    after(async () => {
      for (const { hubwarden, server } of running) {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        await hubwarden.stop(0);
      }
      idp.closeAllConnections();
      await new Promise((r) => idp.close(r));
    });

    async function scim(method: string, path: string, body: unknown) {
      const res = await fetch(`${scimUrl}/scim/v2/hubs/hub-a${path}`, {
        method, headers: { authorization: `Bearer ${ENV.SCIM_TOKEN}`, 'content-type': 'application/scim+json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
      return res.status === 204 ? undefined : (await res.json()) as Record<string, unknown>;
    }
    const createUser = async (email: string, externalId: string, owner = false) => {
      const id = (await scim('POST', '/Users', { schemas: [USER], userName: `${externalId}@login.example`, externalId, active: true, emails: [{ primary: true, type: 'work', value: email }] }))!.id as string;
      if (owner) await scim('PATCH', `/Groups/${owners}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }] });
      return id;
    };
    const renameEmail = (id: string, email: string) =>
      scim('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: email }] });

    /** Signs in through the dashboard (replica B) as the IdP's `sub` and `email`; the session cookie (name=value). */
    async function signIn(sub: string, email: string, code: string): Promise<string> {
      claims.current = { sub, email };
      const start = await fetch(`${dashboardUrl}/ui/auth/oidc?next=/ui/`, { redirect: 'manual' });
      const authorize = new URL(start.headers.get('location')!);
      await fetch(`${issuer}/nonce?code=${code}&nonce=${authorize.searchParams.get('nonce')}`);
      const stateCookie = start.headers.getSetCookie().find((c) => c.startsWith('hubwarden-oidc='))!.split(';')[0]!;
      const back = await fetch(`${dashboardUrl}/ui/auth/callback?code=${code}&state=${encodeURIComponent(authorize.searchParams.get('state')!)}`, { redirect: 'manual', headers: { cookie: stateCookie } });
      assert.equal(back.headers.get('location'), '/ui/');
      return back.headers.getSetCookie().find((c) => c.startsWith('hubwarden-session=') && !c.includes('Max-Age=0'))!.split(';')[0]!;
    }
    const members = async (cookie: string) => (await fetch(`${dashboardUrl}/ui/api/v1/hubs/hub-a/members`, { headers: { cookie } })).status;
    const myAccess = (cookie: string) => fetch(`${dashboardUrl}/ui/my-access`, { headers: { cookie }, redirect: 'manual' });
    const kept = async () => collect(store.list('dashboardSessions', ''));
    const audited = async (action: string) => (await collect(store.newestFirst('audit'))).filter((e) => e.action === action);

    test('Jane renamed and a new hire given her address: her session ends (audited) instead of acting as the owner the new hire is', async () => {
      const jane = await createUser('jane@acme.example', '00u-jane');
      const cookie = await signIn('00u-jane', 'jane@acme.example', 'code-jane');
      const [record] = (await kept()).filter((r) => r.email === 'jane@acme.example');
      assert.equal(record?.issuer, issuer, 'bound to the issuer');
      assert.deepEqual(record?.directoryUsers, { 'hub-a': [jane] }, 'bound to her directory user');
      assert.equal(await members(cookie), 403, 'Jane has no hub role');

      await renameEmail(jane, 'jane.old@acme.example');
      const newHire = await createUser('jane@acme.example', '00u-newhire', true);
      assert.equal(await members(cookie), 401, 'not the new hire\'s owner role: signed out');
      assert.equal((await myAccess(cookie)).status, 303, 'and the session is gone');
      assert.equal((await kept()).some((r) => r.directoryUsers?.['hub-a']?.includes(jane)), false);
      const [entry] = (await audited('end-dashboard-sessions')).filter((e) => e.trigger.type === 'dashboard');
      assert.equal(entry?.subject?.email, 'jane@acme.example');
      assert.equal(entry?.hubId, 'hub-a');
      assert.match(entry!.why, /another directory user/);

      // The new hire signing in gets their own role.
      const hers = await signIn('00u-newhire', 'jane@acme.example', 'code-newhire');
      assert.equal(await members(hers), 200);
      await scim('DELETE', `/Users/${newHire}`, undefined);
    });

    test('only the email of the same directory user changes: the session stays and follows it to the new address', async () => {
      const max = await createUser('max@acme.example', '00u-max');
      const cookie = await signIn('00u-max', 'max@acme.example', 'code-max');
      await renameEmail(max, 'maxwell@acme.example');
      const page = await myAccess(cookie);
      assert.equal(page.status, 200, 'still signed in');
      assert.match(await page.text(), /maxwell@acme\.example/);
      const [record] = (await kept()).filter((r) => r.directoryUsers?.['hub-a']?.includes(max));
      assert.equal(record?.email, 'maxwell@acme.example');
      assert.equal(record?.actor, 'maxwell@acme.example', 'its audit entries name the new address');
      const [moved] = (await audited('move-dashboard-session')).filter((e) => e.subject?.email === 'maxwell@acme.example');
      assert.deepEqual(moved?.detail, { from: 'max@acme.example', to: 'maxwell@acme.example' });

      // The old address given to someone else afterwards is nothing to this session.
      await createUser('max@acme.example', '00u-max-2', true);
      assert.equal(await members(cookie), 403, 'Max is still no owner');
      assert.equal((await myAccess(cookie)).status, 200, 'and still signed in');
    });

    test('an administrator by allowedEmails: the address given to someone else ends the session', async () => {
      const boss = await createUser('boss@acme.example', '00u-boss');
      const cookie = await signIn('00u-boss', 'boss@acme.example', 'code-boss');
      assert.equal(await members(cookie), 200, 'an administrator');
      await renameEmail(boss, 'boss.old@acme.example');
      await createUser('boss@acme.example', '00u-boss-2');
      assert.equal(await members(cookie), 401);
    });

    test('a session from before binding: bound on first use, unless a directory user its email names changed since it signed in', async () => {
      const ola = await createUser('ola@acme.example', '00u-ola');
      const old = await sessions.create('ola@acme.example', 'oidc', { admin: false, email: 'ola@acme.example', idpUserIds: ['00u-ola'] });
      assert.equal((await myAccess(`hubwarden-session=${old.id}`)).status, 200);
      const [bound] = (await kept()).filter((r) => r.email === 'ola@acme.example');
      assert.deepEqual(bound?.directoryUsers, { 'hub-a': [ola] });
      assert.equal(bound?.issuer, issuer);

      const olderStill = await sessions.create('ola@acme.example', 'oidc', { admin: false, email: 'ola@acme.example', idpUserIds: ['00u-ola'] });
      await new Promise((r) => setTimeout(r, 5));
      await renameEmail(ola, 'ola.left@acme.example');
      await createUser('ola@acme.example', '00u-ola-2', true);
      assert.equal(await members(`hubwarden-session=${olderStill.id}`), 401, 'its email names a user created after it signed in');
    });

    test('a session signed in with another issuer than the configured one ends', async () => {
      const other = await sessions.create('kim@acme.example', 'oidc', { admin: false, email: 'kim@acme.example', issuer: 'https://old-idp.acme.example', directoryUsers: {} });
      assert.equal(await members(`hubwarden-session=${other.id}`), 401);
      assert.equal(await sessions.get(other.id), undefined);
    });
  });
}

suite('a dashboard session is bound to who signed in', async () => {
  const store = new MemoryStore();
  await store.open();
  return [store, store];
});

const db = await postgresForTests();
const drops: Array<() => Promise<void>> = [];
const open: PostgresStore[] = [];
after(async () => {
  await Promise.all(open.map((s) => s.close()));
  await Promise.all(drops.map((d) => d()));
});
suite('a dashboard session is bound to who signed in, across replicas on PostgreSQL', async () => {
  const { schema, drop } = testSchema(db.url, 'session_identity');
  drops.push(drop);
  const stores = [new PostgresStore({ url: db.url, schema, poolSize: 2 }), new PostgresStore({ url: db.url, schema, poolSize: 2 })];
  for (const s of stores) { await s.open(); open.push(s); }
  return [stores[0]!, stores[1]!];
}, { skip: db.skip });
