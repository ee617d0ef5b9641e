/**
 * A hub's SCIM bearer JWTs checked against its `scim.jwt.jwksUrl` served by a local endpoint that
 * counts its reads and fails on purpose (503, a cut connection): a failed read starts the 30 s
 * cool-down as a successful one does (scim-server/jwks-reads.ts), so SCIM requests during an
 * outage of the key endpoint, however many and whatever kids they name, read it at most once per
 * cool-down, and a JWT signed with a key in the copy held still opens the hub. The scenarios are
 * jwks-fixtures.ts keySetOutageTests, shared with the Lifecycle Workflows callouts
 * (hooks/entra-token-keys.test.ts); here, what the authenticator makes of a JWT: the hub opened for
 * `scim-jwt:<sub>`, or a 401 (keys not available and a bad token alike).
 * docs/security.md entry 190.
 */
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { FailureLimiter } from '../auth-failures.ts';
import { keySetOutageTests } from '../jwks-fixtures.ts';
import { SCIM_JWKS_TIMING, ScimAuthenticator } from './auth.ts';
import { testConfig } from './test-app.ts';

const ISSUER = 'https://idp.example';
const AUDIENCE = 'hubwarden-hub-a';

describe('reads of a hub\'s SCIM JWKS: at most one per cool-down, failed or not', () => {
  keySetOutageTests({
    requests: 'SCIM requests',
    tokens: 'JWTs',
    cooldownMs: SCIM_JWKS_TIMING.cooldownMs,
    outage: 'refused',
    token: (kid, key) => new SignJWT({ scope: 'scim' }).setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('provisioning-client').setIssuedAt().setExpirationTime('10m').sign(key),
    /** A fresh authenticator (its key set holds nothing yet); the failure budget out of the way, each JWT of a burst from its own address. */
    fresh(jwksUrl) {
      const auth = new ScimAuthenticator(
        testConfig({ hubs: [{ id: 'hub-a', jwt: { issuer: ISSUER, audience: AUDIENCE, jwksUrl } }] }),
        new FailureLimiter({ scim: { maxFailures: 1_000_000, windowMs: 60_000 } }),
      );
      return async (token, i) => {
        let client: string;
        try {
          client = await auth.authenticate('hub-a', `Bearer ${token}`, `198.51.100.${i + 1}`);
        } catch (err) {
          if ((err as { status?: number }).status === 401) return 'refused';
          throw err;
        }
        assert.equal(client, 'scim-jwt:provisioning-client');
        return 'accepted';
      };
    },
  });
});
