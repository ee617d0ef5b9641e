/**
 * Partners: `/bc/partner/get/`, `/add/`, `/delete/`, `/bc/partner/asset/get/`,
 * `/bc/partner/asset/delete/` (TikTok API for Business v1.3). Partners are other BCs; assets are
 * shared BC-to-BC with a role ceiling. The partner endpoints, reads included, are for admins.
 */
import type { CallContext } from '../context.ts';
import { noPermission, notFound, paramError } from '../envelope.ts';
import { ASSET_TYPES, type AssetType } from '../model.ts';
import { paginate } from '../paging.ts';
import { pageParams } from '../params.ts';
import { renderAsset } from './assets.ts';
import { claimHeld } from '../world.ts';

const PARTNER_ASSET_TYPES: readonly AssetType[] = ['ADVERTISER', 'CATALOG', 'DOMAIN'];

export function listPartners(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'filtering', 'page', 'page_size']);
  const bcId = f.id('bc_id', true);
  const name = f.object('filtering', ['name'])?.string('name')?.toLowerCase();
  const { page, pageSize } = pageParams(f, 50);
  c.member(bcId, 'admin');
  const rows = c.world.partnersOf(bcId)
    .map((id) => ({ bc_id: id, bc_name: c.world.bcs.get(id)?.name ?? '' }))
    .filter((p) => !name || p.bc_name.toLowerCase().includes(name));
  return paginate(rows, page, pageSize, c.rt.faults.shortPage(pageSize, c.call.endpoint, page, rows.length), c.rt.readings.pagePastEndCode);
}

export function addPartner(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'partner_id', 'asset_type', 'asset_ids', 'advertiser_role', 'catalog_role', 'source_child_bc_id', 'target_child_bc_id']);
  const bcId = f.id('bc_id', true);
  const partnerId = f.id('partner_id', true);
  f.enumValue('asset_type', ASSET_TYPES, { required: true, valid: ['ADVERTISER'] });
  const assetIds = f.idList('asset_ids', { required: true, max: 50 })!;
  const advertiserRole = f.enumValue('advertiser_role', ['ADMIN', 'OPERATOR', 'ANALYST'] as const, { default: 'ANALYST' })!;
  f.enumValue('catalog_role', ['ADMIN', 'AD_PROMOTE'] as const, { default: 'AD_PROMOTE' });
  c.member(bcId, 'admin');
  c.noChildBc(f, 'source_child_bc_id', 'target_child_bc_id');
  if (partnerId === bcId || !c.world.bcs.has(partnerId)) throw notFound(`partner_id: Business Center ${partnerId} does not exist`);
  for (const id of assetIds) {
    const asset = c.world.assets.get(id);
    if (!asset || asset.owner_bc_id !== bcId || !claimHeld(asset)) throw noPermission(`asset_ids: no permission to share asset ${id}`);
    if (asset.asset_type !== 'ADVERTISER') throw paramError(`asset_ids: ${id} is not an ADVERTISER asset`);
  }
  if (!c.world.arePartners(bcId, partnerId)) c.world.partnerships.push({ bc_id: bcId, partner_id: partnerId });
  for (const id of assetIds) {
    const existing = c.world.shares.find((s) => s.asset_id === id && s.partner_bc_id === partnerId);
    if (existing) existing.advertiser_role = advertiserRole;
    else c.world.shares.push({ asset_type: 'ADVERTISER', asset_id: id, owner_bc_id: bcId, partner_bc_id: partnerId, advertiser_role: advertiserRole });
  }
  return {};
}

/** Ends sharing of the given assets with `partnerBc`, and the access its members held through it. */
function unshare(c: CallContext, ownerBc: string, partnerBc: string, assetIds?: string[]): void {
  const gone = c.world.shares.filter((s) => s.owner_bc_id === ownerBc && s.partner_bc_id === partnerBc && (!assetIds || assetIds.includes(s.asset_id)));
  c.world.shares = c.world.shares.filter((s) => !gone.includes(s));
  c.world.assignments = c.world.assignments.filter((a) => !(a.bc_id === partnerBc && gone.some((s) => s.asset_id === a.asset_id)));
}

export function deletePartner(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'partner_id']);
  const bcId = f.id('bc_id', true);
  const partnerId = f.id('partner_id', true);
  c.member(bcId, 'admin');
  if (!c.world.arePartners(bcId, partnerId)) throw notFound(`partner_id: ${partnerId} is not a partner of Business Center ${bcId}`);
  // Sharing in both directions ends with the partnership.
  unshare(c, bcId, partnerId);
  unshare(c, partnerId, bcId);
  c.world.partnerships = c.world.partnerships.filter((p) => !((p.bc_id === bcId && p.partner_id === partnerId) || (p.bc_id === partnerId && p.partner_id === bcId)));
  return {};
}

export function partnerAssets(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'partner_id', 'asset_type', 'share_type', 'filtering', 'page', 'page_size']);
  const bcId = f.id('bc_id', true);
  const partnerId = f.id('partner_id', true);
  const type = f.enumValue('asset_type', ASSET_TYPES, { required: true, valid: PARTNER_ASSET_TYPES })!;
  const shareType = f.enumValue('share_type', ['SHARING', 'SHARED'] as const, { required: true })!;
  const keyword = f.object('filtering', ['keyword'])?.string('keyword')?.toLowerCase();
  const { page, pageSize } = pageParams(f, 50);
  c.member(bcId, 'admin');
  if (!c.world.arePartners(bcId, partnerId)) throw notFound(`partner_id: ${partnerId} is not a partner of Business Center ${bcId}`);
  const [owner, receiver] = shareType === 'SHARING' ? [bcId, partnerId] : [partnerId, bcId];
  const rows = c.world.shares
    .filter((s) => s.owner_bc_id === owner && s.partner_bc_id === receiver && s.asset_type === type)
    .flatMap((s) => {
      const asset = c.world.assets.get(s.asset_id);
      if (!asset || (keyword && !asset.asset_name.toLowerCase().includes(keyword) && !asset.asset_id.includes(keyword))) return [];
      const relation = shareType === 'SHARING' ? 'OWNER_BC' : 'OWNER_PARTNER';
      // Plain asset objects: TikTok's asset rows carry a role field only for a member's holdings
      // (`/bc/asset/get/` with a user filter, https://business-api.tiktok.com/portal/docs/api-reference/v1.3);
      // nothing says this endpoint shows the share's role ceiling, so the emulator does not [INF #25].
      return [renderAsset(c, asset, relation)];
    });
  return paginate(rows, page, pageSize, c.rt.faults.shortPage(pageSize, c.call.endpoint, page, rows.length), c.rt.readings.pagePastEndCode);
}

export function deletePartnerAssets(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'partner_id', 'asset_type', 'asset_ids']);
  const bcId = f.id('bc_id', true);
  const partnerId = f.id('partner_id', true);
  const type = f.enumValue('asset_type', ASSET_TYPES, { required: true, valid: PARTNER_ASSET_TYPES })!;
  const assetIds = f.idList('asset_ids', { required: true, max: 50 })!;
  if (assetIds.length === 0) throw paramError('asset_ids: at least one id');
  c.member(bcId, 'admin');
  if (!c.world.arePartners(bcId, partnerId)) throw notFound(`partner_id: ${partnerId} is not a partner of Business Center ${bcId}`);
  // As on `partner/add` [INF #50]: the ids are assets this BC owns (40001 otherwise), of the
  // `asset_type` named (40002 otherwise). Unchecked, an id of another type was unshared anyway,
  // whatever `asset_type` said.
  for (const id of assetIds) {
    const asset = c.world.assets.get(id);
    if (!asset || asset.owner_bc_id !== bcId) throw noPermission(`asset_ids: no permission to access asset ${id}`);
    if (asset.asset_type !== type) throw paramError(`asset_ids: ${id} is not a ${type} asset`);
  }
  unshare(c, bcId, partnerId, assetIds);
  return {};
}
