/**
 * A hub's SCIM bearer JWTs checked against its `scim.jwt.jwksUrl` served by a local endpoint that
 * counts its reads and fails on purpose (503, a cut connection): a failed read starts the 30 s
 * cool-down as a successful one does (scim-server/jwks-reads.ts), so SCIM requests during an
 * outage of the key endpoint, however many and whatever kids they name, read it at most once per
 * cool-down, and a JWT signed with a key in the copy held still opens the hub.
 * docs/security.md entry 190.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { FailureLimiter } from '../auth-failures.ts';
import { countingJwks, frozenDate, signingKey, unknownKid, type CountingJwks, type JwksMode, type SigningKey } from '../jwks-fixtures.ts';
import { SCIM_JWKS_TIMING, ScimAuthenticator } from './auth.ts';
import { testConfig } from './test-app.ts';

const ISSUER = 'https://idp.example';
const AUDIENCE = 'hubwarden-hub-a';
const COOLDOWN = SCIM_JWKS_TIMING.cooldownMs;

describe('reads of a hub\'s SCIM JWKS: at most one per cool-down, failed or not', () => {
  let jwks: CountingJwks;
  let k1: SigningKey;

  before(async () => {
    jwks = await countingJwks();
    k1 = await signingKey('k1');
  });
  after(() => jwks.close());

  /** A fresh authenticator (its key set holds nothing yet); the failure budget out of the way. */
  const authenticator = () => new ScimAuthenticator(
    testConfig({ hubs: [{ id: 'hub-a', jwt: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: jwks.url } }] }),
    new FailureLimiter({ scim: { maxFailures: 1_000_000, windowMs: 60_000 } }),
  );

  const token = (kid: string, key = k1.privateKey) => new SignJWT({ scope: 'scim' }).setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('provisioning-client').setIssuedAt().setExpirationTime('10m').sign(key);

  /** `n` SCIM requests at once, each with its own JWT; how many were refused (401) and how many let in. */
  const burst = async (auth: ScimAuthenticator, kid: () => string, n = 20) => {
    const jwts = await Promise.all(Array.from({ length: n }, () => token(kid())));
    const results = await Promise.allSettled(jwts.map((j, i) => auth.authenticate('hub-a', `Bearer ${j}`, `198.51.100.${i + 1}`)));
    const refused = results.filter((r) => r.status === 'rejected' && (r.reason as { status?: number }).status === 401).length;
    return { refused, opened: results.filter((r) => r.status === 'fulfilled').length };
  };
  const down = { refused: 20, opened: 0 };

  for (const failing of ['error', 'cut'] as const satisfies JwksMode[]) {
    const how = failing === 'error' ? 'answering 503' : 'cutting the connection';

    test(`no copy held, the endpoint ${how}: one read per cool-down however many requests`, async (t) => {
      jwks.reset(failing, [k1.jwk]);
      const auth = authenticator();
      const advance = frozenDate(t);
      assert.deepEqual(await burst(auth, unknownKid), down);
      assert.equal(jwks.reads, 1, 'one read shared by the requests arriving together');
      for (let i = 0; i < 3; i++) assert.deepEqual(await burst(auth, () => 'k1'), down);
      advance(COOLDOWN - 1);
      assert.deepEqual(await burst(auth, unknownKid), down);
      assert.equal(jwks.reads, 1, 'within the cool-down of the failed read: not read again');
      advance(2);
      assert.deepEqual(await burst(auth, unknownKid), down);
      assert.deepEqual(await burst(auth, unknownKid), down);
      assert.equal(jwks.reads, 2, 'past it: one more read');
      // The endpoint recovers: the first request past the cool-down reads it and is let in.
      jwks.mode = 'ok';
      advance(COOLDOWN + 1);
      assert.deepEqual(await burst(auth, () => 'k1'), { refused: 0, opened: 20 });
      assert.equal(jwks.reads, 3);
      // After a read that worked, a key the IdP published since is read at the first request past the cool-down.
      const k2 = await signingKey('k2');
      jwks.published = [k1.jwk, k2.jwk];
      advance(COOLDOWN + 1);
      assert.equal(await auth.authenticate('hub-a', `Bearer ${await token('k2', k2.privateKey)}`, '198.51.100.1'), 'scim-jwt:provisioning-client');
      assert.equal(jwks.reads, 4);
    });

    test(`a copy held, the endpoint ${how}: JWTs naming unknown kids read it once per cool-down, a key held still opens the hub`, async (t) => {
      jwks.reset('ok', [k1.jwk]);
      const auth = authenticator();
      const advance = frozenDate(t);
      assert.equal(await auth.authenticate('hub-a', `Bearer ${await token('k1')}`, '198.51.100.1'), 'scim-jwt:provisioning-client');
      assert.equal(jwks.reads, 1);
      jwks.mode = failing;
      advance(COOLDOWN + 1);
      assert.deepEqual(await burst(auth, unknownKid), down);
      assert.equal(jwks.reads, 2, 'one read for the first burst');
      for (let i = 0; i < 3; i++) assert.deepEqual(await burst(auth, unknownKid), down);
      advance(COOLDOWN - 1);
      assert.deepEqual(await burst(auth, unknownKid), down);
      assert.equal(jwks.reads, 2, 'no read within the cool-down of the failed one');
      assert.deepEqual(await burst(auth, () => 'k1'), { refused: 0, opened: 20 }, 'k1, in the copy held, still opens the hub');
      advance(2);
      assert.deepEqual(await burst(auth, unknownKid), down);
      assert.deepEqual(await burst(auth, unknownKid), down);
      assert.equal(jwks.reads, 3, 'one read per cool-down');
    });
  }
});
