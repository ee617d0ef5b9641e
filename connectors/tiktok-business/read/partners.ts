import type { AppPartner, Page } from '../../sdk/hub-model.ts';
import type { TikTokContext } from '../tiktok-context.ts';
import { accessOfRow } from '../mappers/asset-types.ts';
import type { AssetRow } from '../mappers/rows.ts';
import { assetRowKey, firstNames, hasAssetId, hasKey, unkeyedRows } from '../mappers/row-keys.ts';

/**
 * The configured partner BCs and what is shared each way (TikTok API for Business v1.3
 * `/bc/partner/get/`, `/bc/partner/asset/get/` with `share_type` SHARING and SHARED, ad accounts).
 * A partner that is no longer one is left out. One page holds them all: a hub configures few.
 * A partner's own people are never listed by this BC's endpoints, so they cannot be read.
 */
interface PartnerRow {
  bc_id?: string;
  bc_name?: string;
}

export async function listPartners(ctx: TikTokContext, _cursor?: string): Promise<Page<AppPartner>> {
  if (ctx.partners.length === 0) return { items: [] };
  const what = `tiktok-business: list partners of Business Center ${ctx.bcId}`;
  const rows = await ctx.client.all<PartnerRow>('bc/partner/get', { bc_id: ctx.bcId }, 50, what, (r) => (hasKey(r.bc_id) ? String(r.bc_id) : `no bc_id:${r.bc_name ?? ''}`));
  // A partner row is `{bc_id, bc_name}` (TikTok API for Business v1.3 `/bc/partner/get/`,
  // github.com/bububa/tiktok-business `model/bc/partner_get.go`); TikTok does not say `bc_id` may
  // be missing. A row without it may be any configured partner: "not a partner any more" is not
  // known, so the read fails naming it instead of reporting the partnership ended [INF #66].
  const keyless = rows.filter((r) => !hasKey(r.bc_id));
  if (keyless.length > 0 && ctx.partners.some((id) => !rows.some((r) => String(r.bc_id) === id))) {
    throw unkeyedRows(`${what}: ${keyless.length} partner row(s) without bc_id (${firstNames(keyless.map((r) => String(r.bc_name ?? '?')))}): which partners there are is not known in full`);
  }
  const items: AppPartner[] = [];
  for (const id of ctx.partners) {
    const row = rows.find((r) => String(r.bc_id) === id);
    if (!row) {
      ctx.log?.warn(`${what}: ${id} is configured as a partner but is not one`, { bcId: ctx.bcId, partner: id });
      continue;
    }
    const shared = async (shareType: 'SHARING' | 'SHARED') => {
      const about = `${what}: ${shareType.toLowerCase()} with ${id}`;
      const assets = await ctx.client.all<AssetRow>('bc/partner/asset/get', { bc_id: ctx.bcId, partner_id: id, asset_type: 'ADVERTISER', share_type: shareType }, 50, about, assetRowKey);
      // A shared row without `asset_id` names no ad account: the partner's sharing is not known in
      // full, so the read fails (the check keeps what it knew and reports it) [INF #55].
      const keyless = assets.filter((a) => !hasAssetId(a));
      if (keyless.length > 0) throw unkeyedRows(`${about}: ${keyless.length} row(s) without asset_id: what is shared is not known in full`);
      return assets.map((a) => ({ type: 'ad_account', id: String(a.asset_id), permittedTasks: accessOfRow('ad_account', a) }));
    };
    const [sharing, sharedIn] = [await shared('SHARING'), await shared('SHARED')];
    const name = row.bc_name ? { name: row.bc_name } : {};
    // An agency is a partner we share with; a client is one that shares with us. Both may hold.
    if (sharing.length > 0 || sharedIn.length === 0) items.push({ businessId: id, ...name, relation: 'agency', assets: sharing });
    if (sharedIn.length > 0) items.push({ businessId: id, ...name, relation: 'client', assets: sharedIn });
  }
  return { items };
}
