/**
 * The Lifecycle Workflows callout's bearer token checked against a tenant's signing keys served by
 * a local endpoint that counts its reads and fails on purpose (503, a cut connection): a failed
 * read starts the 30 s cool-down as a successful one does (scim-server/jwks-reads.ts), so callouts
 * during an outage of the key endpoint read it at most once per cool-down, each answered as keys
 * not available (503 with Retry-After at the route), and a token signed with a key in the copy
 * held is still accepted. docs/security.md entry 190.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { parseConfig } from '../../config/load.ts';
import { countingJwks, frozenDate, signingKey, unknownKid, type CountingJwks, type JwksMode, type SigningKey } from '../jwks-fixtures.ts';
import { LIFECYCLE_KEYS_TIMING, lifecycleTokenVerifier, SigningKeysUnavailableError, type LifecycleCaller } from './entra-token.ts';

const TENANT = '0a1b2c3d-0000-4000-8000-00000000000a';
const RELAY = 'relay-logic-app-id';
const AUD = 'api://hubwarden';
const COOLDOWN = LIFECYCLE_KEYS_TIMING.cooldownMs;

describe('reads of the tenant signing keys for Lifecycle Workflows callouts: at most one per cool-down, failed or not', () => {
  let jwks: CountingJwks;
  let k1: SigningKey;

  before(async () => {
    jwks = await countingJwks();
    k1 = await signingKey('k1');
  });
  after(() => jwks.close());

  const verifier = () => lifecycleTokenVerifier(parseConfig(JSON.stringify({
    identityProviders: {
      entra: {
        kind: 'entra', tenantId: TENANT, clientId: 'hubwarden-app-id', clientSecret: 'env:ENTRA_SECRET', extensionAppId: 'ext-app',
        lifecycleWorkflows: { allowedAppIds: [RELAY], audience: AUD, jwksUrl: jwks.url },
      },
    },
    hubs: [{ id: 'hub-a', connector: 'meta-business', meta: { businessId: '1234567890', graphBaseUrl: 'sandbox' } }],
  }), '/virtual/hubwarden.yaml', { ENTRA_SECRET: 'entra-secret' }));

  /** The relay's app-only token, signed with `key` under `kid`. */
  const token = (kid: string, key = k1.privateKey) => new SignJWT({ azp: RELAY, appid: RELAY, tid: TENANT, idtyp: 'app' })
    .setProtectedHeader({ alg: 'RS256', kid }).setIssuer(`https://login.microsoftonline.com/${TENANT}/v2.0`).setAudience(AUD)
    .setIssuedAt().setExpirationTime('10m').sign(key);

  /** `n` callouts at once, each with its own token; how many were refused as keys not available, and how many accepted. */
  const burst = async (verify: (t: string) => Promise<LifecycleCaller>, kid: () => string, n = 20) => {
    const tokens = await Promise.all(Array.from({ length: n }, () => token(kid())));
    const results = await Promise.allSettled(tokens.map((t) => verify(t)));
    const unavailable = results.filter((r) => r.status === 'rejected' && r.reason instanceof SigningKeysUnavailableError).length;
    return { unavailable, accepted: results.filter((r) => r.status === 'fulfilled').length };
  };
  const down = { unavailable: 20, accepted: 0 };

  for (const failing of ['error', 'cut'] as const satisfies JwksMode[]) {
    const how = failing === 'error' ? 'answering 503' : 'cutting the connection';

    test(`no copy held, the key endpoint ${how}: one read per cool-down however many callouts`, async (t) => {
      jwks.reset(failing, [k1.jwk]);
      const verify = verifier();
      const advance = frozenDate(t);
      assert.deepEqual(await burst(verify, unknownKid), down);
      assert.equal(jwks.reads, 1, 'one read shared by the callouts arriving together');
      for (let i = 0; i < 3; i++) assert.deepEqual(await burst(verify, () => 'k1'), down);
      advance(COOLDOWN - 1);
      assert.deepEqual(await burst(verify, unknownKid), down);
      assert.equal(jwks.reads, 1, 'within the cool-down of the failed read: not read again');
      advance(2);
      assert.deepEqual(await burst(verify, unknownKid), down);
      assert.deepEqual(await burst(verify, unknownKid), down);
      assert.equal(jwks.reads, 2, 'past it: one more read');
      // The endpoint recovers: the first callout past the cool-down reads it and is taken.
      jwks.mode = 'ok';
      advance(COOLDOWN + 1);
      assert.deepEqual(await burst(verify, () => 'k1'), { unavailable: 0, accepted: 20 });
      assert.equal(jwks.reads, 3);
      // After a read that worked, jose's cool-down holds: an unknown kid within it is a bad token
      // (not keys unavailable), and a key published since is read at the first callout past it.
      await assert.rejects(verify(await token(unknownKid())), (err) => !(err instanceof SigningKeysUnavailableError));
      const k2 = await signingKey('k2');
      jwks.published = [k1.jwk, k2.jwk];
      advance(COOLDOWN + 1);
      assert.equal((await verify(await token('k2', k2.privateKey))).appId, RELAY);
      assert.equal(jwks.reads, 4);
    });

    test(`a copy held, the key endpoint ${how}: tokens naming unknown kids read it once per cool-down, a key held is still accepted`, async (t) => {
      jwks.reset('ok', [k1.jwk]);
      const verify = verifier();
      const advance = frozenDate(t);
      assert.equal((await verify(await token('k1'))).appId, RELAY);
      assert.equal(jwks.reads, 1);
      jwks.mode = failing;
      advance(COOLDOWN + 1);
      assert.deepEqual(await burst(verify, unknownKid), down);
      assert.equal(jwks.reads, 2, 'one read for the first burst');
      for (let i = 0; i < 3; i++) assert.deepEqual(await burst(verify, unknownKid), down);
      advance(COOLDOWN - 1);
      assert.deepEqual(await burst(verify, unknownKid), down);
      assert.equal(jwks.reads, 2, 'no read within the cool-down of the failed one');
      assert.deepEqual(await burst(verify, () => 'k1'), { unavailable: 0, accepted: 20 }, 'k1, in the copy held, is still accepted');
      advance(2);
      assert.deepEqual(await burst(verify, unknownKid), down);
      assert.deepEqual(await burst(verify, unknownKid), down);
      assert.equal(jwks.reads, 3, 'one read per cool-down');
    });
  }
});
