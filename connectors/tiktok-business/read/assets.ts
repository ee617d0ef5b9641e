import { ConnectorError } from '../../sdk/connector-error.ts';
import type { AppAsset, Page } from '../../sdk/hub-model.ts';
import type { TikTokContext } from '../tiktok-context.ts';
import { isTikTokAssetType, TIKTOK_ASSET_TYPES, type TikTokAssetType } from '../mappers/asset-types.ts';
import { toAsset, type AssetRow } from '../mappers/rows.ts';
import { cursorPage } from './cursor-page.ts';
import { assetRowKey, firstNames, hasAssetId, unkeyedRows } from '../mappers/row-keys.ts';
import { keywordFindsAssetIds } from './keyword-probe.ts';

/** `GET /bc/asset/get/` without a user filter: the BC's assets of one type, owned and shared in (page_size ≤ 50). */
export const ASSET_PAGE_SIZE = 50;

export async function listAssets(ctx: TikTokContext, type: string, cursor?: string): Promise<Page<AppAsset>> {
  if (!isTikTokAssetType(type)) {
    throw new ConnectorError('invalid-argument', `tiktok-business: asset type "${type}" is not one of ${Object.keys(TIKTOK_ASSET_TYPES).join(', ')}`, { field: 'type', notApplied: true });
  }
  const what = `tiktok-business: list ${TIKTOK_ASSET_TYPES[type].label}s of Business Center ${ctx.bcId}`;
  const page = await cursorPage<AssetRow>(ctx.client, 'bc/asset/get', { bc_id: ctx.bcId, asset_type: TIKTOK_ASSET_TYPES[type].api }, ASSET_PAGE_SIZE, cursor, what, ctx.ahead, assetRowKey);
  const held = page.list.filter(claimHeld);
  const keyless = held.filter((r) => !hasAssetId(r));
  const unclaimed = page.list.filter(claimUnknown);
  const reasons = [...(keyless.length > 0 ? [keylessGap(type, keyless).reason] : []), ...(unclaimed.length > 0 ? [unknownClaimGap(type, unclaimed)] : [])];
  return {
    items: held.filter(hasAssetId).map((r) => toAsset(type, r)),
    ...(page.next ? { next: page.next } : {}),
    ...(reasons.length > 0 ? { incomplete: { reason: reasons.join('; ') } } : {}),
  };
}

/** The BC's claim on an asset, as TikTok's asset object documents it (github.com/bububa/tiktok-business `model/bc/asset_get.go`). */
const CLAIM_STATUSES = ['BOUND', 'UNBOUND', 'PENDING', 'REJECTED'];

/**
 * A row whose `relation_status` is none of the documented claims: whether the BC holds the asset
 * is not known. Left out as "not the BC's", the asset looked gone from the Business Center; the
 * page says the type is listed only in part instead [INF #66].
 */
export function claimUnknown(row: AssetRow): boolean {
  const status = row.relation_status;
  return status !== undefined && status !== null && status !== '' && !CLAIM_STATUSES.includes(String(status).toUpperCase());
}

function unknownClaimGap(type: TikTokAssetType, rows: AssetRow[]): string {
  const names = rows.map((r) => `${String(r.asset_id ?? '?')} (relation_status ${JSON.stringify(String(r.relation_status).slice(0, 40))})`);
  return `${TIKTOK_ASSET_TYPES[type].label}s: ${rows.length} row(s) whose claim TikTok does not document, so whether the Business Center holds them is not known: ${firstNames(names)}`;
}

/**
 * A row without `asset_id` is no asset hubwarden can file (it came out as an asset named
 * "undefined"): it is left out and the page says the type is listed only in part, naming the
 * rows, so the agent keeps the assets of the type it knew as last seen and reports it [INF #55].
 */
function keylessGap(type: TikTokAssetType, rows: AssetRow[]): { reason: string } {
  const names = rows.map((r) => (r.asset_name ? JSON.stringify(String(r.asset_name).slice(0, 40)) : '?'));
  return { reason: `${TIKTOK_ASSET_TYPES[type].label}s: ${rows.length} row(s) without asset_id (${firstNames(names)})` };
}

/**
 * The row's `relation_status`, where it has one, is the BC's claim on the asset (BOUND, UNBOUND,
 * PENDING, REJECTED: the asset object of TikTok API for Business v1.3, for ad accounts, pixels and
 * shops). Only a BOUND claim (or none stated) makes the asset the BC's: one pending or rejected
 * cannot be assigned (40001), so it is neither offered to teams nor taken for "still in the BC"
 * when TikTok refuses a write on it [INF #46]; nor is an asset listed as OWNER_INDIVIDUAL.
 */
export function claimHeld(row: AssetRow): boolean {
  // OWNER_INDIVIDUAL: a person owns it, so it is neither owned by nor shared into the BC.
  if (row.relation_type === 'OWNER_INDIVIDUAL') return false;
  const status = row.relation_status;
  return status === undefined || status === null || status === '' || String(status).toUpperCase() === 'BOUND';
}

/** The BC's own listing row of one asset (`/bc/asset/get/`, keyword = its id, owned or shared in), or none. */
export async function findAssetRow(ctx: TikTokContext, type: TikTokAssetType, assetId: string, what: string): Promise<AssetRow | undefined> {
  const api = TIKTOK_ASSET_TYPES[type].api;
  const read = async (narrow: boolean) => {
    const rows = await ctx.client.all<AssetRow>('bc/asset/get', { bc_id: ctx.bcId, asset_type: api, ...(narrow ? { filtering: { keyword: assetId } } : {}) }, ASSET_PAGE_SIZE, what, assetRowKey);
    const row = rows.find((r) => String(r.asset_id) === assetId && claimHeld(r));
    // "Not listed" decides that the asset left the BC (its holders taken for none, a refused
    // unassign for already done): only when every row names its asset. A row the BC holds without
    // `asset_id` may be this one [INF #55], so the read fails instead of deciding from a gap.
    const keyless = row ? [] : rows.filter((r) => claimHeld(r) && !hasAssetId(r));
    if (keyless.length > 0) {
      throw unkeyedRows(`${what}: the ${TIKTOK_ASSET_TYPES[type].label}s listed include ${keyless.length} row(s) without asset_id (${firstNames(keyless.map((r) => String(r.asset_name ?? '?')))}), so whether ${assetId} is in the Business Center is not known`);
    }
    // Listed with a claim TikTok does not document: whether the BC holds it is not known either.
    if (!row && rows.some((r) => String(r.asset_id) === assetId && claimUnknown(r))) {
      throw unkeyedRows(`${what}: ${TIKTOK_ASSET_TYPES[type].label} ${assetId} is listed with an undocumented relation_status, so whether it is in the Business Center is not known`);
    }
    return row;
  };
  // `keyword` narrows the read only where it is known to find asset ids [INF #47].
  const narrows = await keywordFindsAssetIds(ctx, api, what);
  if (narrows === false) return read(false);
  return await read(true) ?? (narrows === undefined ? read(false) : undefined);
}
