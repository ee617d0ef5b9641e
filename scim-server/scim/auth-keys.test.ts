/**
 * A hub's SCIM bearer JWTs checked against its `scim.jwt.jwksUrl` served by a local endpoint that
 * counts its reads and fails on purpose (503, a cut connection): a failed read starts the 30 s
 * cool-down as a successful one does (scim-server/jwks-reads.ts), so SCIM requests during an
 * outage of the key endpoint, however many and whatever kids they name, read it at most once per
 * cool-down, and a JWT signed with a key in the copy held still opens the hub. The scenarios are
 * jwks-fixtures.ts keySetOutageTests, shared with the Lifecycle Workflows callouts
 * (hooks/entra-token-keys.test.ts) and the dashboard's ID tokens (web/oidc-signing-keys.test.ts);
 * here, what the authenticator makes of a JWT: the hub opened for `scim-jwt:<sub>`, a 401 counted
 * by the failure limiter (a bad token), or a 503 with Retry-After counted by nothing (keys not
 * available: before, a 401 counted as a wrong credential, so an IdP's outage locked its own SCIM
 * client out). docs/security.md entries 190, 192 and 193.
 */
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { FailureLimiter } from '../auth-failures.ts';
import { keySetOutageTests } from '../jwks-fixtures.ts';
import { SCIM_JWKS_TIMING, ScimAuthenticator } from './auth.ts';
import { ERROR_SCHEMA, ScimError } from './errors.ts';
import { testConfig } from './test-app.ts';

const ISSUER = 'https://idp.example';
const AUDIENCE = 'hubwarden-hub-a';

describe('reads of a hub\'s SCIM JWKS: at most one per cool-down, failed or not', () => {
  keySetOutageTests({
    requests: 'SCIM requests',
    tokens: 'JWTs',
    timing: SCIM_JWKS_TIMING,
    token: (kid, key) => new SignJWT({ scope: 'scim' }).setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('provisioning-client').setIssuedAt().setExpirationTime('10m').sign(key),
    /**
     * A fresh authenticator (its key set holds nothing yet); the failure budget out of the way, each
     * JWT of a burst from its own address, and the failures the limiter is told of counted.
     */
    fresh(jwksUrl) {
      const failures = new FailureLimiter({ scim: { maxFailures: 1_000_000, windowMs: 60_000 } });
      let counted = 0;
      const fail = failures.fail.bind(failures);
      failures.fail = (...args) => { counted += 1; return fail(...args); };
      const auth = new ScimAuthenticator(testConfig({ hubs: [{ id: 'hub-a', jwt: { issuer: ISSUER, audience: AUDIENCE, jwksUrl } }] }), failures);
      const present = async (token: string, i: number) => {
        let client: string;
        try {
          client = await auth.authenticate('hub-a', `Bearer ${token}`, `198.51.100.${i + 1}`);
        } catch (err) {
          if (!(err instanceof ScimError)) throw err;
          if (err.status === 401) return 'refused' as const;
          // RFC 7644 §3.12: the SCIM error body, with a Retry-After (RFC 9110 §10.2.3) to say when.
          assert.equal(err.status, 503, err.detail);
          assert.deepEqual(err.toBody(), { schemas: [ERROR_SCHEMA], status: '503', detail: err.detail });
          assert.equal(err.headers['Retry-After'], String(SCIM_JWKS_TIMING.cooldownMs / 1000));
          return 'keys-unavailable' as const;
        }
        assert.equal(client, 'scim-jwt:provisioning-client');
        return 'accepted' as const;
      };
      return Object.assign(present, { counted: () => counted });
    },
  });
});
