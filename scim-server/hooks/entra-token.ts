import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import type { LoadedConfig } from '../../config/load.ts';
import type { EntraProviderConfig } from '../../config/schema.ts';

/**
 * Checks the bearer token on a Lifecycle Workflows callout forwarded by the relay Logic App: an
 * Entra-issued JWT, signed by a key of the tenant's JWKS, issued by the tenant (v2.0 issuer
 * `{authority}/{tenant}/v2.0` or the v1.0 `https://sts.windows.net/{tenant}/`), for our audience,
 * and obtained by an app listed in `lifecycleWorkflows.allowedAppIds` (`azp` in v2.0 tokens,
 * `appid` in v1.0 ones). An empty allow list lets no one in.
 */
export interface LifecycleCaller {
  idp: string;
  appId: string;
  claims: JWTPayload;
}

export class LifecycleTokenError extends Error {}

interface TenantCheck {
  idp: string;
  tenantId: string;
  jwks: ReturnType<typeof createRemoteJWKSet>;
  issuers: string[];
  audiences: string[];
  allowedAppIds: Set<string>;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** The tenant's signing keys: configured, or the Microsoft identity platform's discovery URL. */
export function jwksUrlOf(p: EntraProviderConfig): string {
  return p.lifecycleWorkflows?.jwksUrl ?? `${trimSlash(p.authorityUrl)}/${encodeURIComponent(p.tenantId)}/discovery/v2.0/keys`;
}

export function lifecycleTokenVerifier(config: LoadedConfig): (token: string) => Promise<LifecycleCaller> {
  const tenants: TenantCheck[] = Object.entries(config.file.identityProviders).flatMap(([idp, p]) => {
    if (p.kind !== 'entra' || !p.lifecycleWorkflows) return [];
    const lcw = p.lifecycleWorkflows;
    return [{
      idp,
      tenantId: p.tenantId,
      jwks: createRemoteJWKSet(new URL(jwksUrlOf(p)), { timeoutDuration: 5000, cooldownDuration: 30_000 }),
      issuers: [`${trimSlash(p.authorityUrl)}/${p.tenantId}/v2.0`, `https://sts.windows.net/${p.tenantId}/`],
      audiences: lcw.audience ? [lcw.audience] : [p.clientId, `api://${p.clientId}`],
      allowedAppIds: new Set(lcw.allowedAppIds),
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
    const candidates = tenants.filter((t) => !unverified.tid || t.tenantId === unverified.tid);
    if (candidates.length === 0) throw new LifecycleTokenError(`no identity provider with lifecycleWorkflows for tenant ${String(unverified.tid)}`);
    let lastError = 'no tenant accepted the token';
    for (const tenant of candidates) {
      let claims: JWTPayload;
      try {
        // Entra access tokens always carry exp: one without it would be valid forever if it leaked.
        ({ payload: claims } = await jwtVerify(token, tenant.jwks, { issuer: tenant.issuers, audience: tenant.audiences, algorithms: ['RS256'], clockTolerance: 60, requiredClaims: ['exp'] }));
      } catch (err) {
        lastError = `${tenant.idp}: ${(err as Error).message}`;
        continue;
      }
      const appId = String(claims.azp ?? claims.appid ?? '');
      if (!tenant.allowedAppIds.has(appId)) throw new LifecycleTokenError(`${tenant.idp}: app ${appId || '(none)'} is not in lifecycleWorkflows.allowedAppIds`);
      return { idp: tenant.idp, appId, claims };
    }
    throw new LifecycleTokenError(lastError);
  };
}
