import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createHash } from 'node:crypto';
import { Keyring } from '../../agent/secrets/keyring.ts';
import { SCIM_LABEL_PURPOSE, scimTokenLabel } from './auth.ts';
import { FailureLimiter } from '../auth-failures.ts';
import { collect } from '../../agent/store/store.ts';
import '../../agent/outbox.ts';
import { scimRequest, startScimApp, type ScimTestApp } from './test-app.ts';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe('SCIM auth', () => {
  let app: ScimTestApp;
  let jwks: Server;
  let sign: (claims: { iss: string; aud: string; expSeconds?: number | null; sub?: string }) => Promise<string>;
  let failures: FailureLimiter;
  let clock = 1_000_000;

  before(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    sign = ({ iss, aud, expSeconds = 300, sub }) => {
      const signed = new SignJWT({ scope: 'scim' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(iss).setAudience(aud).setIssuedAt();
      const jwt = sub ? signed.setSubject(sub) : signed;
      return (expSeconds === null ? jwt : jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expSeconds)).sign(privateKey);
    };
    failures = new FailureLimiter({ scim: { maxFailures: 5, windowMs: 60_000 } }, () => clock);
    app = await startScimApp({
      hubs: [{ id: 'hub-a', jwt: { issuer: 'https://idp.example', audience: 'hubwarden-hub-a', jwksUrl } }, { id: 'hub-b' }],
      failures,
    });
  });
  after(async () => {
    await app.close();
    await new Promise((r) => jwks.close(r));
  });

  test('each hub opens with its own token only; 401 carries a SCIM error body', async () => {
    assert.equal((await scimRequest(app, 'hub-a', 'GET', '/Users')).status, 200);
    assert.equal((await scimRequest(app, 'hub-b', 'GET', '/Users')).status, 200);
    const cross = await scimRequest(app, 'hub-b', 'GET', '/Users', undefined, { authorization: `Bearer ${app.token('hub-a')}` });
    assert.equal(cross.status, 401);
    assert.deepEqual(cross.body.schemas, [ERROR]);
    assert.equal(cross.body.status, '401');
    assert.match(cross.body.detail, /hub-b/);
    assert.ok(!cross.text.includes(app.token('hub-a')), 'the presented token is never echoed');
    assert.equal((await scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: 'non-token' })).status, 401);
    assert.equal((await scimRequest(app, 'hub-a', 'POST', '/Users', { userName: 'x' }, { authorization: '' })).status, 401);
    assert.equal(await app.store.count('directoryUsers', 'hub-a'), 0, 'an unauthenticated POST stores nothing');
  });

  test('a JWT from the configured issuer and audience opens that hub only', async () => {
    clock += 120_000; // a fresh failure window
    const good = await sign({ iss: 'https://idp.example', aud: 'hubwarden-hub-a' });
    assert.equal((await scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: `Bearer ${good}` })).status, 200);
    assert.equal((await scimRequest(app, 'hub-b', 'GET', '/Users', undefined, { authorization: `Bearer ${good}` })).status, 401);
    const wrongAud = await sign({ iss: 'https://idp.example', aud: 'someone-else' });
    assert.equal((await scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: `Bearer ${wrongAud}` })).status, 401);
    const wrongIss = await sign({ iss: 'https://evil.example', aud: 'hubwarden-hub-a' });
    assert.equal((await scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: `Bearer ${wrongIss}` })).status, 401);
    const expired = await sign({ iss: 'https://idp.example', aud: 'hubwarden-hub-a', expSeconds: -120 });
    assert.equal((await scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: `Bearer ${expired}` })).status, 401);
    const forever = await sign({ iss: 'https://idp.example', aud: 'hubwarden-hub-a', expSeconds: null });
    assert.equal((await scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: `Bearer ${forever}` })).status, 401, 'a JWT without exp is refused');
  });

  test('after 5 failures in a minute, a wrong token from that address gets 429 with Retry-After, until the window passes', async () => {
    clock += 120_000; // forget the failures of the tests above
    for (let i = 0; i < 5; i++) assert.equal((await scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: 'Bearer wrong' })).status, 401);
    const limited = await scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: 'Bearer wrong' });
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.body.schemas, [ERROR]);
    assert.equal(limited.headers.get('retry-after'), '60');
    clock += 61_000;
    assert.equal((await scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: 'Bearer wrong' })).status, 401);
  });

  test('wrong tokens never lock out a valid one: not the same hub\'s, not another hub\'s', async () => {
    clock += 120_000;
    for (let i = 0; i < 8; i++) {
      assert.ok([401, 429].includes((await scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: `Bearer guess-${i}` })).status));
      assert.ok([401, 429].includes((await scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: `Bearer ${app.token('hub-b')}` })).status));
    }
    assert.equal((await scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: 'Bearer wrong' })).status, 429, 'the guesser is limited');
    // The same address (every client behind one proxy shares it) with valid tokens: never 429.
    for (let i = 0; i < 10; i++) {
      assert.equal((await scimRequest(app, 'hub-a', 'GET', '/Users')).status, 200, 'the same hub\'s valid token');
      assert.equal((await scimRequest(app, 'hub-b', 'GET', '/Users')).status, 200, 'another hub\'s valid token');
    }
    const jwt = await sign({ iss: 'https://idp.example', aud: 'hubwarden-hub-a' });
    assert.equal((await scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: `Bearer ${jwt}` })).status, 200, 'a valid JWT too');
    // The budget is per hub: hub-b's first wrong token from this address is a plain 401.
    assert.equal((await scimRequest(app, 'hub-b', 'GET', '/Users', undefined, { authorization: 'Bearer wrong' })).status, 401);
  });

  test('a write is audited under the credential that opened the hub, not the user agent the caller claims', async () => {
    clock += 120_000;
    const triggers = async () => (await collect(app.store.list('outbox', 'hub-a'))).sort((a, b) => a.seq - b.seq).map((e) => e.delta.trigger);
    const forged = { 'user-agent': 'Okta SCIM Client 1.0.0' };
    assert.equal((await scimRequest(app, 'hub-a', 'POST', '/Users', { schemas: [USER], userName: 'ann@example.com' }, forged)).status, 201);
    const jwt = await sign({ iss: 'https://idp.example', aud: 'hubwarden-hub-a', sub: 'provisioning-app' });
    assert.equal((await scimRequest(app, 'hub-a', 'POST', '/Users', { schemas: [USER], userName: 'bo@example.com' }, { authorization: `Bearer ${jwt}`, ...forged })).status, 201);
    const tokenHash = scimTokenLabel(Keyring.loadSync(app.config.pathOf(app.config.file.secrets.keyFile)).derive(SCIM_LABEL_PURPOSE), app.token('hub-a')).slice('scim-token:'.length);
    assert.deepEqual(await triggers(), [
      { type: 'scim', actor: `scim-token:${tokenHash}`, detail: 'user-agent: Okta SCIM Client 1.0.0' },
      { type: 'scim', actor: 'scim-jwt:provisioning-app', detail: 'user-agent: Okta SCIM Client 1.0.0' },
    ]);
    assert.ok(!JSON.stringify(await triggers()).includes(app.token('hub-a')), 'the token itself is named by a hash prefix only');
    // Keyed: a manager who sees the label cannot test guesses of the token offline with a plain hash.
    const plain = createHash('sha256').update(app.token('hub-a'), 'utf8').digest('hex').slice(0, 6);
    assert.notEqual(tokenHash, plain, 'the label is no plain SHA-256 prefix of the token');
    assert.notEqual(scimTokenLabel(Keyring.fromKey(Buffer.alloc(32, 9)).derive(SCIM_LABEL_PURPOSE), app.token('hub-a')), `scim-token:${tokenHash}`, 'another key file, another label');
  });

  test('untrusted X-Forwarded-For is ignored: a guesser cannot buy a fresh budget by inventing addresses', async () => {
    clock += 120_000;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: 'Bearer wrong', 'x-forwarded-for': `198.51.100.${i}` })).status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429]);
  });
});

describe('SCIM auth behind a trusted proxy (server.trustProxy)', () => {
  let app: ScimTestApp;
  before(async () => {
    app = await startScimApp({ hubs: [{ id: 'hub-a' }], trustProxy: 'loopback', failures: new FailureLimiter({ scim: { maxFailures: 5, windowMs: 60_000 } }) });
  });
  after(() => app.close());

  test('each client behind the proxy has its own budget; a valid token is never refused', async () => {
    const as = (client: string, token: string) => scimRequest(app, 'hub-a', 'GET', '/Users', undefined, { authorization: `Bearer ${token}`, 'x-forwarded-for': client });
    for (let i = 0; i < 5; i++) assert.equal((await as('203.0.113.7', 'wrong')).status, 401);
    assert.equal((await as('203.0.113.7', 'wrong')).status, 429);
    assert.equal((await as('203.0.113.8', 'wrong')).status, 401, 'another client behind the same proxy: its own budget');
    assert.equal((await as('203.0.113.7', app.token('hub-a'))).status, 200);
    assert.equal((await as('203.0.113.9', app.token('hub-a'))).status, 200);
  });
});

test('a credential of another scheme (Basic, which Okta also offers) gets a 401 that says so, readable, not "[redacted]"', async () => {
  const app = await startScimApp({ hubs: [{ id: 'hub-c', identityProvider: 'okta' }] });
  try {
    const basic = `Basic ${Buffer.from('okta:secret-pass').toString('base64')}`;
    const reply = await scimRequest(app, 'hub-c', 'GET', '/Users?filter=userName%20eq%20%22a%40b.c%22&startIndex=1&count=100', undefined, { authorization: basic });
    assert.equal(reply.status, 401);
    assert.deepEqual(reply.body.schemas, [ERROR]);
    assert.match(reply.body.detail, /scheme is not Bearer/);
    assert.ok(!reply.text.includes('[redacted]'), reply.body.detail);
    assert.ok(!reply.text.includes('secret-pass') && !reply.text.includes(basic.slice(6)), 'the credential is never echoed');
    assert.match(reply.headers.get('www-authenticate') ?? '', /^Bearer /);
  } finally {
    await app.close();
  }
});
