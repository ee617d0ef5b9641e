/**
 * Business-level listings of system users (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/system_users) and of owned and client assets (https://github.com/facebook/facebook-business-sdk-codegen/blob/ad2b0b6fdfbe4d73ed0754cb4562ef20b72b40d4/api_specs/specs/Business.json).
 * Client edges list assets other businesses shared with this one (confirmed shares only; pending
 * ones belong on `pending_client_*`), with the edge field `permitted_tasks`.
 */
import { requireOwnBusiness } from './access.ts';
import { checkClientAdAccountsAccess } from './guards.ts';
import { systemUserNode } from './graph-nodes.ts';
import { assetNode, type AssetView } from './asset-nodes.ts';
import { project } from './node-fields.ts';
import type { GraphContext } from './graph-context.ts';
import type { Asset, AssetType, Business, Share } from './model.ts';

export function listSystemUsers(ctx: GraphContext, business: Business): unknown {
  requireOwnBusiness(ctx, business.id);
  const list = [...ctx.world.systemUsers.values()].filter((s) => s.businessId === business.id);
  return ctx.page(list, 'system_users', business.id, (s) => project(systemUserNode, s, ctx.fields, ctx.render, 'Business/system_users'));
}

export function ownedAssets(type: AssetType, edge: string) {
  return (ctx: GraphContext, business: Business): unknown => {
    requireOwnBusiness(ctx, business.id);
    const list = [...ctx.world.assets.values()].filter((a) => a.type === type && a.ownerBusinessId === business.id);
    return ctx.page(list, edge, business.id, (asset) => project(assetNode(type), { asset }, ctx.fields, ctx.render, `Business/${edge}`));
  };
}

export function clientAssets(type: AssetType, edge: string) {
  return (ctx: GraphContext, business: Business): unknown => {
    requireOwnBusiness(ctx, business.id);
    if (type === 'ad_account') checkClientAdAccountsAccess(ctx);
    const rows: Array<{ seq: number; asset: Asset; share: Share }> = [];
    for (const [assetId, byPartner] of ctx.world.sharesByAsset) {
      const share = byPartner.get(business.id);
      const asset = ctx.world.assets.get(assetId);
      if (share && asset && asset.type === type && share.accessStatus === 'CONFIRMED') rows.push({ seq: asset.seq, asset, share });
    }
    rows.sort((a, b) => a.seq - b.seq);
    return ctx.page(rows, edge, business.id, (r) => {
      const view: AssetView = { asset: r.asset, permittedTasks: r.share.permittedTasks };
      return project(assetNode(type), view, ctx.fields, ctx.render, `Business/${edge}`);
    });
  };
}
