/**
 * No secret at rest in clear: hubwarden as `npm start` wires it (composeHubwarden, the durable
 * store, the audit file), against emulators that echo the credential they were sent back in their
 * errors (test faults: the Meta Graph emulator's `echoCredentials`, the Okta emulator's and the
 * Entra token endpoint's `control.echoCredentials`). It runs the failing-credential paths: a check
 * for updates whose Graph calls are refused quoting the access token, write-back to Okta refused
 * quoting the SSWS token and to Entra refused quoting the client secret, and a Lifecycle Workflows
 * callout whose resume cannot get a token. A TikTok hub whose every call is refused (the TikTok
 * emulator's forced-code fault) with a message quoting its access token, encoded, where the
 * message is cut. An Okta event hook delivery (its shared secret), a dashboard OIDC sign-in
 * whose code exchange an IdP test double refuses quoting the client secret it was sent (Basic
 * header and form), and a dashboard admin-token sign-in (its session id). Then every file under the data directory, the audit file, the captured log lines and the
 * admin API's answers are searched for every configured secret and the session id, as sent and
 * as a provider would echo it (URL-, form- and JSON-encoded): none may appear. Last, the store
 * is copied into PostgreSQL as `hubwarden store migrate` does, and no row may hold one either.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import winston from 'winston';
import { logger } from '../../agent/log/logger.ts';
import { Keyring } from '../../agent/secrets/keyring.ts';
import { PENDING_KEY_PURPOSE } from '../../scim-server/web/oidc-pending.ts';
import { LowdbStore } from '../../agent/store/lowdb-store.ts';
import { storeFileOf } from '../../agent/store/open-store.ts';
import { collect } from '../../agent/store/store.ts';
import { copyLowdbToPostgres } from '../../agent/store/copy-to-postgres.ts';
import { postgresForTests } from '../postgres.ts';
import { parseConfig } from '../../config/load.ts';
import { createMetaEmulator, SANDBOX } from '../../connectors/meta-business/emulator/index.ts';
import { createTikTokEmulator } from '../../connectors/tiktok-business/emulator/index.ts';
import { TIKTOK_SANDBOX } from '../../connectors/tiktok-business/emulator/sandbox-ids.ts';
import { createApp } from '../../scim-server/app.ts';
import { composeHubwarden, type Hubwarden } from '../../scim-server/compose.ts';
import { createGraphEmulator } from '../emulators/graph/graph-emulator.ts';
import { createOktaEmulator } from '../emulators/okta/okta-emulator.ts';
import { until } from './harness.ts';
import { filesUnder, formsOf } from './secret-scan.ts';

/** Every secret of the config. Long, with characters that change under URL and JSON encoding. */
const SECRETS = {
  META_ECHO_TOKEN: 'EAAB-echoed+meta/token~0123456789abcdef',
  OKTA_TOKEN: '00okta-echoed+ssws/token~0123456789',
  ENTRA_SECRET: 'entra~echoed+client/secret"0123456789',
  ADMIN_TOKEN: 'admin-token-secrets-at-rest-0123456789',
  SCIM_TOKEN: 'scim-token-secrets-at-rest-0123456789',
  META_TOKEN: SANDBOX.token,
  TIKTOK_TOKEN: 'TT~tiktok+echoed/token"ZYXWVUTSRQ',
  OKTA_HOOK_SECRET: 'okta~hook+secret/at-rest"0123456789',
  OIDC_SECRET: 'oidc~client+secret/at-rest"0123456789',
};
const TENANT = 'tenant-echo';
const CLIENT = 'hubwarden-echo-app';
const RELAY = 'relay-echo-app';
const AUD = 'api://hubwarden-echo';

/** The forms a secret takes when a provider quotes a request back (the search adds base64 and hex: secret-scan.ts formsOf). */
const forms = (s: string) => [...new Set([s, encodeURIComponent(s), new URLSearchParams({ v: s }).toString().slice(2), JSON.stringify(s).slice(1, -1), basicForm(s)])];
/** As a client puts it in an HTTP Basic header (RFC 6749 §2.3.1, Appendix B): all but letters and digits escaped, as openid-client does. */
const basicForm = (s: string) => encodeURIComponent(s).replace(/[-_.!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');

let dir: string;
let hubwarden: Hubwarden;
let parsedConfig: ReturnType<typeof parseConfig>;
let store: LowdbStore;
let server: Server;
let url: string;
const lines: string[] = [];
/** Secrets made at run time (the dashboard session id), searched for like the configured ones. */
const runtime: Record<string, string> = {};
/**
 * Secrets made at run time that the browser must hold, so answers carry them (the CSRF tokens in
 * the pages, the PKCE verifier and nonce in the sealed sign-in cookie): searched for in the files
 * and the logs only.
 */
const browserHeld: Record<string, string | undefined> = {};
const answers: string[] = [];
const closers: Array<() => Promise<unknown>> = [];
const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
const capture = new winston.transports.Stream({ stream: sink, level: 'debug' });
const saved = { silent: logger.silent, level: logger.level, transports: [...logger.transports] };

before(async () => {
  // Every log line hubwarden writes, after the logger's own format (redaction included).
  logger.clear().add(capture);
  logger.silent = false;
  logger.level = 'debug';

  const echoingMeta = createMetaEmulator({ faults: { echoCredentials: true } });
  const meta = createMetaEmulator();
  // The Entra hub's own business: two hubs on one business are refused (config/schema.ts).
  const entraMeta = createMetaEmulator();
  const okta = createOktaEmulator({ token: SECRETS.OKTA_TOKEN });
  okta.control.echoCredentials(true);
  const graph = createGraphEmulator({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRETS.ENTRA_SECRET });
  graph.control.echoCredentials(true);
  // TikTok: the token is the emulator's, and every call is refused (40105) quoting it in each
  // form; the URL-encoded one straddles the 200-character cut of the provider's message.
  const tiktokState = createTikTokEmulator().control.state();
  tiktokState.tokens = tiktokState.tokens.map((t) => (t.value === TIKTOK_SANDBOX.token ? { ...t, value: SECRETS.TIKTOK_TOKEN } : t));
  const [, ...tiktokForms] = forms(SECRETS.TIKTOK_TOKEN);
  const tiktok = createTikTokEmulator({ state: tiktokState, rateLimits: null, faults: { codes: [{ match: '.', code: 40105, message: `${'x'.repeat(186)}${tiktokForms.join(' ')} ${SECRETS.TIKTOK_TOKEN}` }] } });
  const servers = [await echoingMeta.listen(0), await meta.listen(0), await okta.listen(), await graph.listen(), await tiktok.listen(), await entraMeta.listen(0)];
  for (const s of servers) closers.push(s.close);
  // An OIDC IdP test double (not any IdP's behaviour): discovery, and a token endpoint that
  // refuses every code quoting back the credentials it was sent (RFC 6749 §2.3.1 Basic, or the form).
  let issuer = '';
  const idp = createServer(async (req, res) => {
    const json = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (req.url === '/.well-known/openid-configuration') return json(200, { issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks` });
    if (req.url === '/token') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
      return json(401, { error: `invalid_client ${basic}`, error_description: `refused ${req.headers.authorization} ${basic} ${body}` });
    }
    res.writeHead(404).end();
  });
  idp.listen(0, '127.0.0.1');
  await new Promise((r) => idp.once('listening', r));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  closers.push(() => new Promise((r) => { idp.closeAllConnections(); idp.close(r); }));
  const [echoUrl, metaUrl, oktaUrl, graphUrl, tiktokUrl, entraMetaUrl] = servers.map((s) => s.url);

  dir = await mkdtemp(join(tmpdir(), 'hubwarden-secrets-'));
  const config = parseConfig(`
server:
  publicUrl: http://127.0.0.1
  adminTokens: [env:ADMIN_TOKEN]
  oidc: { issuer: "${issuer}", clientId: ${CLIENT}, clientSecret: env:OIDC_SECRET }
store: { kind: lowdb, path: ${join(dir, 'data/hubwarden.json')} }
audit: { file: ${join(dir, 'data/audit.log')} }
secrets: { keyFile: ${join(dir, 'data/hubwarden.key')} }
identityProviders:
  okta:
    kind: okta
    orgUrl: ${oktaUrl}
    token: env:OKTA_TOKEN
    eventHookSecret: env:OKTA_HOOK_SECRET
  entra:
    kind: entra
    tenantId: ${TENANT}
    clientId: ${CLIENT}
    clientSecret: env:ENTRA_SECRET
    extensionAppId: ${CLIENT}
    graphBaseUrl: ${graphUrl}
    authorityUrl: ${graphUrl}
    lifecycleWorkflows: { allowedAppIds: [${RELAY}], audience: ${AUD}, jwksUrl: ${graph.jwksUrl}, actions: { task-check: check-for-updates } }
hubs:
  - id: meta-echo
    connector: meta-business
    meta: { businessId: "${SANDBOX.businessId}", accessToken: env:META_ECHO_TOKEN, graphBaseUrl: ${echoUrl} }
    scim: { tokens: [env:SCIM_TOKEN] }
  - id: okta-hub
    connector: meta-business
    identityProvider: okta
    meta: { businessId: "${SANDBOX.businessId}", accessToken: env:META_TOKEN, graphBaseUrl: ${metaUrl} }
  - id: entra-hub
    connector: meta-business
    identityProvider: entra
    meta: { businessId: "${SANDBOX.businessId}", accessToken: env:META_TOKEN, graphBaseUrl: ${entraMetaUrl} }
  - id: tiktok-echo
    connector: tiktok-business
    tiktok: { businessCenterId: "${TIKTOK_SANDBOX.bcId}", accessToken: env:TIKTOK_TOKEN, tokenUserId: "${TIKTOK_SANDBOX.tokenUserId}", apiBaseUrl: ${tiktokUrl} }
`, join(dir, 'hubwarden.yaml'), { ...SECRETS });

  parsedConfig = config;
  store = new LowdbStore(storeFileOf(config)!);
  await store.open();
  hubwarden = composeHubwarden({ config, store, auditFile: config.pathOf(config.file.audit.file), runner: { backoffBaseMs: 20, backoffMaxMs: 100, leaseMs: 2_000 } });
  const app = createApp({ store, agentRunning: () => hubwarden.running(), routers: hubwarden.routers });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await hubwarden.start(); // first imports of the three hubs: checks for updates, then write-back

  // A Lifecycle Workflows callout: check the Entra hubs, then resume (the token endpoint echoes).
  const callout = {
    data: {
      callbackUriPath: '/identityGovernance/lifecycleWorkflows/workflows/wf-echo/tasks/task-check/taskProcessingResults/tpr-echo/resume',
      subject: { id: 'obj-jane', displayName: 'Jane', userPrincipalName: 'jane@example.com', email: 'jane@example.com' },
      task: { id: 'task-check', displayName: 'check' },
      taskProcessingResult: { id: 'tpr-echo', createdDateTime: new Date().toISOString() },
      workflow: { id: 'wf-echo', displayName: 'Leaver', workflowVersion: 1 },
    },
    source: 'sample', type: 'lifecycleEvent',
  };
  const token = await graph.issueToken({ aud: AUD, azp: RELAY, appid: RELAY });
  runtime.CALLOUT_TOKEN = token; // the callout's bearer token: searched for like the session id
  const res = await fetch(`${url}/hooks/entra/lifecycle`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(callout) });
  assert.equal(res.status, 202, await res.text());
  await until('the callout to end (resume refused)', async () => (await store.get('hookEvents', 'entra-lifecycle', 'tpr-echo'))?.state === 'failed', 20_000);
  await until('every hub to be checked', async () => (await Promise.all(['meta-echo', 'okta-hub', 'entra-hub', 'tiktok-echo'].map((h) => collect(store.list('tasks', h))))).every((tasks) => tasks.some((t) => t.kind === 'check-for-updates' && ['completed', 'failed', 'waiting'].includes(t.status) && t.attempts > 0)), 20_000);

  // An Okta event hook delivery (with its shared secret; no events) and one with a wrong one.
  for (const authorization of [SECRETS.OKTA_HOOK_SECRET, `${SECRETS.OKTA_HOOK_SECRET}-wrong`]) {
    const r = await fetch(`${url}/hooks/okta`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ eventType: 'com.okta.event_hook', data: { events: [] } }) });
    answers.push(`/hooks/okta ${r.status} ${await r.text()}`);
  }
  // A dashboard OIDC sign-in whose code exchange the IdP refuses, quoting the client secret.
  const oidcStart = await fetch(`${url}/ui/auth/oidc?next=/ui/`, { redirect: 'manual' });
  const authorize = new URL(oidcStart.headers.get('location')!);
  assert.equal(authorize.origin, issuer, 'the sign-in went to the IdP');
  const pending = oidcStart.headers.getSetCookie().find((c) => c.startsWith('hubwarden-oidc='))!.split(';')[0]!;
  const oidcBack = await fetch(`${url}/ui/auth/callback?code=c1&state=${encodeURIComponent(authorize.searchParams.get('state')!)}`, { redirect: 'manual', headers: { cookie: pending } });
  answers.push(`/ui/auth/callback ${oidcBack.status} ${oidcBack.headers.get('location')} ${await oidcBack.text()}`);
  // The sealed cookie's PKCE verifier (RFC 7636 §4.1) and nonce, as the code exchange sent them.
  const keyring = await Keyring.load(join(dir, 'data/hubwarden.key'));
  const opened = JSON.parse(keyring.derive(PENDING_KEY_PURPOSE).open(decodeURIComponent(pending.slice('hubwarden-oidc='.length)), PENDING_KEY_PURPOSE)) as { n: string; v: string };
  Object.assign(browserHeld, { PKCE_VERIFIER: opened.v, OIDC_NONCE: opened.n });
  assert.match(oidcBack.headers.get('location') ?? '', /sign-in\?error=/, 'the sign-in failed');
  // A dashboard session: signed in with the admin token; its id is a secret the store keeps hashed.
  const signInPage = await fetch(`${url}/ui/sign-in`);
  const loginCookie = signInPage.headers.getSetCookie().find((c) => c.startsWith('hubwarden-login='))!.split(';')[0]!;
  const login = /name="_login" value="([^"]+)"/.exec(await signInPage.text())![1]!;
  Object.assign(browserHeld, { LOGIN_FORM_TOKEN: login, LOGIN_COOKIE: decodeURIComponent(loginCookie.slice('hubwarden-login='.length)) });
  const signIn = await fetch(`${url}/ui/sign-in/token`, {
    method: 'POST', redirect: 'manual', headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _login: login, next: '/ui/', token: SECRETS.ADMIN_TOKEN }).toString(),
  });
  assert.equal(signIn.status, 303, await signIn.text());
  const session = signIn.headers.getSetCookie().find((c) => /^hubwarden-session=[^;]/.test(c))!.split(';')[0]!;
  runtime.SESSION_ID = decodeURIComponent(session.slice('hubwarden-session='.length));
  for (const path of ['/ui/', '/ui/api/v1/hubs']) {
    const r = await fetch(`${url}${path}`, { headers: { cookie: session } });
    const text = await r.text();
    answers.push(`${path} ${r.status} ${text}`);
    assert.equal(r.status, 200, path);
    browserHeld.CSRF_TOKEN ??= /name="csrf-token" content="([^"]+)"/.exec(text)?.[1];
  }
  assert.ok(browserHeld.CSRF_TOKEN, 'the dashboard page carries the session CSRF token');
  // A dashboard change carrying the CSRF token (the session stays: its record is searched too).
  const change = await fetch(`${url}/ui/api/v1/hubs/okta-hub/check-for-updates`, { method: 'POST', headers: { cookie: session, 'content-type': 'application/json', 'x-csrf-token': browserHeld.CSRF_TOKEN! }, body: '{}' });
  answers.push(`check-for-updates ${change.status} ${await change.text()}`);
  assert.ok(change.status < 300, `the dashboard change was taken (${change.status} ${answers.at(-1)})`);

  // What the admin API, the health endpoints and /metrics answer about it all.
  for (const path of ['/api/v1/hubs', '/api/v1/hubs/meta-echo', '/api/v1/hubs/okta-hub', '/api/v1/hubs/entra-hub', '/api/v1/hubs/tiktok-echo', '/api/v1/tasks?limit=200', '/api/v1/audit?limit=500', '/api/v1/reports', '/api/v1/approvals', '/api/v1/openapi.json', '/healthz', '/readyz', '/metrics']) {
    const r = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` } });
    answers.push(`${path} ${r.status} ${await r.text()}`);
    assert.equal(r.status, 200, path);
  }
});

after(async () => {
  // A failed set-up leaves them running: stopped here, so the file ends instead of timing out.
  await hubwarden?.stop(2_000).catch(() => {});
  server?.closeAllConnections();
  await new Promise((r) => (server?.listening ? server.close(r) : r(undefined)));
  logger.clear();
  for (const t of saved.transports) logger.add(t);
  logger.silent = saved.silent;
  logger.level = saved.level;
  for (const close of closers) await close().catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the echoed credentials reached what hubwarden stores, redacted', async () => {
  const hook = (await store.get('hookEvents', 'entra-lifecycle', 'tpr-echo'))!;
  assert.match(hook.outcome ?? '', /^resume failed: .*\[redacted\]/, 'the Entra token endpoint echo reached the hook event');
  const echoTask = (await collect(store.list('tasks', 'meta-echo'))).find((t) => t.kind === 'check-for-updates')!;
  assert.match(echoTask.lastError?.message ?? '', /\[redacted\]/, 'the Meta echo reached the task record');
  const oktaTask = (await collect(store.list('tasks', 'okta-hub'))).find((t) => t.kind === 'check-for-updates' && t.status === 'completed');
  assert.match(String((oktaTask?.result as { writeback?: string } | undefined)?.writeback), /^failed: .*\[redacted\]/, 'the Okta echo reached the write-back result');
  const tiktokTask = (await collect(store.list('tasks', 'tiktok-echo'))).find((t) => t.kind === 'check-for-updates')!;
  assert.match(tiktokTask.lastError?.message ?? '', /xxxx\[redacted\]/, 'the TikTok echo reached the task record');
  assert.ok(lines.some((l) => l.includes('[redacted]')), 'the echoes reached the logs');
});

test('no configured secret is found in any file under the data directory, the audit file, the logs or the API answers', async () => {
  await hubwarden.stop(2_000);
  await new Promise((r) => server.close(r));
  await store.close(); // journal folded into the snapshot: the files as they rest
  const files = await filesUnder(join(dir, 'data'));
  assert.ok(files.some((f) => f.endsWith('audit.log')) && files.some((f) => f.endsWith('hubwarden.json')), files.join(', '));
  const places: Array<[string, string]> = [];
  for (const f of files) places.push([f, await readFile(f, 'utf8')]);
  places.push(['log lines', lines.join('')], ['admin API answers', answers.join('\n')]);
  const found: string[] = [];
  for (const [name, secret] of Object.entries({ ...SECRETS, ...runtime })) {
    for (const form of formsOf(secret)) for (const [where, text] of places) if (text.includes(form)) found.push(`${name} (${form}) in ${where}`);
  }
  assert.deepEqual(Object.keys(browserHeld).sort(), ['CSRF_TOKEN', 'LOGIN_COOKIE', 'LOGIN_FORM_TOKEN', 'OIDC_NONCE', 'PKCE_VERIFIER']);
  for (const [name, secret] of Object.entries(browserHeld) as Array<[string, string]>) {
    for (const form of formsOf(secret)) for (const [where, text] of places.slice(0, -1)) if (text.includes(form)) found.push(`${name} (${form}) in ${where}`);
  }
  // The TikTok message is cut inside an echoed form: not even a piece of one may remain.
  for (const form of forms(SECRETS.TIKTOK_TOKEN)) {
    for (let i = 0; i + 8 <= form.length; i++) for (const [where, text] of places) if (text.includes(form.slice(i, i + 8))) found.push(`TIKTOK_TOKEN piece ${form.slice(i, i + 8)} in ${where}`);
  }
  assert.deepEqual(found, []);
});

/** Where each secret (in each form) is found in `text`. */
function secretsIn(text: string, where: string): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries({ ...SECRETS, ...runtime })) for (const form of formsOf(secret)) if (text.includes(form)) found.push(`${name} (${form}) in ${where}`);
  return found;
}

const db = await postgresForTests();

test('the same store copied into PostgreSQL (store migrate): no row holds a secret', { skip: db.skip }, async () => {
  const schema = `hw_secrets_${process.pid}`;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const report = await copyLowdbToPostgres({ source: storeFileOf(parsedConfig)!, url: db.url, schema });
    assert.ok(report.records > 0, 'records were copied');
    const tables = await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
    const found: string[] = [];
    let rows = 0;
    for (const { table_name } of tables.rows) {
      const result = await client.query<{ row: string }>(`SELECT t::text AS row FROM ${schema}."${table_name}" t`);
      rows += result.rowCount ?? 0;
      found.push(...secretsIn(result.rows.map((r) => r.row).join('\n'), `${schema}.${table_name}`));
    }
    assert.ok(rows >= report.records, `${rows} rows read`);
    assert.deepEqual(found, []);
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await client.end();
  }
});
