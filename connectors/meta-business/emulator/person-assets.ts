/**
 * Reverse lookups: `GET /{business-user-id|system-user-id}/assigned_ad_accounts|assigned_pages|
 * assigned_product_catalogs` (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/system_users, https://github.com/facebook/facebook-business-sdk-codegen/blob/ad2b0b6fdfbe4d73ed0754cb4562ef20b72b40d4/api_specs/specs/BusinessUser.json): the assets a person holds tasks on,
 * with edge fields `tasks` (default) and `permitted_tasks`.
 */
import { requireVisible } from './access.ts';
import { invalidParameter } from './graph-error.ts';
import { listParam } from './request-params.ts';
import { assetNode } from './asset-nodes.ts';
import { project } from './node-fields.ts';
import { ASSET_TASKS } from './task-bundles.ts';
import type { GraphContext } from './graph-context.ts';
import type { AssetType } from './model.ts';

export function assignedAssets(type: AssetType, edge: string) {
  return (ctx: GraphContext, person: { id: string; businessId: string }): unknown => {
    requireVisible(ctx, person.businessId, person.id);
    const w = ctx.world;
    const only = edge === 'assigned_pages' ? pagesParam(ctx) : undefined;
    const rows = w
      .assignmentsOf(person.id)
      .map((a) => ({ seq: a.seq, tasks: a.tasks, asset: w.assets.get(a.assetId)! }))
      .filter((r) => r.asset?.type === type && (!only || only.has(r.asset.id)));
    return ctx.page(rows, edge, person.id, (r) => {
      const share = w.sharesByAsset.get(r.asset.id)?.get(person.businessId);
      const permittedTasks = r.asset.ownerBusinessId === person.businessId ? [...ASSET_TASKS[type]] : share?.permittedTasks;
      return project(assetNode(type), { asset: r.asset, tasks: r.tasks, permittedTasks }, ctx.fields, ctx.render, `${w.systemUsers.has(person.id) ? 'SystemUser' : 'BusinessUser'}/${edge}`);
    });
  };
}

/**
 * `pages` (list<uint>) on `assigned_pages`: only those Pages (the BusinessUser and SystemUser
 * edges' one documented filter, API spec `BusinessUser.json`). Taken and ignored before, a client
 * filtering by it got every Page here. An id that is no number is (#100).
 */
function pagesParam(ctx: GraphContext): Set<string> | undefined {
  const pages = listParam(ctx.call.params, 'pages');
  if (pages === undefined) return undefined;
  pages.forEach((id, i) => {
    if (!/^\d+$/.test(id)) throw invalidParameter(`Param pages[${i}] must be a valid ID - got "${id}"`);
  });
  return new Set(pages);
}
