import { compactVerify } from 'jose';
import { remoteKeySet, STALE_KEY_SET_MS, type KeySetTiming } from '../jwks-reads.ts';

/**
 * The IdP's signing keys (its JWKS, OIDC Discovery §3 `jwks_uri`) and the check of an ID token's
 * signature against them, on jose's remote key set
 * (https://github.com/panva/jose/blob/main/docs/jwks/remote/functions/createRemoteJWKSet.md).
 *
 * An ID token whose `kid` is not in the copy held makes the keys be read again (OIDC Core §10.1.1:
 * a new signing key may be used without notice, and the relying party re-reads the JWKS when it
 * meets an unfamiliar `kid`), unless the last read was less than JWKS_COOLDOWN_MS ago. Before,
 * openid-client's own cache (oauth4webapi) read again only once its copy was 60 s old: a key the IdP
 * published and signed with within a minute of hubwarden's last read failed that sign-in.
 *
 * jose's cool-down starts only after a read that succeeded; a failed one (an error status, a
 * timeout, a refused or reset connection, a body that is not a JWKS) starts it here too
 * (coolingDownReads in scim-server/jwks-reads.ts, shared with the other key sets). While a read
 * fails, the last good copy is used for up to STALE_KEY_SET_MS (24 h) after it was read; a token
 * the keys cannot judge rejects with KeySetUnavailableError (the sign-in says "try again" and
 * counts nothing against the callback's budget: oidc-sign-in.ts).
 */

/**
 * How long after a read no other read is made for an unknown `kid` (jose's `cooldownDuration`,
 * "Duration (in milliseconds) for which no more HTTP requests will be made after the last
 * successful one", default 30 s; after a failed one, coolingDownReads). A few seconds: short
 * enough that a key the IdP has just published is found at the first sign-in that needs it
 * (unless it was published in the few seconds since the last read), long enough that any number
 * of ID tokens naming keys that do not exist (a misbehaving or compromised IdP, a flood of
 * callbacks), or of sign-ins while the IdP's JWKS endpoint is down, reads it at most 12 times a
 * minute. Reads in flight are shared: tokens arriving together cause one read.
 */
export const JWKS_COOLDOWN_MS = 5_000;

/** How long a copy of the keys is used before it is read again anyway (jose's `cacheMaxAge` default, 10 minutes). */
export const JWKS_MAX_AGE_MS = 600_000;

/**
 * The algorithms an ID token may be signed with: asymmetric only (RFC 8725 §3.1), never `none`
 * nor an HMAC keyed with a public key (RFC 8725 §2.1). openid-client has already checked the
 * header's `alg` against the client's and the IdP's metadata (OIDC Core §3.1.3.7 step 7).
 */
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Resolves when `jwt`'s signature is one of the IdP's keys; rejects with KeySetUnavailableError when the keys cannot be read, with jose's error otherwise. */
export type SignatureCheck = (jwt: string) => Promise<void>;

/** The timing of the IdP's key set, each read waiting at most `timeoutMs`. */
export const idTokenKeysTiming = (timeoutMs: number): KeySetTiming => ({ cooldownMs: JWKS_COOLDOWN_MS, timeoutMs, maxAgeMs: JWKS_MAX_AGE_MS, staleMs: STALE_KEY_SET_MS });

export function idTokenSignatureCheck(jwksUri: URL, timeoutMs: number): SignatureCheck {
  const keys = remoteKeySet(jwksUri, idTokenKeysTiming(timeoutMs));
  return async (jwt) => {
    await compactVerify(jwt, keys, { algorithms: ASYMMETRIC });
  };
}
