/**
 * The Lifecycle Workflows callout's bearer token checked against a tenant's signing keys served by
 * a local endpoint that counts its reads and fails on purpose (503, a cut connection): a failed
 * read starts the 30 s cool-down as a successful one does (scim-server/jwks-reads.ts), so callouts
 * during an outage of the key endpoint read it at most once per cool-down, each answered as keys
 * not available (503 with Retry-After at the route), and a token signed with a key in the copy
 * held is still accepted. The scenarios are jwks-fixtures.ts keySetOutageTests, shared with the
 * SCIM JWTs (scim/auth-keys.test.ts); here, what the verifier makes of a token: accepted (the
 * relay's app id), keys not available, or a bad token (after a read that worked, an unknown kid is
 * one); past the copy's max age with the endpoint failing, the last good copy for up to 24 h
 * (stale-if-error). The route answers keys not available 503 with Retry-After and counts nothing
 * (test/admin/entra-lifecycle.test.ts). docs/security.md entries 190 and 193.
 */
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { parseConfig } from '../../config/load.ts';
import { keySetOutageTests } from '../jwks-fixtures.ts';
import { LIFECYCLE_KEYS_TIMING, LifecycleTokenError, lifecycleTokenVerifier, SigningKeysUnavailableError } from './entra-token.ts';

const TENANT = '0a1b2c3d-0000-4000-8000-00000000000a';
const RELAY = 'relay-logic-app-id';
const AUD = 'api://hubwarden';

describe('reads of the tenant signing keys for Lifecycle Workflows callouts: at most one per cool-down, failed or not', () => {
  keySetOutageTests({
    requests: 'callouts',
    tokens: 'tokens',
    timing: LIFECYCLE_KEYS_TIMING,
    /** The relay's app-only token. */
    token: (kid, key) => new SignJWT({ azp: RELAY, appid: RELAY, tid: TENANT, idtyp: 'app' })
      .setProtectedHeader({ alg: 'RS256', kid }).setIssuer(`https://login.microsoftonline.com/${TENANT}/v2.0`).setAudience(AUD)
      .setIssuedAt().setExpirationTime('10m').sign(key),
    fresh(jwksUrl) {
      const verify = lifecycleTokenVerifier(parseConfig(JSON.stringify({
        identityProviders: {
          entra: {
            kind: 'entra', tenantId: TENANT, clientId: 'hubwarden-app-id', clientSecret: 'env:ENTRA_SECRET', extensionAppId: 'ext-app',
            lifecycleWorkflows: { allowedAppIds: [RELAY], audience: AUD, jwksUrl },
          },
        },
        hubs: [{ id: 'hub-a', connector: 'meta-business', meta: { businessId: '1234567890', graphBaseUrl: 'sandbox' } }],
      }), '/virtual/hubwarden.yaml', { ENTRA_SECRET: 'entra-secret' }));
      return async (token) => {
        let appId: string;
        try {
          ({ appId } = await verify(token));
        } catch (err) {
          if (err instanceof SigningKeysUnavailableError) return 'keys-unavailable';
          if (err instanceof LifecycleTokenError) return 'refused';
          throw err;
        }
        assert.equal(appId, RELAY);
        return 'accepted';
      };
    },
  });
});
