/**
 * Partners (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business): `GET|DELETE /{business}/agencies` (who has access to my assets),
 * `GET|DELETE /{business}/clients` (who gave me access), and `GET|POST|DELETE /{asset}/agencies`
 * (share or unshare one asset). Only the asset's OWNER business can share it (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business, connectors/meta-business/README.md [INF] → 200).
 */
import { invalidParameter, permissionsError, requiredParameter, unknownPath, unsupportedRequest } from './graph-error.ts';
import { requireAssetAccess, requireOwnBusiness, requireScope } from './access.ts';
import { checkBusinessToBusiness } from './guards.ts';
import { assetAgencyNode, partnerNode, type PartnerView } from './partner-nodes.ts';
import { project } from './node-fields.ts';
import { assetNode } from './asset-nodes.ts';
import { listParam } from './request-params.ts';
import { PARTNER_TASKS, checkTaskNames } from './task-bundles.ts';
import type { GraphContext } from './graph-context.ts';
import type { Asset, Business, Share } from './model.ts';

function partnerRows(ctx: GraphContext, pick: (asset: Asset, share: Share) => string | undefined): Array<PartnerView & { seq: number }> {
  const byBusiness = new Map<string, PartnerView & { seq: number }>();
  for (const [assetId, byPartner] of ctx.world.sharesByAsset) {
    const asset = ctx.world.assets.get(assetId);
    if (!asset) continue;
    for (const share of byPartner.values()) {
      const other = pick(asset, share);
      const business = other ? ctx.world.businesses.get(other) : undefined;
      if (!business) continue;
      let row = byBusiness.get(business.id);
      if (!row) byBusiness.set(business.id, (row = { business, shares: [], seq: share.seq }));
      row.shares.push({ share, type: asset.type });
      row.seq = Math.min(row.seq, share.seq);
    }
  }
  return [...byBusiness.values()].sort((a, b) => a.seq - b.seq);
}

export function listAgencies(ctx: GraphContext, business: Business): unknown {
  checkBusinessToBusiness(ctx);
  requireOwnBusiness(ctx, business.id);
  const rows = partnerRows(ctx, (asset, share) => (asset.ownerBusinessId === business.id ? share.partnerBusinessId : undefined));
  return ctx.page(rows, 'agencies', business.id, (r) => project(partnerNode, r, ctx.fields, ctx.render, 'Business/agencies'));
}

export function listClients(ctx: GraphContext, business: Business): unknown {
  checkBusinessToBusiness(ctx);
  requireOwnBusiness(ctx, business.id);
  const rows = partnerRows(ctx, (asset, share) => (share.partnerBusinessId === business.id ? asset.ownerBusinessId : undefined));
  return ctx.page(rows, 'clients', business.id, (r) => project(partnerNode, r, ctx.fields, ctx.render, 'Business/clients'));
}

/** DELETE /{business}/agencies?business=X: X loses every asset we shared (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business). */
export function removeAgency(ctx: GraphContext, business: Business): unknown {
  checkBusinessToBusiness(ctx);
  requireOwnBusiness(ctx, business.id);
  const partner = ctx.param('business');
  if (!partner) throw requiredParameter('business');
  for (const asset of ctx.world.assets.values()) if (asset.ownerBusinessId === business.id) ctx.world.removeShare(asset.id, partner);
  return { success: true };
}

/** DELETE /{business}/clients?business=X: we give up every asset X shared with us. */
export function removeClient(ctx: GraphContext, business: Business): unknown {
  checkBusinessToBusiness(ctx);
  requireOwnBusiness(ctx, business.id);
  const client = ctx.param('business');
  if (!client) throw requiredParameter('business');
  for (const asset of ctx.world.assets.values()) if (asset.ownerBusinessId === client) ctx.world.removeShare(asset.id, business.id);
  return { success: true };
}

function requireOwner(ctx: GraphContext, asset: Asset): void {
  checkBusinessToBusiness(ctx);
  requireAssetAccess(ctx, asset);
  if (asset.ownerBusinessId !== ctx.caller.businessId) {
    // Meta gives the rule and code 200, no words for it: a bare "Permissions error" (README [INF], Error wording).
    throw permissionsError();
  }
}

export function listAssetAgencies(ctx: GraphContext, asset: Asset, edge = 'agencies'): unknown {
  requireOwner(ctx, asset);
  const rows: Array<{ seq: number; business: Business; share: Share }> = [];
  for (const share of ctx.world.sharesByAsset.get(asset.id)?.values() ?? []) {
    const business = ctx.world.businesses.get(share.partnerBusinessId);
    if (business) rows.push({ seq: share.seq, business, share });
  }
  rows.sort((a, b) => a.seq - b.seq);
  return ctx.page(rows, edge, asset.id, (r) => project(assetAgencyNode, r, ctx.fields, ctx.render, `${assetNode(asset.type).name}/${edge}`));
}

/** POST /{asset}/agencies: share, or change the permitted tasks of an existing share (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business). */
export function shareAsset(ctx: GraphContext, asset: Asset): unknown {
  requireOwner(ctx, asset);
  // Sharing a Page "needs a Page token" (B2B guide); a system user's token with the Page permission
  // `pages_manage_metadata` is the equivalent the emulator accepts (connectors/meta-business/README.md
  // [INF]), never a token without it (https://developers.facebook.com/docs/graph-api/reference/page).
  if (asset.type === 'page') requireScope(ctx, 'pages_manage_metadata');
  const partnerId = ctx.param('business');
  if (!partnerId) throw requiredParameter('business');
  if (partnerId === asset.ownerBusinessId) throw invalidParameter(`Business ${partnerId} already owns ${asset.id}`);
  if (!ctx.world.businesses.has(partnerId)) throw invalidParameter(`Param business must be a valid business id - got "${partnerId}"`);
  const raw = listParam(ctx.call.params, 'permitted_tasks') ?? catalogRoleTasks(ctx, asset);
  if (!raw || raw.length === 0) throw requiredParameter('permitted_tasks');
  const tasks = checkTaskNames(raw, PARTNER_TASKS[asset.type], 'permitted_tasks');
  // Only ad-account sharing is documented to need approval; nothing changes until it is given (guards.ts).
  if (asset.type === 'ad_account' && ctx.runtime.guards.shareNeedsAdminApproval) return { success: true, requires_admin_approval: true };
  const now = ctx.runtime.now();
  const existing = ctx.world.sharesByAsset.get(asset.id)?.get(partnerId);
  if (existing) {
    existing.permittedTasks = tasks;
    existing.access_updated_time = now;
  } else {
    ctx.world.putShare({ assetId: asset.id, partnerBusinessId: partnerId, permittedTasks: tasks, accessStatus: 'CONFIRMED', access_requested_time: now, access_updated_time: now, seq: ctx.world.nextSeq() });
  }
  return { success: true };
}

/** Catalogs may be shared by role instead of tasks: `permitted_roles` ADMIN / ADVERTISER (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business, [INF] mapping). */
function catalogRoleTasks(ctx: GraphContext, asset: Asset): string[] | undefined {
  if (asset.type !== 'catalog') return undefined;
  const roles = listParam(ctx.call.params, 'permitted_roles');
  if (!roles) return undefined;
  checkTaskNames(roles, ['ADMIN', 'ADVERTISER'], 'permitted_roles');
  return roles.includes('ADMIN') ? ['MANAGE', 'ADVERTISE'] : ['ADVERTISE'];
}

/** Pixels list partners on `shared_agencies` (Meta's API spec `AdsPixel.json`, https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business). */
export function listPixelAgencies(ctx: GraphContext, asset: Asset): unknown {
  if (asset.type !== 'pixel') throw unknownPath('/shared_agencies');
  return listAssetAgencies(ctx, asset, 'shared_agencies');
}

/** DELETE agencies exists for ad accounts, pages and catalogs; not for pixels (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business). */
export function unshareAsset(ctx: GraphContext, asset: Asset): unknown {
  if (asset.type === 'pixel') throw unsupportedRequest('DELETE', asset.id);
  requireOwner(ctx, asset);
  const partnerId = ctx.param('business');
  if (!partnerId) throw requiredParameter('business');
  // A business the asset is not shared with: (#100), the strict answer where Meta documents none
  // (the DELETE lists errors 100 and 200; README [INF]).
  if (!ctx.world.sharesByAsset.get(asset.id)?.has(partnerId)) throw invalidParameter(`The asset ${asset.id} is not shared with business ${partnerId}`);
  ctx.world.removeShare(asset.id, partnerId);
  return { success: true };
}
