import { ConnectorError, type ErrorKind } from '../../sdk/connector-error.ts';
import type { AssetType, CredentialHealth } from '../../sdk/hub-model.ts';
import { what, type MetaContext } from '../meta-context.ts';

/**
 * The system user's token health, reported as hub health rather than discovered by failing tasks
 *: `GET /debug_token?input_token=<token>` (Graph reference
 * https://developers.facebook.com/docs/graph-api/reference/debug_token): `data.is_valid`,
 * `data.expires_at` (unix seconds, 0 = never), `data.scopes`.
 */
const SCOPE_FOR_ASSET: Record<AssetType, string> = {
  ad_account: 'ads_management',
  page: 'pages_manage_metadata',
  catalog: 'catalog_management',
  pixel: 'ads_management',
};

export function requiredScopes(managed: readonly AssetType[]): string[] {
  return [...new Set(['business_management', ...managed.map((t) => SCOPE_FOR_ASSET[t])])];
}

interface DebugToken {
  data?: { is_valid?: boolean; expires_at?: number; data_access_expires_at?: number; scopes?: string[]; error?: { message?: string } };
}

/**
 * Graph refusing `debug_token` itself as a path or a call it does not know (2500 "Unknown path
 * components", 100/33, a #100 on its parameters): Meta's business-management reference pages do
 * not list the endpoint, so a Graph front that answers only those (a proxy, another emulator)
 * may lack it. The token is then checked by a call they do document.
 */
const DEBUG_TOKEN_ABSENT: readonly ErrorKind[] = ['invalid-argument', 'not-found'];
function debugTokenUnavailable(err: ConnectorError): boolean {
  return DEBUG_TOKEN_ABSENT.includes(err.kind);
}

/**
 * The required scopes a Graph permission error names ("(#200) Requires catalog_management
 * permission to manage the object"): the one permission the message can be sure of. Graph's
 * permission codes (10, 200–299, https://developers.facebook.com/docs/graph-api/guides/error-handling)
 * say only that a permission is missing, not which: none named, none is claimed missing.
 */
function scopesNamed(message: string, required: readonly string[]): string[] {
  return required.filter((s) => new RegExp(`\\b${s}\\b`).test(message));
}

/**
 * A refusal of the token check (debug_token or the probe) as health, in one message. Graph's own
 * text is already redacted (graph-errors.ts), so no token reaches health, logs or the audit.
 * 190/102/104: the token does not work; its scopes are moot, none is claimed missing. A permission
 * error: the scope Graph names is missing, and the message says so first.
 */
function refused(err: ConnectorError, required: readonly string[]): CredentialHealth {
  if (err.kind === 'unauthenticated') return { valid: false, scopes: [], missingScopes: [], problem: err.message };
  const missingScopes = scopesNamed(err.message, required);
  return {
    valid: false, scopes: [], missingScopes,
    problem: missingScopes.length > 0 ? `the access token lacks ${missingScopes.join(', ')} (${err.message})` : err.message,
  };
}

export async function checkCredential(ctx: MetaContext, token: string, managed: readonly AssetType[]): Promise<CredentialHealth> {
  const required = requiredScopes(managed);
  const whatFor = what(`check the access token of business ${ctx.businessId}`);
  let body: DebugToken;
  try {
    // A Graph front without debug_token is expected (see above): its refusal is no warning.
    body = (await ctx.graph.call('GET', 'debug_token', { input_token: token }, { what: whatFor, businessId: ctx.businessId, answers: DEBUG_TOKEN_ABSENT })) as DebugToken;
  } catch (err) {
    if (err instanceof ConnectorError && err.kind === 'unauthenticated') return refused(err, required);
    // A permission error (10, 200–299) refuses this call, which Meta's business-management pages
    // do not list, not the token: it says neither that the token is invalid nor which scope it
    // lacks. The documented probe answers whether the token works (README "Token health").
    if (err instanceof ConnectorError && (debugTokenUnavailable(err) || err.kind === 'permission-denied')) return probeToken(ctx, required, whatFor);
    throw err;
  }
  const data = body?.data ?? {};
  // No scopes listed: which the token holds is not known, and none is claimed missing.
  const listed = Array.isArray(data.scopes) ? data.scopes.filter((s): s is string => typeof s === 'string') : undefined;
  const scopes = listed ?? [];
  const expiresAt = data.expires_at && data.expires_at > 0 ? new Date(data.expires_at * 1000).toISOString() : undefined;
  const expired = expiresAt !== undefined && Date.parse(expiresAt) <= Date.now();
  const valid = data.is_valid === true && !expired;
  // A token that is not valid, with no scopes listed (an unknown token), lacks nothing to report:
  // "not valid" is its one problem.
  const missingScopes = listed && (valid || listed.length > 0) ? required.filter((s) => !scopes.includes(s)) : [];
  const problem = !valid
    ? `the access token is not valid${data.error?.message ? `: ${ctx.graph.http.redact(data.error.message)}` : expired ? ` (expired ${expiresAt})` : ''}`
    : missingScopes.length > 0
      ? `the access token lacks ${missingScopes.join(', ')}`
      : !listed ? 'scopes unknown: debug_token listed none' : undefined;
  return { valid, ...(expiresAt ? { expiresAt } : {}), scopes, missingScopes, ...(problem ? { problem } : {}) };
}

/**
 * Without debug_token: one documented read the system user's token must be able to make,
 * `GET /{business}/system_users` (needs `business_management`,
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/system_users).
 * It answers whether the token works (190 = not valid; a permission error: not usable, naming the
 * scope Graph names), not its expiry or scopes: those are left unknown (no expiresAt, no scopes
 * listed, none claimed missing that Graph did not name) rather than guessed.
 */
async function probeToken(ctx: MetaContext, required: string[], whatFor: string): Promise<CredentialHealth> {
  try {
    await ctx.graph.call('GET', `${ctx.businessId}/system_users`, { fields: 'id', limit: 1 }, { what: `${whatFor} (debug_token unavailable)`, businessId: ctx.businessId });
  } catch (err) {
    if (err instanceof ConnectorError && (err.kind === 'unauthenticated' || err.kind === 'permission-denied')) return refused(err, required);
    throw err;
  }
  return { valid: true, expiryUnknown: true, scopes: [], missingScopes: [], problem: 'expiry and scopes unknown: Graph did not answer debug_token' };
}
