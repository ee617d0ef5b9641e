/**
 * The relying party against a small hand-made IdP (discovery, JWKS, token and userinfo endpoints
 * signing with jose) that can misbehave on purpose: each ID-token check of OIDC Core §3.1.3.7
 * must refuse its case. The happy path against a real provider is in test/browser/dashboard.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { OidcClient, trustedEmail, type PendingLogin } from './oidc-client.ts';
import { JWKS_COOLDOWN_MS } from './oidc-signing-keys.ts';

interface Behaviour {
  idToken?: Partial<{
    iss: string; aud: string | string[]; nonce: string; expSeconds: number; signWithOtherKey: boolean; email: string; groups: string[]; claims: Record<string, unknown>;
    /** Signed with the next key (kid k2), which the JWKS lists only once `rotated`. */
    nextKey: boolean;
    /** Signed with the main key but naming a kid no JWKS lists, another for each token. */
    randomKid: boolean;
    /** A token no IdP key signed: `alg: none`, or HS256 keyed with the IdP's public key (RFC 8725 §2.1, §3.1). */
    forged: 'none' | 'hs256-public-key';
  }>;
  discoveryIssuer?: string;
  /** More discovery metadata (OIDC Discovery §3). */
  metadata?: Record<string, unknown>;
  userinfo?: Record<string, unknown>;
  tokenStatus?: number;
}

describe('OIDC relying party refuses bad ID tokens', () => {
  let server: Server;
  let issuer: string;
  let behaviour: Behaviour = {};
  let lastTokenRequest: { auth?: string; body: string } | undefined;
  const keys = { main: undefined as unknown as CryptoKeyPair, other: undefined as unknown as CryptoKeyPair, next: undefined as unknown as CryptoKeyPair, jwk: undefined as unknown as JWK, nextJwk: undefined as unknown as JWK };
  /** The IdP has published its next signing key (OIDC Core §10.1.1). */
  let rotated = false;
  /** How many times the JWKS was read. */
  let jwksReads = 0;

  before(async () => {
    keys.main = await generateKeyPair('RS256');
    keys.other = await generateKeyPair('RS256');
    keys.next = await generateKeyPair('RS256');
    keys.jwk = { ...(await exportJWK(keys.main.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    keys.nextJwk = { ...(await exportJWK(keys.next.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' };
    server = createServer(async (req, res) => {
      const json = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
      if (req.url === '/.well-known/openid-configuration') {
        return json(200, {
          issuer: behaviour.discoveryIssuer ?? issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`, userinfo_endpoint: `${issuer}/me`, scopes_supported: ['openid', 'email', 'groups'], ...behaviour.metadata,
        });
      }
      if (req.url === '/jwks') jwksReads += 1;
      if (req.url === '/jwks') return json(200, { keys: rotated ? [keys.jwk, keys.nextJwk] : [keys.jwk] });
      if (req.url === '/me') return json(200, behaviour.userinfo ?? { sub: 'person-1' });
      if (req.url === '/token') {
        let body = '';
        for await (const chunk of req) body += chunk;
        lastTokenRequest = { auth: req.headers.authorization, body };
        if (behaviour.tokenStatus) return json(behaviour.tokenStatus, { error: 'invalid_grant' });
        const t = behaviour.idToken ?? {};
        const claims: Record<string, unknown> = { ...t.claims, nonce: t.nonce ?? 'the-nonce' };
        if (t.email !== undefined) claims.email = t.email;
        if (t.groups) claims.groups = t.groups;
        const now = Math.floor(Date.now() / 1000);
        const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: t.randomKid ? `random-${randomUUID()}` : t.nextKey ? 'k2' : 'k1' }).setSubject('person-1')
          .setIssuer(t.iss ?? issuer).setAudience(t.aud ?? 'client-1').setIssuedAt(now).setExpirationTime(now + (t.expSeconds ?? 300));
        const idToken = t.forged ? await forge(t.forged, { ...claims, sub: 'person-1', iss: issuer, aud: 'client-1', iat: now, exp: now + 300 })
          : await jwt.sign(t.signWithOtherKey ? keys.other.privateKey : t.nextKey ? keys.next.privateKey : keys.main.privateKey);
        return json(200, { id_token: idToken, access_token: 'at-1', token_type: 'Bearer' });
      }
      json(404, {});
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

  /** An ID token no IdP key signed, with the kid of its RSA key so a key is found for it. */
  async function forge(kind: 'none' | 'hs256-public-key', claims: Record<string, unknown>): Promise<string> {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const body = `${part({ alg: kind === 'none' ? 'none' : 'HS256', kid: 'k1' })}.${part(claims)}`;
    if (kind === 'none') return `${body}.`;
    const pem = createPublicKey({ key: keys.jwk as Record<string, string>, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    return `${body}.${createHmac('sha256', pem).update(body).digest('base64url')}`;
  }

  const client = () => new OidcClient({ issuer, clientId: 'client-1', clientSecret: 's3cr:et', redirectUri: 'http://hub.test/ui/auth/callback', groupsClaim: 'groups' });
  const pending: PendingLogin = { state: 's', nonce: 'the-nonce', verifier: 'v'.repeat(43), next: '/ui/' };
  /** The callback's query as the IdP sends it. */
  const callback = (code: string) => new URLSearchParams({ code, state: pending.state });

  test('authorization URL: code flow, S256 challenge of the verifier, state, nonce, groups scope when offered', async () => {
    const { url, pending: p } = await client().authorizationUrl('/ui/x');
    const q = new URL(url).searchParams;
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('code_challenge_method'), 'S256');
    const { createHash } = await import('node:crypto');
    assert.equal(q.get('code_challenge'), createHash('sha256').update(p.verifier).digest('base64url'));
    assert.equal(q.get('state'), p.state);
    assert.equal(q.get('nonce'), p.nonce);
    assert.equal(q.get('scope'), 'openid email profile groups');
    assert.equal(p.next, '/ui/x');
  });

  test('a good token: claims from the ID token; the code exchange sends the verifier and basic auth', async () => {
    behaviour = { idToken: { email: 'ann@x.example', groups: ['admins'] } };
    const signedAt = Math.floor(Date.now() / 1000);
    const { issuedAt, ...person } = await client().finish(callback('code-1'), pending);
    assert.deepEqual(person, { sub: 'person-1', email: 'ann@x.example', groups: ['admins'] });
    assert.ok(issuedAt !== undefined && Math.abs(issuedAt - signedAt) <= 1, "the ID token's iat, in seconds (sign-ins a leaver event revoked are refused by it)");
    const body = new URLSearchParams(lastTokenRequest!.body);
    assert.equal(body.get('code_verifier'), pending.verifier);
    assert.equal(body.get('client_secret'), null, 'the secret goes in the Authorization header');
    // RFC 6749 §2.3.1: id and secret form-encoded, then base64 ("s3cr:et" keeps its colon apart from the separator).
    const [id, secret] = Buffer.from(lastTokenRequest!.auth!.replace(/^Basic /, ''), 'base64').toString().split(':');
    assert.deepEqual([decodeURIComponent(id), decodeURIComponent(secret)], ['client-1', 's3cr:et']);
  });

  test('missing email and groups are read from userinfo, only for the same subject', async () => {
    behaviour = { idToken: {}, userinfo: { sub: 'person-1', email: 'bob@x.example', groups: ['admins'] } };
    const { issuedAt: _, ...person } = await client().finish(callback('c'), pending);
    assert.deepEqual(person, { sub: 'person-1', email: 'bob@x.example', groups: ['admins'] });
    // Userinfo about another subject is not merged: the sign-in is refused (OIDC Core §5.3.2).
    behaviour = { idToken: {}, userinfo: { sub: 'someone-else', email: 'mallory@x.example', groups: ['admins'] } };
    await assert.rejects(client().finish(callback('c'), pending), /^Error: oidc: userinfo: .*"sub"/);
  });

  test("an email and its email_verified come from one source: the ID token's never vouches for userinfo's email, nor userinfo's for the ID token's", async () => {
    // The ID token says "verified" but carries no email; userinfo's email is one it calls unverified.
    behaviour = { idToken: { claims: { email_verified: true } }, userinfo: { sub: 'person-1', email: 'mallory@x.example', email_verified: false, groups: ['admins'] } };
    let person = await client().finish(callback('c'), pending);
    assert.equal(person.email, 'mallory@x.example');
    assert.equal(person.emailVerified, false);
    assert.equal(trustedEmail(person), undefined, 'not trusted: its own source says it is unverified');
    // Userinfo's email, unverified by userinfo's silence, while the ID token says verified about no email: not vouched for.
    behaviour = { idToken: { claims: { email_verified: true } }, userinfo: { sub: 'person-1', email: 'eve@x.example', groups: ['admins'] } };
    person = await client().finish(callback('c'), pending);
    assert.equal(person.email, 'eve@x.example');
    assert.equal(person.emailVerified, undefined, "the ID token's email_verified is not about userinfo's email");
    // The other way: the ID token's email, with no email_verified of its own, and userinfo's `true` (about its own email).
    behaviour = { idToken: { email: 'ann@x.example' }, userinfo: { sub: 'person-1', email: 'other@x.example', email_verified: true, groups: ['admins'] } };
    person = await client().finish(callback('c'), pending);
    assert.equal(person.email, 'ann@x.example');
    assert.equal(person.emailVerified, undefined, "userinfo's email_verified is not about the ID token's email");
    // The ID token's email unverified by its own source stays unverified whatever userinfo says.
    behaviour = { idToken: { email: 'ann@x.example', claims: { email_verified: false } }, userinfo: { sub: 'person-1', email_verified: true, groups: ['admins'] } };
    person = await client().finish(callback('c'), pending);
    assert.equal(person.emailVerified, false);
    // Userinfo's email verified by userinfo: trusted.
    behaviour = { idToken: {}, userinfo: { sub: 'person-1', email: 'bob@x.example', email_verified: true, groups: ['admins'] } };
    person = await client().finish(callback('c'), pending);
    assert.equal(person.emailVerified, true);
    assert.equal(trustedEmail(person), 'bob@x.example');
    // Entra's xms_edov: false in the ID token still marks userinfo's email of the account unverified.
    behaviour = { idToken: { claims: { xms_edov: false } }, userinfo: { sub: 'person-1', email: 'nick@x.example', groups: ['admins'] } };
    person = await client().finish(callback('c'), pending);
    assert.equal(person.emailVerified, false);
  });

  const refusals: Array<[string, Behaviour, RegExp]> = [
    ['another nonce (replayed token)', { idToken: { nonce: 'other' } }, /id token refused.*nonce/],
    ['another audience', { idToken: { aud: 'someone-elses-client' } }, /id token refused.*aud/],
    ['another issuer', { idToken: { iss: 'https://evil.example' } }, /id token refused.*iss/],
    ['expired', { idToken: { expSeconds: -3600 } }, /id token refused.*exp/],
    ['signed with a key not in the JWKS', { idToken: { signWithOtherKey: true } }, /id token refused/],
    ['the token endpoint refuses the code', { tokenStatus: 400 }, /token exchange: HTTP 400: invalid_grant/],
    // OIDC Core §3.1.3.7 step 7 and RFC 8725 §3.1: only the IdP's asymmetric keys sign, even when its metadata lists more.
    ['alg none', { idToken: { forged: 'none' }, metadata: { id_token_signing_alg_values_supported: ['RS256', 'none'] } }, /id token refused/],
    ['HS256 keyed with the public key (algorithm confusion)', { idToken: { forged: 'hs256-public-key' }, metadata: { id_token_signing_alg_values_supported: ['RS256', 'HS256'] } }, /id token refused/],
    ['a kid the JWKS does not list', { idToken: { nextKey: true } }, /id token refused/],
    // OIDC Core §3.1.3.7 step 3 (errata set 2): an audience hubwarden does not trust is refused, with or without azp.
    ['several audiences, no azp', { idToken: { aud: ['client-1', 'other-client'] } }, /id token refused.*aud/],
    ['several audiences, azp hubwarden', { idToken: { aud: ['client-1', 'other-client'], claims: { azp: 'client-1' } } }, /id token refused.*aud/],
    ['azp another client', { idToken: { claims: { azp: 'other-client' } } }, /id token refused.*azp/],
  ];
  for (const [name, b, message] of refusals) {
    test(`refused: ${name}`, async () => {
      behaviour = b;
      await assert.rejects(client().finish(callback('code-1'), pending), (err: Error) => {
        assert.match(err.message, message);
        assert.doesNotMatch(err.message, /s3cr/, 'never the client secret');
        return true;
      });
    });
  }

  test("a key the IdP rotated in is fetched when its kid is first seen (OIDC Core §10.1.1), seconds after the last read, not a minute; one it never published stays refused", async (t) => {
    const c = client();
    behaviour = { idToken: {} };
    await c.finish(callback('c'), pending); // the JWKS is read and kept
    const reads = jwksReads;
    rotated = true;
    t.after(() => { rotated = false; });
    // The IdP publishes k2 and signs with it a few seconds after hubwarden's read (before, with
    // openid-client's own key cache, a kid it did not know was read again only after 60 s).
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() + JWKS_COOLDOWN_MS + 1_000 });
    behaviour = { idToken: { nextKey: true } };
    assert.equal((await c.finish(callback('c'), pending)).sub, 'person-1');
    assert.equal(jwksReads, reads + 1, 'read once more, for the unknown kid');
    behaviour = { idToken: { signWithOtherKey: true } };
    await assert.rejects(c.finish(callback('c'), pending), /id token refused/);
  });

  test('ID tokens naming kids no JWKS lists read the JWKS at most once per cool-down, however many arrive', async (t) => {
    const c = client();
    behaviour = { idToken: {} };
    await c.finish(callback('c'), pending);
    const reads = jwksReads;
    behaviour = { idToken: { randomKid: true } };
    const flood = async (n: number) => {
      const results = await Promise.allSettled(Array.from({ length: n }, () => c.finish(callback('c'), pending)));
      for (const r of results) assert.match(r.status === 'rejected' ? (r.reason as Error).message : 'signed in', /^oidc: id token refused/);
    };
    await flood(20);
    assert.equal(jwksReads, reads, 'within the cool-down of the last read: not read again');
    let now = Date.now();
    t.mock.timers.enable({ apis: ['Date'], now });
    for (let round = 1; round <= 3; round++) {
      now += JWKS_COOLDOWN_MS + 1;
      t.mock.timers.setTime(now);
      await flood(20);
      await flood(20);
      assert.equal(jwksReads, reads + round, `round ${round}: one read for 40 unknown kids`);
    }
  });

  test("the callback's iss (RFC 9207 §2.4) naming another issuer is refused (mix-up, RFC 9700 §4.4); so is none where the IdP promises one", async () => {
    behaviour = { idToken: {} };
    await assert.rejects(client().finish(new URLSearchParams({ code: 'c', state: pending.state, iss: 'https://evil.example' }), pending), /iss/);
    behaviour = { idToken: {}, metadata: { authorization_response_iss_parameter_supported: true } };
    await assert.rejects(client().finish(callback('c'), pending), /iss/);
    assert.equal((await client().finish(new URLSearchParams({ code: 'c', state: pending.state, iss: issuer }), pending)).sub, 'person-1');
  });

  test('an http issuer is refused unless it is on this machine (the code and the client secret would travel in clear text)', async () => {
    const remote = new OidcClient({ issuer: 'http://idp.example.com', clientId: 'client-1', clientSecret: 's3cr:et', redirectUri: 'http://hub.test/ui/auth/callback', groupsClaim: 'groups' });
    await assert.rejects(remote.authorizationUrl('/ui/'), /oidc: the issuer http:\/\/idp\.example\.com must use https/);
  });

  test('discovery naming another issuer is refused (OIDC Discovery §4.3)', async () => {
    behaviour = { discoveryIssuer: 'https://evil.example' };
    await assert.rejects(client().authorizationUrl('/ui/'), /oidc: discovery at http:\/\/127\.0\.0\.1:\d+: discovered metadata issuer does not match/);
    behaviour = {};
  });
});
