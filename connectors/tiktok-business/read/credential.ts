import { ConnectorError, isConnectorError } from '../../sdk/connector-error.ts';
import type { CredentialHealth } from '../../sdk/hub-model.ts';
import type { TikTokContext } from '../tiktok-context.ts';
import { listAdmins } from './members.ts';
import { hasKey } from '../mappers/row-keys.ts';

const unread = (message: string) => new ConnectorError('unavailable', message, { providerCode: 'field-missing' });

/**
 * The token's standing: `GET /bc/get/?bc_id=…` lists the BC with the token's user's role in it.
 * Missing: the user is not a member; `user_role` STANDARD: hubwarden can read but not change
 * anything (TikTok's own prerequisite check before BC management calls). TikTok has no
 * token-introspection endpoint in this API, so scopes are not listed.
 */
interface BcRow {
  bc_info?: { bc_id?: string; name?: string; status?: string };
  user_role?: string;
}

export async function checkCredential(ctx: TikTokContext): Promise<CredentialHealth> {
  const what = `tiktok-business: check the token on Business Center ${ctx.bcId}`;
  try {
    const problem = await tokenRoleProblem(ctx, what);
    if (problem) return { valid: false, scopes: [], missingScopes: [], problem };
    if (ctx.tokenUserId) {
      const admins = await listAdmins(ctx, what);
      if (!admins.some((a) => String(a.user_id) === ctx.tokenUserId)) {
        return { valid: false, scopes: [], missingScopes: [], problem: `tiktok.tokenUserId ${ctx.tokenUserId} is not a BOUND ADMIN of Business Center ${ctx.bcId}, so it is not the access token's user; set it to that user's user_id` };
      }
    }
    return { valid: true, scopes: [], missingScopes: [] };
  } catch (err) {
    if (isConnectorError(err) && (err.kind === 'unauthenticated' || err.kind === 'permission-denied')) {
      return { valid: false, scopes: [], missingScopes: [], problem: err.message };
    }
    throw err;
  }
}

/**
 * Whether the token's user is still an ADMIN of the BC (`/bc/get/` alone): what a 40001 needs
 * re-checked (write/asset-denied.ts). The `tokenUserId` check of `checkCredential` is about the
 * config naming the right user, not about what the token may do, so it is not repeated there.
 * Throws what the call throws.
 */
export async function tokenStillAdmin(ctx: TikTokContext): Promise<boolean> {
  return (await tokenRoleProblem(ctx, `tiktok-business: check the token on Business Center ${ctx.bcId}`)) === undefined;
}

/** Why the token's user cannot change members and assets (`/bc/get/` `user_role`), or undefined when it is an ADMIN. */
async function tokenRoleProblem(ctx: TikTokContext, what: string): Promise<string | undefined> {
  const data = await ctx.client.call<{ list?: BcRow[] }>('GET', 'bc/get', { bc_id: ctx.bcId }, what);
  // `/bc/get/` answers `list` with the token's user's `user_role` on each BC (TikTok API for
  // Business v1.3, `bc_get.yml` in https://github.com/tiktok/tiktok-business-api-sdk). Without
  // them the answer says nothing of the token: not "not a member", nor "not an admin" [INF #65].
  if (!Array.isArray(data.list)) throw unread(`${what}: /bc/get/ answered without a list of Business Centers; read it again`);
  const row = data.list.find((r) => String(r.bc_info?.bc_id) === ctx.bcId);
  // A row without `bc_info.bc_id` may be this BC (asked for by `bc_id`, only it is listed): "not
  // a member" is not known then [INF #65].
  if (!row && data.list.some((r) => !hasKey(r?.bc_info?.bc_id))) throw unread(`${what}: /bc/get/ lists a Business Center without bc_info.bc_id, so whether the token's user is a member of ${ctx.bcId} is not known; read it again`);
  if (!row) return `the token's user is not a member of Business Center ${ctx.bcId}`;
  if (!hasKey(row.user_role)) throw unread(`${what}: /bc/get/ lists Business Center ${ctx.bcId} without the token's user's user_role; read it again`);
  // ADMIN or STANDARD (`BCUserRole`, bc_get.yml): any other value says nothing of what the token may do [INF #65].
  if (row.user_role !== 'ADMIN' && row.user_role !== 'STANDARD') throw unread(`${what}: /bc/get/ gives the token's user the role ${JSON.stringify(String(row.user_role).slice(0, 40))} in Business Center ${ctx.bcId}, neither ADMIN nor STANDARD; read it again`);
  if (row.user_role !== 'ADMIN') return `the token's user is ${row.user_role} in Business Center ${ctx.bcId}; an ADMIN is needed to change members and assets`;
  return undefined;
}
