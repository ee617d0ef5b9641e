import type { DirectoryUserRecord } from '../desired-state/directory-records.ts';
import type { WritebackValues } from './attributes.ts';
import { ConnectorError, type ErrorKind } from '../../connectors/sdk/connector-error.ts';
import { redactText } from '../log/logger.ts';

/**
 * Where one identity provider's write-back goes. Implementations wrap the provider's real SDK
 * (okta-target.ts, entra-target.ts) and throw ConnectorError (connectors/sdk/connector-error.ts)
 * with the provider's code in `providerCode`, so one table (problem-of.ts) decides what is a
 * lasting problem and what is retried.
 */
export interface WritebackTarget {
  /** Config key of the identity provider (`identityProviders.<name>`). */
  readonly idp: string;
  readonly kind: 'okta' | 'entra';
  /**
   * Where the values land, beyond the config key: the Okta org, or the Entra tenant and the app
   * registration that owns the extensions. Values written elsewhere do not count as written here.
   */
  readonly destination: string;
  /** Makes sure the attributes of these hubs exist in the IdP (Okta schema, Entra extensions); true when it had to add or change one. */
  ensureSchema(hubIds: readonly string[]): Promise<boolean>;
  /** The id or login the IdP's update call accepts for this directory user. */
  idpUserIdOf(user: Readonly<DirectoryUserRecord>): string;
  /**
   * When `idpUserIdOf` gave the login or UPN and the IdP does not know it (404), the id to try next:
   * the SCIM externalId when it can only be an IdP user id, whatever its form. Never a login or
   * UPN, which could name another person.
   */
  fallbackIdOf?(user: Readonly<DirectoryUserRecord>): string | undefined;
  /** Drops any cached access token, so the next call gets one carrying the app's current permissions. */
  renewCredentials?(): void;
  /** Sends exactly these attributes of one hub, nothing else (a partial update). */
  update(idpUserId: string, hubId: string, values: Partial<WritebackValues>): Promise<void>;
}

/**
 * `providerCode` of an access token request the IdP's token endpoint did not answer (a 5xx, a 429,
 * a network failure or a timeout): nothing about the app's credentials is known, so it is never
 * `unauthenticated` (which tells an admin to rotate a secret that may be fine). No call can
 * succeed without a token, so it still stops the run (problem-of.ts), tried again at the next run.
 * A refusal (a 4xx other than 429, RFC 6749 §5.2) stays `unauthenticated`.
 */
export const TOKEN_ENDPOINT_UNAVAILABLE = 'token-endpoint-unavailable';

/** The error for an access token request that failed on the way (`detail`: the status or network error, no secret). */
export function tokenEndpointUnavailable(what: string, detail: string, kind: Extract<ErrorKind, 'unavailable' | 'rate-limited'> = 'unavailable'): ConnectorError {
  return new ConnectorError(kind, redactText(`${what}: the identity provider's token endpoint was unavailable (${detail}); the credentials were not refused; tried again at the next run`), {
    providerCode: TOKEN_ENDPOINT_UNAVAILABLE,
    // No token, so the update was never sent.
    notApplied: true,
  });
}
