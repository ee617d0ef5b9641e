/**
 * No secret at rest in clear, on the paths that succeed (secrets-at-rest.test.ts runs the failing
 * ones): hubwarden as `npm start` wires it (composeHubwarden, the audit file, the key file), on the
 * lowdb store and on PostgreSQL. The IdP pushes people over SCIM (its bearer token; a `password`
 * attribute, which RFC 7643 §4.1.1 makes write-only), one of them is invited through the Meta
 * emulator, another is offered a claim team's seat and claims it on the dashboard after an OIDC
 * sign-in (auth code, ID token, the IdP's access token, session id, CSRF token), the agent writes
 * back to Okta with OAuth access tokens got with a private key (private_key_jwt, RFC 7523) and to
 * Entra with ones got with a client secret, the admin API is called with its bearer token and an
 * Okta event hook is delivered with its secret. Then every file under the data folder (store
 * files, journals, archives, the audit file, the key file), the captured log lines and, on
 * PostgreSQL, every row of every table of the schema are searched for each secret in every form
 * (as sent, URL-, form-, JSON-encoded, Basic, base64, base64url, hex): none may appear.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import winston from 'winston';
import { logger } from '../../agent/log/logger.ts';
import { LowdbStore } from '../../agent/store/lowdb-store.ts';
import { PostgresStore } from '../../agent/store/postgres/postgres-store.ts';
import { collect } from '../../agent/store/store.ts';
import { parseConfig } from '../../config/load.ts';
import { createMetaEmulator, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { createTikTokEmulator } from '../../connectors/tiktok-business/emulator/index.ts';
import { TIKTOK_SANDBOX } from '../../connectors/tiktok-business/emulator/sandbox-ids.ts';
import { createApp } from '../../scim-server/app.ts';
import { composeHubwarden } from '../../scim-server/compose.ts';
import { createGraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { createOktaEmulator } from '../emulators/okta/okta-emulator.ts';
import { freshSchemas } from '../fresh-schemas.ts';
import { postgresForTests } from '../postgres.ts';
import { until } from './harness.ts';
import { filesAsText, formsOf, secretsFound, tablesAsText } from './secret-scan.ts';

const TENANT = 'tenant-flows';
const ENTRA_CLIENT = 'hubwarden-flows-app';
const OKTA_CLIENT = '0oa-hubwarden-flows';
const JANE_OKTA = '00ujane0000000000001';
const JANE_OID = '6f1c2a3b-0000-4000-8000-00000000a11e';
const db = await postgresForTests();
const freshSchema = freshSchemas(db);

/** One run of the flow; the places it left and every secret it used. */
interface Run { places: Array<[string, string]>; secrets: Record<string, string>; checks: string[] }

async function runFlow(kind: 'lowdb' | 'postgres'): Promise<Run> {
  const closers: Array<() => Promise<unknown>> = [];
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const saved = { silent: logger.silent, level: logger.level, transports: [...logger.transports] };
  logger.clear().add(new winston.transports.Stream({ stream: sink, level: 'debug' }));
  logger.silent = false;
  logger.level = 'debug';
  const dir = await mkdtemp(join(tmpdir(), 'hubwarden-flows-'));
  const oktaKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = oktaKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const secrets: Record<string, string> = {
    ADMIN_TOKEN: `admin-${randomBytes(24).toString('base64url')}`,
    SCIM_TOKEN: `scim-${randomBytes(24).toString('base64url')}`,
    ENTRA_SCIM_TOKEN: `scim-entra-${randomBytes(24).toString('base64url')}`,
    ENTRA_SECRET: `entra~flows+secret/${randomBytes(12).toString('hex')}`,
    OKTA_HOOK_SECRET: `okta~hook+flows/${randomBytes(12).toString('hex')}`,
    OIDC_SECRET: `oidc~client+flows/${randomBytes(12).toString('hex')}`,
    META_TOKEN: SANDBOX.token,
    TIKTOK_TOKEN: TIKTOK_SANDBOX.token,
    OKTA_KEY_LINE: pem.split('\n')[5]!,
    SCIM_PASSWORD: `Pa55~word+${randomBytes(12).toString('hex')}`,
    SCIM_PASSWORD_2: `Pa55~word2+${randomBytes(12).toString('hex')}`,
    SCIM_PASSWORD_3: `Pa55~word3+${randomBytes(12).toString('hex')}`,
    OIDC_CODE: `code-${randomBytes(16).toString('hex')}`,
    OIDC_ACCESS_TOKEN: `idp-at-${randomBytes(24).toString('base64url')}`,
  };
  try {
    const meta = createMetaEmulator();
    const entraMeta = createMetaEmulator();
    const okta = createOktaEmulator({ serviceApp: { clientId: OKTA_CLIENT, publicKey: oktaKey.publicKey, scopes: ['okta.users.manage', 'okta.schemas.manage', 'okta.users.read'] }, users: [{ id: JANE_OKTA, login: 'jane@example.com' }] });
    const graph = createGraphEmulator({ tenantId: TENANT, clientId: ENTRA_CLIENT, clientSecret: secrets.ENTRA_SECRET!, users: [{ id: JANE_OID, userPrincipalName: 'jane@contoso.example' }] });
    const tiktok = createTikTokEmulator({ rateLimits: null });
    const servers = [await meta.listen(0), await entraMeta.listen(0), await okta.listen(), await graph.listen(), await tiktok.listen()];
    for (const s of servers) closers.push(s.close);
    const [metaUrl, entraMetaUrl, oktaUrl, graphUrl, tiktokUrl] = servers.map((s) => s.url);
    const idp = await oidcIdp(secrets);
    closers.push(idp.close);

    const config = parseConfig(`
server:
  publicUrl: http://127.0.0.1
  adminTokens: [env:ADMIN_TOKEN]
  oidc: { issuer: "${idp.issuer}", clientId: client-flows, clientSecret: env:OIDC_SECRET }
store: { kind: lowdb, path: ${join(dir, 'data/hubwarden.json')} }
audit: { file: ${join(dir, 'data/audit.log')} }
secrets: { keyFile: ${join(dir, 'data/hubwarden.key')} }
identityProviders:
  okta: { kind: okta, orgUrl: ${oktaUrl}, clientId: ${OKTA_CLIENT}, privateKey: env:OKTA_KEY, eventHookSecret: env:OKTA_HOOK_SECRET }
  entra: { kind: entra, tenantId: ${TENANT}, clientId: ${ENTRA_CLIENT}, clientSecret: env:ENTRA_SECRET, extensionAppId: ${ENTRA_CLIENT}, graphBaseUrl: ${graphUrl}, authorityUrl: ${graphUrl} }
hubs:
  - id: okta-hub
    connector: meta-business
    identityProvider: okta
    meta: { businessId: "${SANDBOX.businessId}", accessToken: env:META_TOKEN, graphBaseUrl: ${metaUrl} }
    scim: { tokens: [env:SCIM_TOKEN] }
    teams:
      - { group: Advertisers, appRole: EMPLOYEE, assets: [{ type: ad_account, id: act_111, tasks: [ADVERTISE, ANALYZE] }] }
      - { group: Brand, appRole: EMPLOYEE, claim: true }
    safety: { settleSeconds: 0, confirmDeprovisioning: false }
  - id: entra-hub
    connector: meta-business
    identityProvider: entra
    meta: { businessId: "${SANDBOX.businessId}", accessToken: env:META_TOKEN, graphBaseUrl: ${entraMetaUrl} }
    scim: { tokens: [env:ENTRA_SCIM_TOKEN] }
    teams: [{ group: Advertisers, appRole: EMPLOYEE, assets: [{ type: ad_account, id: act_111, tasks: [ADVERTISE, ANALYZE] }] }]
    safety: { settleSeconds: 0, confirmDeprovisioning: false }
  - id: tiktok-hub
    connector: tiktok-business
    tiktok: { businessCenterId: "${TIKTOK_SANDBOX.bcId}", accessToken: env:TIKTOK_TOKEN, tokenUserId: "${TIKTOK_SANDBOX.tokenUserId}", apiBaseUrl: ${tiktokUrl} }
`, join(dir, 'hubwarden.yaml'), { ...secrets, OKTA_KEY: pem });

    const schema = kind === 'postgres' ? freshSchema('flows') : '';
    const store = kind === 'postgres' ? new PostgresStore({ url: db.url, schema, poolSize: 4 }) : new LowdbStore(join(dir, 'data/hubwarden.json'));
    await store.open();
    const hubwarden = composeHubwarden({ config, store, auditFile: config.pathOf(config.file.audit.file), runner: { backoffBaseMs: 20, backoffMaxMs: 100, leaseMs: 2_000 } });
    const app = createApp({ store, agentRunning: () => hubwarden.running(), routers: hubwarden.routers });
    const server: Server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await hubwarden.stop(2_000).catch(() => {});
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await store.close(); // lowdb: the journal folded into the snapshot, the files as they rest
    };
    closers.unshift(stop);
    await hubwarden.start();

    // The IdP pushes people over SCIM: Jane (with a password) into Advertisers on both hubs, Bo into the claim team.
    const scim = async (hub: string, token: string, path: string, body: unknown) => {
      const r = await fetch(`${url}/scim/v2/hubs/${hub}/${path}`, { method: 'POST', headers: { 'content-type': 'application/scim+json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
      assert.equal(r.status, 201, await r.clone().text());
      return (await r.json()) as { id: string };
    };
    const user = (userName: string, externalId: string) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, externalId, active: true, emails: [{ value: userName, primary: true }], password: secrets.SCIM_PASSWORD });
    const jane = await scim('okta-hub', secrets.SCIM_TOKEN!, 'Users', user('jane@example.com', JANE_OKTA));
    const bo = await scim('okta-hub', secrets.SCIM_TOKEN!, 'Users', user('bo@example.com', '00ubo00000000000001'));
    await scim('okta-hub', secrets.SCIM_TOKEN!, 'Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Advertisers', members: [{ value: jane.id }] });
    await scim('okta-hub', secrets.SCIM_TOKEN!, 'Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Brand', members: [{ value: bo.id }] });
    const entraJane = await scim('entra-hub', secrets.ENTRA_SCIM_TOKEN!, 'Users', { ...user('jane@contoso.example', JANE_OID), password: undefined, Password: secrets.SCIM_PASSWORD_2 });
    // A password set by PATCH, by path and in a value, bare and schema-qualified (RFC 7644 §3.5.2, §3.10).
    const patch = await fetch(`${url}/scim/v2/hubs/okta-hub/Users/${bo.id}`, {
      method: 'PATCH', headers: { 'content-type': 'application/scim+json', authorization: `Bearer ${secrets.SCIM_TOKEN}` },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [
        { op: 'replace', path: 'password', value: secrets.SCIM_PASSWORD_3 },
        { op: 'replace', value: { password: secrets.SCIM_PASSWORD_3, 'urn:ietf:params:scim:schemas:core:2.0:User:password': secrets.SCIM_PASSWORD_3 } },
      ] }),
    });
    assert.ok(patch.status < 300, `PATCH: ${patch.status} ${await patch.text()}`);
    await scim('entra-hub', secrets.ENTRA_SCIM_TOKEN!, 'Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Advertisers', members: [{ value: entraJane.id }] });

    // Jane is invited through the Meta emulator on both hubs and accepts.
    for (const [m, email] of [[meta, 'jane@example.com'], [entraMeta, 'jane@contoso.example']] as const) {
      const invite = await until(`the invite of ${email}`, () => m.control.state().invites.find((i) => i.email === email && i.status === 'PENDING'), 20_000);
      m.control.acceptInvite(invite.id);
    }

    // Bo signs in to the dashboard through the IdP and claims the seat offered to him.
    const offer = await until('the offer to Bo', async () => (await collect(store.list('offers', 'okta-hub'))).find((o) => o.status === 'offered'), 20_000);
    const session = await idp.signIn(url, 'bo@example.com');
    const page = await fetch(`${url}/ui/my-access`, { headers: { cookie: session.cookie } });
    const text = await page.text();
    assert.equal(page.status, 200, text);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    assert.ok(csrf, 'My access offers the claim');
    const claim = await fetch(`${url}/ui/my-access/offers/${encodeURIComponent(offer.id)}/claim`, { method: 'POST', redirect: 'manual', headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }).toString() });
    assert.equal(claim.status, 303, await claim.text());
    await until('the invite of Bo', () => meta.control.state().invites.find((i) => i.email === 'bo@example.com'), 20_000);
    Object.assign(secrets, { SESSION_ID: session.id, CSRF_TOKEN: csrf });

    // The admin API checks both hubs for updates: Jane is imported and written back with OAuth access tokens.
    for (const hub of ['okta-hub', 'entra-hub', 'tiktok-hub']) {
      const r = await fetch(`${url}/api/v1/hubs/${hub}/check-for-updates`, { method: 'POST', headers: { authorization: `Bearer ${secrets.ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
      assert.ok(r.status < 300, `${hub}: ${r.status} ${await r.text()}`);
    }
    await until('the Okta write-back', () => okta.control.issuedTokens().length > 0 && okta.state().users.some((u) => u.profile.hubwarden_okta_hub_status !== undefined), 20_000);
    await until('the Entra write-back', () => graph.control.issuedTokens().length > 0 && graph.state().users.some((u) => Object.keys(u).some((k) => k.includes('entra_hub_status'))), 20_000);
    await until('the TikTok hub checked', async () => (await collect(store.list('tasks', 'tiktok-hub'))).some((t) => t.kind === 'check-for-updates' && t.status === 'completed'), 20_000);
    okta.control.issuedTokens().forEach((t, i) => { secrets[`OKTA_ACCESS_TOKEN_${i}`] = t; });
    graph.control.issuedTokens().forEach((t, i) => { secrets[`GRAPH_ACCESS_TOKEN_${i}`] = t; });

    // An Okta event hook delivery with its shared secret.
    const hook = await fetch(`${url}/hooks/okta`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: secrets.OKTA_HOOK_SECRET! }, body: JSON.stringify({ data: { events: [] } }) });
    assert.equal(hook.status, 200, await hook.text());

    await stop();
    const places = await filesAsText(join(dir, 'data'));
    const checks = [`${places.length} files`];
    assert.ok(places.some(([f]) => f.endsWith('audit.log')), 'the audit file is searched');
    places.push(['log lines', lines.join('')]);
    if (kind === 'postgres') {
      const tables = await tablesAsText(db.url, schema);
      assert.ok(tables.rows > 0, 'rows were read');
      places.push(...tables.places);
      checks.push(`${tables.rows} rows`);
    }
    return { places, secrets, checks };
  } finally {
    logger.clear();
    for (const t of saved.transports) logger.add(t);
    logger.silent = saved.silent;
    logger.level = saved.level;
    for (const close of closers) await close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/** An OIDC IdP test double: discovery, keys, and a token endpoint that signs an ID token for the person asked, with the nonce of the code. */
async function oidcIdp(secrets: Record<string, string>) {
  const key = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(key.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const pending = new Map<string, { nonce: string; email: string }>();
  let issuer = '';
  const idp = createServer(async (req, res) => {
    const json = (body: unknown) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (req.url === '/.well-known/openid-configuration') return json({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks` });
    if (req.url === '/jwks') return json({ keys: [jwk] });
    if (req.url === '/token') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const asked = pending.get(new URLSearchParams(body).get('code') ?? '');
      if (!asked) return void res.writeHead(400).end();
      const idToken = await new SignJWT({ nonce: asked.nonce, email: asked.email, email_verified: true }).setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setSubject('00ubo00000000000001').setIssuer(issuer).setAudience('client-flows').setIssuedAt().setExpirationTime('5m').sign(key.privateKey);
      secrets.OIDC_ID_TOKEN = idToken;
      return json({ id_token: idToken, access_token: secrets.OIDC_ACCESS_TOKEN, token_type: 'Bearer' });
    }
    res.writeHead(404).end();
  });
  idp.listen(0, '127.0.0.1');
  await new Promise((r) => idp.once('listening', r));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  return {
    issuer,
    close: () => new Promise((r) => { idp.closeAllConnections(); idp.close(r); }),
    /** A sign-in as `email`: the session cookie (name=value) and the session id. */
    async signIn(url: string, email: string) {
      const start = await fetch(`${url}/ui/auth/oidc?next=/ui/my-access`, { redirect: 'manual' });
      const authorize = new URL(start.headers.get('location')!);
      pending.set(secrets.OIDC_CODE!, { nonce: authorize.searchParams.get('nonce')!, email });
      const cookie = start.headers.getSetCookie().find((c) => c.startsWith('hubwarden-oidc='))!.split(';')[0]!;
      const back = await fetch(`${url}/ui/auth/callback?code=${secrets.OIDC_CODE}&state=${encodeURIComponent(authorize.searchParams.get('state')!)}`, { redirect: 'manual', headers: { cookie } });
      const session = back.headers.getSetCookie().find((c) => /^hubwarden-session=[^;]/.test(c))?.split(';')[0];
      assert.ok(session, `signed in (${back.status} ${back.headers.get('location')})`);
      return { cookie: session, id: decodeURIComponent(session.slice('hubwarden-session='.length)) };
    },
  };
}

test('the search finds a secret planted in any of its forms', () => {
  const secret = 'planted~secret+value/0123456789';
  const basic = `Basic ${Buffer.from(`client:${secret}`).toString('base64')}`;
  for (const text of [secret, `x=${encodeURIComponent(secret)}`, JSON.stringify({ v: secret }), basic, Buffer.from(`ab${secret}`).toString('base64url'), Buffer.from(secret).toString('hex')]) {
    assert.notDeepEqual(secretsFound({ PLANTED: secret }, [['text', text]]), [], text);
  }
  assert.deepEqual(secretsFound({ PLANTED: secret }, [['text', 'nothing of it']]), []);
  assert.ok(formsOf(secret).length >= 8);
});

for (const kind of ['lowdb', 'postgres'] as const) {
  describe(`a realistic run leaves no secret at rest (${kind})`, { skip: kind === 'postgres' && db.skip }, () => {
    let run: Run | undefined;
    after(() => { run = undefined; });
    test('every file under the data folder, every log line and every row: none holds a secret', { timeout: 120_000 }, async () => {
      run = await runFlow(kind);
      assert.ok(Object.keys(run.secrets).some((k) => k.startsWith('OKTA_ACCESS_TOKEN')) && Object.keys(run.secrets).some((k) => k.startsWith('GRAPH_ACCESS_TOKEN')), 'OAuth access tokens were used');
      assert.deepEqual(secretsFound(run.secrets, run.places), [], `searched ${run.checks.join(', ')} and the log lines for ${Object.keys(run.secrets).join(', ')}`);
    });
    test('planted in the data folder as it rests, a secret is found', async (t) => {
      if (!run) return t.skip('the run failed');
      const planted: Array<[string, string]> = [...run.places, ['planted', Buffer.from(`{"token":"${run.secrets.ADMIN_TOKEN}"}`).toString('base64')]];
      assert.ok(secretsFound(run.secrets, planted).some((f) => f.startsWith('ADMIN_TOKEN') && f.endsWith('in planted')));
    });
  });
}


