/**
 * Secrets never reach a log line ("secrets redacted by path, never request
 * bodies with tokens or passwords"): by key anywhere in the metadata, inside free text in any
 * field, inside SCIM PATCH ops aimed at a password, and past the depth the redactor walks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import winston from 'winston';
import { addKnownSecrets, errorText, redact, redactFormat, redactText } from './logger.ts';
import { TS_NODE_ARGS } from '../../test/child-node.ts';

const SECRETS = ['tok-EAAB123', 'hunter2!', 'client-s3cret', 'ssws-00abc', 'deep-secret-value', 'pw-in-json'];

test('free text: URL and form parameters, quoted JSON and Authorization credentials', () => {
  const text = [
    'GET https://graph.facebook.com/v25.0/me?fields=id&access_token=tok-EAAB123 failed',
    'body grant_type=client_credentials&client_secret=client-s3cret&password=hunter2!',
    'Authorization: SSWS ssws-00abc',
    'payload {"userName":"a@b.c","password":"pw-in-json","accessToken":"tok-EAAB123"}',
  ].join('\n');
  const out = redactText(text);
  for (const s of SECRETS.slice(0, 5).concat('pw-in-json')) if (s !== 'deep-secret-value') assert.ok(!out.includes(s), `${s} in ${out}`);
  assert.match(out, /"userName":"a@b\.c"/, 'other fields stay readable');
  assert.match(out, /fields=id/);
});

test('metadata: secret keys, plural keys, PATCH ops on password, strings in any field, and deep nesting', () => {
  let deep: Record<string, unknown> = { note: 'deep-secret-value' };
  for (let i = 0; i < 12; i++) deep = { next: deep };
  const out = JSON.stringify(redact({
    adminTokens: ['tok-EAAB123'],
    clientSecret: 'client-s3cret',
    op: { op: 'replace', path: 'password', value: 'hunter2!' },
    error: 'okta: update user: Authorization SSWS ssws-00abc refused',
    deep,
    count: 3,
  }));
  for (const s of SECRETS) assert.ok(!out.includes(s), `${s} in ${out}`);
  assert.match(out, /"count":3/);
});

test('a real log line through the winston format has nothing to redact left', async () => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const log = winston.createLogger({ format: winston.format.combine(redactFormat(), winston.format.json()), transports: [new winston.transports.Stream({ stream: sink })] });
  log.error('scim: unexpected error for Bearer tok-EAAB123', { error: 'client_secret=client-s3cret', body: { password: 'hunter2!' } });
  await new Promise((r) => setImmediate(r));
  assert.equal(lines.length, 1);
  for (const s of SECRETS) assert.ok(!lines[0].includes(s), `${s} in ${lines[0]}`);
  assert.match(lines[0], /scim: unexpected error/);
});

test('a configured secret is redacted wherever a provider echoes it: bare, URL-encoded, form-encoded, JSON-escaped', () => {
  const secret = 'Qx7~s3cr3t+v/al"ue';
  addKnownSecrets([secret, 'short']);
  const echoes = [
    `invalid_client: the secret ${secret} is wrong`,
    `request: client_id=abc&cs=${encodeURIComponent(secret)}&scope=x`,
    `request: ${new URLSearchParams({ x: secret }).toString()}`,
    `request: ${JSON.stringify({ v: secret })}`,
  ];
  for (const text of echoes) {
    const out = redactText(text);
    for (const form of [secret, encodeURIComponent(secret), new URLSearchParams({ x: secret }).toString().slice(2), JSON.stringify(secret).slice(1, -1)]) {
      assert.ok(!out.includes(form), `${form} in ${out}`);
    }
    assert.match(out, /\[redacted\]/);
  }
  assert.equal(redactText('a short word'), 'a short word', 'values under 8 characters are left to the patterns');
  assert.equal(errorText(new Error(`boom ${secret}`)), 'boom [redacted]');
});

test('a misspelt HUBWARDEN_LOG_LEVEL logs at info, not nothing (winston drops every line at a level it does not know)', async () => {
  const { spawnSync } = await import('node:child_process');
  const script = "import('./agent/log/logger.ts').then(({ logger }) => { logger.error('e-line'); logger.warn('w-line'); logger.info('i-line'); logger.debug('d-line'); })";
  const run = (level: string) => spawnSync(process.execPath, [...TS_NODE_ARGS, '-e', script], {
    cwd: new URL('../..', import.meta.url).pathname, env: { ...process.env, HUBWARDEN_LOG_LEVEL: level }, encoding: 'utf8', timeout: 30_000,
  });
  const messages = (level: string) => run(level).stderr.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { message: string }).message);
  for (const level of ['warning', 'DEBUG', 'loud']) assert.deepEqual(messages(level), ['e-line', 'w-line', 'i-line'], level);
  assert.deepEqual(messages('warn'), ['e-line', 'w-line'], 'a valid level is used as given');
  assert.deepEqual(messages('silent'), []);
});

test('free text: any case of the auth scheme, URL user passwords, assertions, API keys, private keys, cookies and escaped JSON', () => {
  const cases: Array<[string, string]> = [
    ['authorization: bearer lower-bearer-tok', 'lower-bearer-tok'], // RFC 9110 §11.1: the scheme is case-insensitive
    ['Authorization: BEARER upper-bearer-tok', 'upper-bearer-tok'],
    ['authorization: basic dXNlcjpiYXNpYy1wdw==', 'dXNlcjpiYXNpYy1wdw=='],
    ['connect postgres://hub:Db-Pa55word@db.example:5432/hubwarden failed', 'Db-Pa55word'],
    ['postgresql://hub:p%40ss-w0rd@db/hw refused', 'p%40ss-w0rd'],
    ['grant_type=client_credentials&client_assertion=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl&x=1', 'eyJzdWIiOiJ4In0'],
    ['GET https://api.example/v1?api_key=k3y-in-query', 'k3y-in-query'],
    ['payload {"private_key":"-----BEGIN PRIVATE KEY-----MIIEvQ","api_key":"k3y-in-json","cookie":"sid=c00kie"}', 'MIIEvQ'],
    ['payload {"private_key":"x","api_key":"k3y-in-json"}', 'k3y-in-json'],
    ['sent Cookie: hw_session=c00kie-value; other=1', 'c00kie-value'],
    ['error body "{\\"access_token\\":\\"escaped-tok-123\\",\\"ok\\":false}"', 'escaped-tok-123'],
  ];
  for (const [text, secret] of cases) {
    const out = redactText(text);
    assert.ok(!out.includes(secret), `${secret} in ${out}`);
  }
  assert.equal(redactText('see https://graph.facebook.com/v25.0/me?fields=id'), 'see https://graph.facebook.com/v25.0/me?fields=id', 'a URL without credentials stays as it is');
  assert.match(redactText('postgres://hub:pw-123@db:5432/hw'), /^postgres:\/\/hub:\[redacted\]@db:5432\/hw$/, 'the user and host stay readable');
  assert.ok(!JSON.stringify(redact({ databaseUrl: 'postgres://hub:Db-Pa55word@db/hw' })).includes('Db-Pa55word'), 'a URL in metadata too');
  // An unencoded @ in the password: the URL parser (and node-postgres with it) takes the last @
  // before the host as the end of the userinfo (WHATWG URL), so the whole password goes.
  assert.equal(redactText('postgres://hub:p@ss-w0rd@db:5432/hw refused'), 'postgres://hub:[redacted]@db:5432/hw refused');
});

test('prose that names a scheme stays readable', () => {
  for (const text of ['the bearer token is not one of server.adminTokens', 'a basic check failed', 'authorization failed for the hub']) assert.equal(redactText(text), text);
});

test('long runs of dotted or hyphenated text are redacted in linear time', () => {
  // The URL-password pattern once restarted its scheme at every word boundary of such a run and
  // scanned to its end from each (quadratic): 200 KB of "a." held the event loop for seconds.
  // Bounds are generous (a loaded CI machine): linear work here takes a few milliseconds.
  for (const unit of ['a.', 'a-', 'ab+']) {
    const text = `${unit.repeat(Math.ceil(200_000 / unit.length))} postgres://hub:run-pw@db/hw`;
    const started = performance.now();
    const out = redactText(text);
    const ms = performance.now() - started;
    assert.ok(ms < 1_500, `${unit} x ${text.length}: ${Math.round(ms)} ms`);
    assert.ok(!out.includes('run-pw') && out.startsWith(unit.repeat(100)), 'still redacted, the rest as it was');
  }
});

test('metadata: CSRF tokens, assertions, PKCE verifiers, session ids and header spellings are redacted by key', () => {
  const out = redact({
    _csrf: 'SEC-1', csrf: 'SEC-2', csrfToken: 'SEC-3', 'x-csrf-token': 'SEC-4',
    client_assertion: 'SEC-5', assertion: 'SEC-6', // RFC 7523 §2.2 and §2.1
    id_token: 'SEC-7', code_verifier: 'SEC-8', codeVerifier: 'SEC-9', // RFC 7636 §4.1
    'set-cookie': ['hubwarden-session=SEC-10'], cookies: { 'hubwarden-session': 'SEC-11' },
    'proxy-authorization': 'Basic SEC-12', 'x-api-key': 'SEC-13',
    sessionId: 'SEC-14', session_id: 'SEC-15', session: 'SEC-16', 'hubwarden-session': 'SEC-17', 'connect.sid': 'SEC-18',
    signedIn: { session: { id: 'SEC-19', actor: 'ann@acme.example', csrf: 'SEC-20' } },
    authorizationCode: 'SEC-21',
  }) as Record<string, unknown>;
  const text = JSON.stringify(out);
  assert.ok(!text.includes('SEC-'), text);
  assert.match(text, /"actor":"ann@acme\.example"/, 'the rest of a session record stays readable');
});

test('metadata: an OAuth authorization code is redacted, an error code is not', () => {
  // RFC 6749 §4.1.2: the callback's `code` is a one-time credential; `code` is also every error's.
  const out = JSON.stringify(redact({
    query: { code: 'oc-query', state: 'st-1' },
    callback: { code: 'oc-iss', iss: 'https://idp.example' }, // RFC 9207
    tokenRequest: { grant_type: 'authorization_code', code: 'oc-grant', redirect_uri: 'https://hub/cb' },
    store: { code: 'ENOSPC', path: '/data/hw.json' },
    pg: { code: '40001', state: 'open' },
    provider: { code: 'E0000001', errorSummary: 'Api validation failed' },
    body: { code: 40100, message: 'throttled' },
  }));
  for (const s of ['oc-query', 'oc-iss', 'oc-grant']) assert.ok(!out.includes(s), `${s} in ${out}`);
  for (const s of ['"code":"ENOSPC"', '"code":"40001"', '"code":"E0000001"', '"code":40100', '"state":"st-1"']) assert.ok(out.includes(s), `${s} missing in ${out}`);
});

test('free text: a URL password holding / ? # : @ or a space is redacted whole; the user, host and path stay', () => {
  for (const pw of ['pa/ss', 'pa#ss', 'pa?ss', 'a/b?c#d', '#pw', 'pw/', '123/x', 'p:w', 'p w', 'p/a@ss', 'p w/x']) {
    // A bare host (no port, no database) ends the URL only when the password holds no space: with
    // one, prose quoting a URL and then an email address would lose its words (see logger.ts).
    for (const host of ['db:5432/hw', 'db/hw', '[::1]:5432/hw', ...(pw.includes(' ') ? [] : ['db'])]) {
      const out = redactText(`connect postgres://app:${pw}@${host} refused`);
      assert.equal(out, `connect postgres://app:[redacted]@${host} refused`, pw);
    }
    assert.equal(redactText(`'postgres://app:${pw}@db/hw'`), "'postgres://app:[redacted]@db/hw'", `${pw} quoted`);
  }
  // An @ after the host (a query parameter's value) is not taken for the end of the password.
  assert.equal(redactText('postgres://app:S3cret@127.0.0.1:1/hw?sslrootcert=/run/credentials/hubwarden@eu.service/db-ca.pem'),
    'postgres://app:[redacted]@127.0.0.1:1/hw?sslrootcert=/run/credentials/hubwarden@eu.service/db-ca.pem');
  for (const text of ['postgres://db:5432 is down; mail ops@example.org now', 'see http://127.0.0.1:8080/api/x ok', 'GET https://hub.example:8443/scim/v2/Users?filter=userName eq "a@b.c"']) {
    assert.equal(redactText(text), text, 'no password in it: unchanged');
  }
});

test('free text: OAuth and CSRF parameters, X-API-Key and Proxy-Authorization headers, JSON keys; an error code stays', () => {
  const cases: Array<[string, string]> = [
    ['GET /auth/callback?code=oc-in-url&state=st', 'oc-in-url'],
    ['POST /token grant_type=authorization_code&code=oc-in-form&redirect_uri=x', 'oc-in-form'],
    ['code_verifier=pkce-in-form&x=1', 'pkce-in-form'],
    ['grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=jwt-in-form', 'jwt-in-form'],
    ['form _csrf=csrf-in-form&offer=1', 'csrf-in-form'],
    ['headers X-API-Key: key-in-header', 'key-in-header'],
    ['Proxy-Authorization: Basic cHJveHk6cHc=', 'cHJveHk6cHc='],
    ['Set-Cookie: hubwarden-session=ck-in-header; HttpOnly', 'ck-in-header'],
    ['body {"code_verifier":"pkce-in-json","_csrf":"csrf-in-json","client_assertion":"jwt-in-json"}', 'pkce-in-json'],
    ['body {"_csrf":"csrf-in-json"}', 'csrf-in-json'],
    ['body {"client_assertion":"jwt-in-json"}', 'jwt-in-json'],
  ];
  for (const [text, secret] of cases) assert.ok(!redactText(text).includes(secret), `${secret} in ${redactText(text)}`);
  for (const text of ['okta: {"errorCode":"E0000001","code":"E0000001"}', 'the child ended with exit code=1', 'SQLSTATE code 40001']) assert.equal(redactText(text), text);
});

test('an Error logged alone or in the metadata keeps its message and stack, redacted (not an empty {})', async () => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const log = winston.createLogger({ format: winston.format.combine(redactFormat(), winston.format.json()), transports: [new winston.transports.Stream({ stream: sink })] });
  log.error(new Error('refused Authorization: Bearer tok-EAAB123'));
  log.error('task failed', { error: Object.assign(new Error('upstream said password=hunter2!'), { code: 'E_UPSTREAM' }) });
  log.warn('wrapped', { err: new Error('outer', { cause: new Error('inner client_secret=client-s3cret') }) });
  await new Promise((r) => setImmediate(r));
  assert.equal(lines.length, 3);
  for (const line of lines) for (const s of SECRETS) assert.ok(!line.includes(s), `${s} in ${line}`);
  const [alone, meta, wrapped] = lines.map((l) => JSON.parse(l));
  assert.match(alone.message, /^refused Authorization: Bearer \[redacted\]$/);
  assert.match(alone.stack, /^Error: refused/);
  assert.equal(meta.error.message, 'upstream said password=[redacted]');
  assert.equal(meta.error.code, 'E_UPSTREAM');
  assert.match(meta.error.stack, /^Error: upstream/);
  assert.equal(wrapped.err.cause.message, 'inner client_secret=[redacted]');
});

test("Meta's appsecret_proof (an HMAC of the token under the app secret) is redacted in text, quoted JSON and by key", () => {
  const proof = '3f1a9c0be44d7e21a5c6b08f9d2e71c4a0b3f5d6e7c8a9b0c1d2e3f4a5b6c7d8';
  const text = redactText(`GET /v25.0/me?access_token=[redacted]&appsecret_proof=${proof} {"appsecret_proof":"${proof}"} {\\"appsecret_proof\\":\\"${proof}\\"}`);
  assert.ok(!text.includes(proof), text);
  assert.match(text, /appsecret_proof=\[redacted\]/);
  assert.deepEqual(redact({ query: { appsecret_proof: proof, fields: 'id' } }), { query: { appsecret_proof: '[redacted]', fields: 'id' } });
});
