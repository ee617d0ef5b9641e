import { ConnectorError, isConnectorError } from '../../sdk/connector-error.ts';
import type { TikTokContext } from '../tiktok-context.ts';
import { checkCredential } from '../read/credential.ts';
import { TIKTOK_ASSET_TYPES, type TikTokAssetType } from '../mappers/asset-types.ts';
import type { AssetRow } from '../mappers/rows.ts';

/**
 * TikTok's 40001 ("no permission for the operation", Return codes
 * https://business-api.tiktok.com/portal/docs?id=1737172488964097) covers two different things on
 * `/bc/asset/assign/` and `/bc/asset/unassign/`: the token's user lost ADMIN (or access to the BC),
 * which blocks every write of the hub, and ONE asset that is not owned by or shared into the
 * Business Center, or shared in by its owner with a lower role than asked — which only that
 * asset's task can hit. Treating both as permission-denied paused the whole hub (every
 * invite and removal) over one team's misconfigured asset.
 *
 * So on a 40001 the token is checked again (`/bc/get/`, as the credential check); if it is still
 * an ADMIN, the BC's own asset listing (`/bc/asset/get/`, keyword = the asset id) says which:
 * - not listed: the asset is not in the Business Center → `not-found` (the task fails, naming the
 *   asset; on an unassign the access went with the asset: `gone`);
 * - listed as `OWNER_PARTNER` on an assign: the owner's share is below the asked role →
 *   `invalid-argument` (the task fails, naming the asset and role);
 * - anything else (an owned asset, a token no longer ADMIN, a re-check that fails): the original
 *   permission-denied, and the hub pauses as before.
 */
export async function explainAssetDenied(
  ctx: TikTokContext, err: unknown, input: { type: TikTokAssetType; assetId: string; tasks?: string[]; what: string },
): Promise<ConnectorError | 'gone'> {
  if (!isConnectorError(err) || err.kind !== 'permission-denied' || err.providerCode !== '40001') throw err;
  const label = TIKTOK_ASSET_TYPES[input.type].label;
  let row: AssetRow | undefined;
  try {
    const credential = await checkCredential(ctx);
    if (!credential.valid) return err;
    const rows = await ctx.client.all<AssetRow>('bc/asset/get', { bc_id: ctx.bcId, asset_type: TIKTOK_ASSET_TYPES[input.type].api, filtering: { keyword: input.assetId } }, 50,
      `tiktok-business: check that ${label} ${input.assetId} is in Business Center ${ctx.bcId}`, (r) => String(r.asset_id));
    row = rows.find((r) => String(r.asset_id) === input.assetId);
  } catch {
    return err; // the re-check itself failed: keep the safe reading (stop writing)
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
  return err;
}
