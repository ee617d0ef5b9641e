/**
 * The ID-token signature check against a local JWKS endpoint that counts its reads and can fail on
 * purpose (an error status, no answer within the time limit, a connection cut): a failed read
 * starts the cool-down as a successful one does, so sign-ins during an outage of the IdP's JWKS
 * endpoint read it at most once per JWKS_COOLDOWN_MS, and a working endpoint still has a key it
 * has just published read within that bound. The outage scenarios shared with the SCIM JWTs and
 * the Entra callouts (jwks-fixtures.ts keySetOutageTests): what the check makes of an ID token
 * (accepted, KeySetUnavailableError: keys not available, or jose's error: a bad token) and
 * stale-if-error (docs/security.md entries 190, 192, 193); the callback's answer and budget for
 * keys not available: oidc-callback-budget.test.ts.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { KeySetUnavailableError } from '../jwks-reads.ts';
import { keySetOutageTests } from '../jwks-fixtures.ts';
import { idTokenKeysTiming, idTokenSignatureCheck, JWKS_COOLDOWN_MS, type SignatureCheck } from './oidc-signing-keys.ts';

type Mode = 'ok' | 'error' | 'silent' | 'cut';

describe('reads of the IdP JWKS: at most one per cool-down, failed or not', () => {
  let server: Server;
  let url: URL;
  let mode: Mode = 'ok';
  let reads = 0;
  let published: JWK[] = [];
  const keys = { k1: undefined as unknown as CryptoKeyPair, k2: undefined as unknown as CryptoKeyPair, jwk1: undefined as unknown as JWK, jwk2: undefined as unknown as JWK };
  const held = new Set<() => void>();

  before(async () => {
    keys.k1 = await generateKeyPair('RS256');
    keys.k2 = await generateKeyPair('RS256');
    keys.jwk1 = { ...(await exportJWK(keys.k1.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    keys.jwk2 = { ...(await exportJWK(keys.k2.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      reads += 1;
      if (mode === 'error') return res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
      if (mode === 'cut') return req.socket.destroy();
      if (mode === 'silent') return held.add(() => res.destroy());
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`);
  });
  after(() => {
    for (const release of held) release();
    server.closeAllConnections();
    server.close();
  });

  const token = (kid: string, key = keys.k1.privateKey) => new SignJWT({ sub: 'person-1' }).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
  /** `n` sign-ins at once with `jwt`; how many were refused. */
  const burst = async (check: SignatureCheck, jwt: string | (() => Promise<string>), n = 20) => {
    const jwts = await Promise.all(Array.from({ length: n }, () => (typeof jwt === 'string' ? jwt : jwt())));
    const results = await Promise.allSettled(jwts.map((j) => check(j)));
    return results.filter((r) => r.status === 'rejected').length;
  };
  /** Date frozen at a known moment (the cool-downs read Date.now()); real timers still run the read's time limit. */
  const clock = (t: TestContext) => {
    let now = Date.now();
    t.mock.timers.enable({ apis: ['Date'], now });
    return (ms: number) => { now += ms; t.mock.timers.setTime(now); };
  };
  const reset = (m: Mode, keysPublished: JWK[]) => { mode = m; published = keysPublished; reads = 0; };

  // 503 and a cut connection: keySetOutageTests below, shared with the other key sets.
  for (const failing of ['silent'] as const) {
    test('no copy held, the endpoint not answering within the time limit: one read per cool-down however many sign-ins', async (t) => {
      reset(failing, [keys.jwk1]);
      const check = idTokenSignatureCheck(url, 300);
      const advance = clock(t);
      const jwt = await token('k1');
      assert.equal(await burst(check, jwt), 20);
      assert.equal(reads, 1, 'one read shared by the sign-ins arriving together');
      assert.equal(await burst(check, jwt), 20);
      advance(JWKS_COOLDOWN_MS - 1);
      assert.equal(await burst(check, jwt), 20);
      assert.equal(reads, 1, 'within the cool-down of the failed read: not read again');
      await assert.rejects(check(jwt), /not read again within 5 s of its last read, which failed/);
      advance(2);
      assert.equal(await burst(check, jwt), 20);
      assert.equal(reads, 2, 'past it: one more read');
      // The endpoint recovers: the first sign-in past the cool-down reads it and is taken.
      mode = 'ok';
      advance(JWKS_COOLDOWN_MS + 1);
      assert.equal(await burst(check, jwt), 0);
      assert.equal(reads, 3);
    });
  }

  test('a working endpoint: a key published moments after the last read is read once the cool-down has passed', async (t) => {
    reset('ok', [keys.jwk1]);
    const check = idTokenSignatureCheck(url, 300);
    const advance = clock(t);
    await check(await token('k1'));
    published = [keys.jwk1, keys.jwk2];
    const k2 = await token('k2', keys.k2.privateKey);
    advance(JWKS_COOLDOWN_MS + 1);
    assert.equal(await burst(check, k2), 0, 'k2 found at the first sign-in past the cool-down');
    assert.equal(reads, 2);
    // After a failed read, a key published while the endpoint was down is read as soon as that cool-down ends.
    const k3pair = await generateKeyPair('RS256');
    const jwk3 = { ...(await exportJWK(k3pair.publicKey)), kid: 'k3', alg: 'RS256', use: 'sig' };
    const k3 = await token('k3', k3pair.privateKey);
    mode = 'error';
    advance(JWKS_COOLDOWN_MS + 1);
    assert.equal(await burst(check, k3), 20);
    assert.equal(reads, 3);
    mode = 'ok';
    published = [keys.jwk1, keys.jwk2, jwk3];
    advance(JWKS_COOLDOWN_MS + 1);
    assert.equal(await burst(check, k3), 0);
    assert.equal(reads, 4);
  });
});

describe('the IdP JWKS during an outage: the scenarios every remote key set passes', () => {
  keySetOutageTests({
    requests: 'sign-ins',
    tokens: 'ID tokens',
    timing: idTokenKeysTiming(300),
    token: (kid, key) => new SignJWT({ sub: 'person-1' }).setProtectedHeader({ alg: 'RS256', kid }).sign(key),
    fresh(jwksUrl) {
      const check = idTokenSignatureCheck(new URL(jwksUrl), 300);
      return async (jwt) => {
        try {
          await check(jwt);
          return 'accepted';
        } catch (err) {
          if (err instanceof KeySetUnavailableError) return 'keys-unavailable';
          if (err instanceof errors.JOSEError) return 'refused';
          throw err;
        }
      };
    },
  });
});
