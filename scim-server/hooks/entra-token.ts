import { decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import type { LoadedConfig } from '../../config/load.ts';
import type { EntraProviderConfig } from '../../config/schema.ts';
import { authorityRoot } from '../../agent/writeback/entra-urls.ts';
import { KeySetUnavailableError, remoteKeySet, STALE_KEY_SET_MS, type KeySetTiming } from '../jwks-reads.ts';

/**
 * Checks the bearer token on a Lifecycle Workflows callout forwarded by the relay Logic App: an
 * Entra-issued JWT, signed by a key of the tenant's JWKS, issued by the tenant (v2.0 issuer
 * `{authority}/{tenant}/v2.0` or the v1.0 `https://sts.windows.net/{tenant}/`), for our audience,
 * and obtained by an app listed in `lifecycleWorkflows.allowedAppIds` (`azp` in v2.0 tokens,
 * `appid` in v1.0 ones), as itself: an app-only token, never a delegated one. An empty allow list
 * lets no one in.
 */
export interface LifecycleCaller {
  idp: string;
  appId: string;
  claims: JWTPayload;
}

export class LifecycleTokenError extends Error {}

/**
 * A valid token of an allowed app, but delegated (a person's, through that app): it is not the
 * relay acting as itself, and must not drive an offboarding. Answered 403, not 401.
 */
export class DelegatedTokenError extends LifecycleTokenError {}

/**
 * The tenant's signing keys could not be read (the key endpoint timed out, failed or answered
 * something else than a key set): the token was not judged, so the answer is "try again", not 401.
 */
export class SigningKeysUnavailableError extends Error {}

/**
 * The reads of a tenant's signing keys (scim-server/jwks-reads.ts). Microsoft rolls its signing
 * keys over and a token's `kid` names the key
 * (https://learn.microsoft.com/entra/identity-platform/signing-key-rollover): a `kid` not in the
 * copy held makes the keys be read again, at most once per 30 s, whether the last read succeeded
 * or failed, so callouts arriving while the key endpoint is down (5xx, a timeout, a cut
 * connection) read it at most twice a minute however many there are; each is answered 503 with
 * Retry-After (entra-lifecycle.ts), which the relay retries. A read waits at most 5 s; a copy is
 * read again once 10 minutes old (jose's `cacheMaxAge` default), and until then a token signed with
 * a key in it is checked without any read; while that read fails, the last good copy is used for
 * up to 24 h after it was read (STALE_KEY_SET_MS, stale-if-error), then callouts are answered 503.
 */
export const LIFECYCLE_KEYS_TIMING: KeySetTiming = { cooldownMs: 30_000, timeoutMs: 5_000, maxAgeMs: 600_000, staleMs: STALE_KEY_SET_MS };

interface TenantCheck {
  idp: string;
  tenantId: string;
  jwks: ReturnType<typeof remoteKeySet>;
  issuers: string[];
  audiences: string[];
  allowedAppIds: Set<string>;
  jwksUrl: string;
}

/** The tenant's signing keys: configured, or the Microsoft identity platform's discovery URL. */
export function jwksUrlOf(p: EntraProviderConfig): string {
  return p.lifecycleWorkflows?.jwksUrl ?? `${authorityRoot(p.authorityUrl, p.tenantId)}/${encodeURIComponent(p.tenantId)}/discovery/v2.0/keys`;
}

export function lifecycleTokenVerifier(config: LoadedConfig): (token: string) => Promise<LifecycleCaller> {
  const tenants: TenantCheck[] = Object.entries(config.file.identityProviders).flatMap(([idp, p]) => {
    if (p.kind !== 'entra' || !p.lifecycleWorkflows) return [];
    const lcw = p.lifecycleWorkflows;
    // A tenant id is a GUID, which Entra writes in lower case in the `tid` claim and in the issuer
    // (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference); one
    // configured in upper case (as some tools print it) works for the token endpoint and the keys,
    // and must not make every callout a 401.
    const tenantId = p.tenantId.toLowerCase();
    const issuers = [...new Set([p.tenantId, tenantId])].flatMap((t) => [`${authorityRoot(p.authorityUrl, p.tenantId)}/${t}/v2.0`, `https://sts.windows.net/${t}/`]);
    return [{
      idp,
      tenantId,
      jwks: remoteKeySet(new URL(jwksUrlOf(p)), LIFECYCLE_KEYS_TIMING),
      issuers,
      // A v2.0 token's `aud` "is always the client ID of the API" (and a v1.0 one's may be it,
      // https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference): with
      // `audience` set to the App ID URI of this app registration, v2.0 tokens name it by clientId.
      // The client id is a GUID too, written in lower case in `aud` (as `azp`/`appid` below): one
      // configured in upper case gets app tokens all the same, and must not refuse every callout.
      audiences: [...new Set([
        ...(lcw.audience ? [lcw.audience] : [`api://${p.clientId}`, `api://${p.clientId.toLowerCase()}`]),
        p.clientId, p.clientId.toLowerCase(),
      ])],
      allowedAppIds: new Set(lcw.allowedAppIds.map((id) => id.toLowerCase())),
      jwksUrl: jwksUrlOf(p),
    }];
  });

  return async (token) => {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw new LifecycleTokenError('the bearer token is not a JWT');
    }
    // The `tid` claim picks the tenant; the signature check below is what makes it trustworthy.
    const candidates = tenants.filter((t) => !unverified.tid || t.tenantId === String(unverified.tid).toLowerCase());
    if (candidates.length === 0) throw new LifecycleTokenError(`no identity provider with lifecycleWorkflows for tenant ${String(unverified.tid)}`);
    let lastError = 'no tenant accepted the token';
    let keysUnavailable: string | undefined;
    for (const tenant of candidates) {
      let claims: JWTPayload;
      try {
        // Entra access tokens always carry exp: one without it would be valid forever if it leaked.
        ({ payload: claims } = await jwtVerify(token, tenant.jwks, { issuer: tenant.issuers, audience: tenant.audiences, algorithms: ['RS256'], clockTolerance: 60, requiredClaims: ['exp'] }));
      } catch (err) {
        lastError = `${tenant.idp}: ${(err as Error).message}`;
        if (err instanceof KeySetUnavailableError) keysUnavailable ??= `${tenant.idp}: cannot read the signing keys at ${tenant.jwksUrl}: ${(err as Error).message}`;
        continue;
      }
      const appId = String(claims.azp ?? claims.appid ?? '');
      if (!tenant.allowedAppIds.has(appId.toLowerCase())) throw new LifecycleTokenError(`${tenant.idp}: app ${appId || '(none)'} is not in lifecycleWorkflows.allowedAppIds`);
      // App-only tokens only. Per https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference,
      // `scp` is "only included for user tokens", and the optional `idtyp` claim is `app` for an
      // app-only token (`user` for a user's). A person signed in to an allowed app would otherwise
      // offboard anyone with their own token.
      if (claims.scp !== undefined) throw new DelegatedTokenError(`${tenant.idp}: app ${appId}: a delegated token (it carries scp); the callout needs the app's own token (client credentials or managed identity)`);
      if (claims.idtyp !== undefined && claims.idtyp !== 'app') throw new DelegatedTokenError(`${tenant.idp}: app ${appId}: a token with idtyp "${String(claims.idtyp).slice(0, 20)}", not an app-only one (idtyp "app")`);
      return { idp: tenant.idp, appId, claims };
    }
    if (keysUnavailable) throw new SigningKeysUnavailableError(keysUnavailable);
    throw new LifecycleTokenError(lastError);
  };
}
