/**
 * Where requests to Microsoft Graph and to the Microsoft identity platform go, from an Entra
 * provider's `graphBaseUrl` and `authorityUrl` (write-back, the Lifecycle Workflows resume, and the
 * signing keys of the Lifecycle Workflows hook).
 */

/**
 * The Graph service root of `graphBaseUrl`, to which the client adds the version (`v1.0`).
 * [INF] Microsoft writes Graph URLs with their version (`https://graph.microsoft.com/v1.0/users/{id}`,
 * https://learn.microsoft.com/graph/use-the-api), so a base configured as copied from there ends in
 * `/v1.0` (or `/beta`). Taken as it was, every call went to `/v1.0/v1.0/…`, refused 404: nobody's
 * standing was written and no Lifecycle Workflows task was resumed.
 */
export function graphServiceRoot(graphBaseUrl: string): string {
  return graphBaseUrl.replace(/\/+$/, '').replace(/\/(?:v1\.0|beta)$/i, '');
}

/**
 * The authority host of `authorityUrl`, under which `/{tenant}/oauth2/v2.0/token`,
 * `/{tenant}/discovery/v2.0/keys` and the issuer `/{tenant}/v2.0` lie. [INF] An MSAL "authority"
 * is that host with the tenant (`https://login.microsoftonline.com/{tenant}`,
 * https://learn.microsoft.com/entra/identity-platform/msal-client-application-configuration#authority),
 * while @azure/identity's `authorityHost` has none; one configured with the tenant (or as the
 * issuer, `…/{tenant}/v2.0`) asked for tokens at `/{tenant}/{tenant}/oauth2/v2.0/token` and got none.
 */
export function authorityRoot(authorityUrl: string, tenantId: string): string {
  const trimmed = authorityUrl.replace(/\/+$/, '');
  const tenant = new RegExp(`/${escapeRegExp(encodeURIComponent(tenantId))}(?:/v2\\.0)?$`, 'i');
  return trimmed.replace(tenant, '');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
