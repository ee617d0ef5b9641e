import { ConnectorError } from '../../sdk/connector-error.ts';
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

export async function checkCredential(ctx: MetaContext, token: string, managed: readonly AssetType[]): Promise<CredentialHealth> {
  const required = requiredScopes(managed);
  let body: DebugToken;
  try {
    body = (await ctx.graph.call('GET', 'debug_token', { input_token: token }, {
      what: what(`check the access token of business ${ctx.businessId}`), businessId: ctx.businessId,
    })) as DebugToken;
  } catch (err) {
    if (err instanceof ConnectorError && (err.kind === 'unauthenticated' || err.kind === 'permission-denied')) {
      return { valid: false, scopes: [], missingScopes: required, problem: err.message };
    }
    throw err;
  }
  const data = body?.data ?? {};
  const scopes = Array.isArray(data.scopes) ? data.scopes : [];
  const missingScopes = required.filter((s) => !scopes.includes(s));
  const expiresAt = data.expires_at && data.expires_at > 0 ? new Date(data.expires_at * 1000).toISOString() : undefined;
  const expired = expiresAt !== undefined && Date.parse(expiresAt) <= Date.now();
  const valid = data.is_valid === true && !expired;
  const problem = !valid
    ? `the access token is not valid${data.error?.message ? `: ${ctx.graph.http.redact(data.error.message)}` : expired ? ` (expired ${expiresAt})` : ''}`
    : missingScopes.length > 0
      ? `the access token lacks ${missingScopes.join(', ')}`
      : undefined;
  return { valid, ...(expiresAt ? { expiresAt } : {}), scopes, missingScopes, ...(problem ? { problem } : {}) };
}
