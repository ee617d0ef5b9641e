import { ConnectorError, isConnectorError } from '../../sdk/connector-error.ts';
import type { TikTokContext } from '../tiktok-context.ts';
import { tokenStillAdmin } from '../read/credential.ts';
import { findAssetRow } from '../read/assets.ts';
import { boundMemberRow } from '../read/members.ts';
import { TIKTOK_ASSET_TYPES, type TikTokAssetType } from '../mappers/asset-types.ts';
import type { AssetRow } from '../mappers/rows.ts';
import { isPassing, recheckPassed } from '../tiktok-errors.ts';

/**
 * TikTok's 40001 ("no permission for the operation", Return codes
 * https://business-api.tiktok.com/portal/docs?id=1737172488964097) covers two different things on
 * `/bc/asset/assign/` and `/bc/asset/unassign/`: the token's user lost ADMIN (or access to the BC),
 * which blocks every write of the hub, and ONE asset that is not owned by or shared into the
 * Business Center, or shared in by its owner with a lower role than asked — which only that
 * asset's task can hit. Treating both as permission-denied paused the whole hub (every
 * invite and removal) over one team's misconfigured asset.
 *
 * So on a 40001 the token's role is checked again (`/bc/get/`, `tokenStillAdmin`); if it is still
 * an ADMIN, the BC's own asset listing (`/bc/asset/get/`, keyword = the asset id) says which:
 * - not listed: the asset is not in the Business Center → `not-found` (the task fails, naming the
 *   asset; on an unassign the access went with the asset: `gone`);
 * - listed as `OWNER_PARTNER` on an assign: the owner's share is below the asked role →
 *   `invalid-argument` (the task fails, naming the asset and role);
 * - anything else (an owned asset, a token no longer ADMIN, a re-check that fails): the original
 *   permission-denied, and the hub pauses as before.
 * `/bc/member/invite/` answers the same 40001 when one of its `asset_ids` is not in the BC, or is
 * shared in below the invitation's `advertiser_role` (explainInviteDenied below).
 */
/** A 40001 (not applied) from TikTok: the only code this file explains. */
function is40001(err: unknown): err is ConnectorError {
  return isConnectorError(err) && err.kind === 'permission-denied' && err.providerCode === '40001';
}

/** The BC's own listing row of one asset (`/bc/asset/get/`, keyword = its id), or none. */
async function listedRow(ctx: TikTokContext, type: TikTokAssetType, assetId: string): Promise<AssetRow | undefined> {
  return findAssetRow(ctx, type, assetId, `tiktok-business: check that ${TIKTOK_ASSET_TYPES[type].label} ${assetId} is in Business Center ${ctx.bcId}`);
}

export async function explainAssetDenied(
  ctx: TikTokContext, err: unknown, input: { type: TikTokAssetType; assetId: string; userId?: string; tasks?: string[]; what: string },
): Promise<ConnectorError | 'gone'> {
  if (!is40001(err)) throw err;
  const label = TIKTOK_ASSET_TYPES[input.type].label;
  let row: AssetRow | undefined;
  try {
    if (!(await tokenStillAdmin(ctx))) return err;
    row = await listedRow(ctx, input.type, input.assetId);
  } catch (recheck) {
    // Throttled or a fault: the write is tried again once the re-check can be made.
    if (isPassing(recheck)) throw recheckPassed(recheck, err, input.what);
    return err; // the re-check itself failed otherwise: keep the safe reading (stop writing)
  }
  if (!row) {
    if (!input.tasks) return 'gone';
    return new ConnectorError('not-found', `${input.what}: not-found: ${label} ${input.assetId} is not owned by or shared into Business Center ${ctx.bcId} (TikTok answered 40001 while the token is still an ADMIN); share it into the Business Center or remove it from the team's assets`, {
      providerCode: '40001', notApplied: true, cause: err,
    });
  }
  if (input.tasks && row.relation_type === 'OWNER_PARTNER') {
    const owner = typeof row.owner_bc_name === 'string' ? row.owner_bc_name : undefined;
    return new ConnectorError('invalid-argument', `${input.what}: invalid-argument (tasks): ${label} ${input.assetId} was shared into Business Center ${ctx.bcId} by its owner${owner ? ` (${owner})` : ''} with a role below ${input.tasks.join('+')} (TikTok answered 40001 while the token is still an ADMIN); ask the owner to share it with that role or lower the team's role on it`, {
      providerCode: '40001', field: 'tasks', notApplied: true, cause: err,
    });
  }
  // The asset is in the BC. TikTok may also say 40001 for a user it does not know (TikTok's return
  // codes, https://business-api.tiktok.com/portal/docs?id=1737172488964097, name no code for it; the emulator's 40007 is [INF #21]): a member who left holds nothing and cannot be
  // given anything. Asked last: it reads every BOUND page, and only this case needs it.
  if (input.userId) {
    let member: boolean;
    try {
      member = (await boundMemberRow(ctx, input.userId, input.what)) !== undefined;
    } catch (recheck) {
      if (isPassing(recheck)) throw recheckPassed(recheck, err, input.what);
      return err;
    }
    if (!member) {
      if (!input.tasks) return 'gone';
      return new ConnectorError('not-found', `${input.what}: not-found: ${input.userId} is not a member of Business Center ${ctx.bcId} (TikTok answered 40001 while the token is still an ADMIN)`, {
        providerCode: '40001', notApplied: true, cause: err,
      });
    }
  }
  return err;
}

/**
 * The same for an invitation that carries ad accounts (`/bc/member/invite/` `asset_ids`, which
 * must all be in the BC): when the token is still an ADMIN and some of them are not listed, the
 * invite fails not-found naming them, instead of pausing every write of the hub. Invites that
 * shared the call share one re-check.
 */
const inviteChecks = new WeakMap<object, Promise<ConnectorError>>();

/**
 * All listed, some shared in by a partner: the invite gives them with its `advertiser_role` as an
 * assignment would, so a role above the owner's share is refused the same way (40001) and is the
 * team's config, not the token: invalid-argument naming them, like an assign above the share.
 */
function aboveShare(ctx: TikTokContext, ids: readonly string[], role: string | undefined, root: ConnectorError): ConnectorError {
  const many = ids.length > 1;
  return new ConnectorError('invalid-argument', `invalid-argument (tasks): ad account${many ? 's' : ''} ${ids.join(', ')} ${many ? 'were' : 'was'} shared into Business Center ${ctx.bcId} by ${many ? 'their owners' : 'its owner'} with a role below ${role ?? 'the one asked'} (TikTok answered 40001 while the token is still an ADMIN); ask the owner to share ${many ? 'them' : 'it'} with that role or lower the team's role on ${many ? 'them' : 'it'}`, {
    providerCode: '40001', field: 'tasks', notApplied: true, cause: root,
  });
}

/** The error to throw for `err`, a failed invite that carried `assetIds` with `role`. */
export async function explainInviteDenied(ctx: TikTokContext, err: unknown, assetIds: readonly string[], what: string, role?: string): Promise<unknown> {
  if (!is40001(err) || assetIds.length === 0) return err;
  const root = err.cause instanceof ConnectorError ? err.cause : err; // a shared call's error, told as each caller's own
  let check = inviteChecks.get(root);
  if (!check) {
    check = (async () => {
      try {
        if (!(await tokenStillAdmin(ctx))) return root;
        const missing: string[] = [];
        const sharedIn: string[] = [];
        for (const id of assetIds) {
          const row = await listedRow(ctx, 'ad_account', id);
          if (!row) missing.push(id);
          else if (row.relation_type === 'OWNER_PARTNER') sharedIn.push(id);
        }
        if (missing.length === 0) return sharedIn.length > 0 ? aboveShare(ctx, sharedIn, role, root) : root;
        return new ConnectorError('not-found', `not-found: ad account${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not owned by or shared into Business Center ${ctx.bcId} (TikTok answered 40001 while the token is still an ADMIN); share ${missing.length > 1 ? 'them' : 'it'} into the Business Center or remove ${missing.length > 1 ? 'them' : 'it'} from the team's assets`, {
          providerCode: '40001', notApplied: true, cause: root,
        });
      } catch (recheck) {
        // Throttled or a fault: the invite is tried again once the re-check can be made.
        if (isPassing(recheck)) return recheckPassed(recheck, root, 'the invite call');
        return root;
      }
    })();
    inviteChecks.set(root, check);
  }
  const why = await check;
  return why === root ? err : why.with({ message: `${what}: ${why.message}` });
}
