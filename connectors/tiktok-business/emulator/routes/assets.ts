/**
 * Assets and member access: `/bc/asset/get/`, `/bc/asset/admin/get/`, `/bc/asset/assign/`,
 * `/bc/asset/unassign/`, `/bc/asset/member/get/`, `/bc/asset/partner/get/` (TikTok API for
 * Business v1.3; the valid `asset_type` values per endpoint are the gateway enum's `is_valid`
 * flags in tiktok/tiktok-business-api-sdk `yml_files/bc_asset_*.yml`).
 */
import type { CallContext } from '../context.ts';
import { missing, noPermission, notFound, paramError } from '../envelope.ts';
import { ASSET_TYPES, ROLE_FIELD, ROLE_VALUES, type Asset, type AssetType } from '../model.ts';
import { paginate } from '../paging.ts';
import { pageParams, type Fields } from '../params.ts';
import { memberKeywordMatch, renderMember } from './members.ts';
import type { AssetRelation } from '../world.ts';

const GET_TYPES: readonly AssetType[] = ['ADVERTISER', 'CATALOG', 'LEAD', 'PIXEL', 'STOREFRONT', 'TIKTOK_SHOP', 'TT_ACCOUNT'];
const ASSIGN_TYPES: readonly AssetType[] = ['ADVERTISER', 'CATALOG', 'DOMAIN', 'LEAD', 'PIXEL', 'STOREFRONT', 'TIKTOK_SHOP', 'TT_ACCOUNT'];
const MEMBER_GET_TYPES: readonly AssetType[] = ['ADVERTISER', 'CATALOG', 'LEAD'];
/** `/bc/asset/partner/get/` takes the eight assignable types; MANAGED_BUSINESS_ACCOUNT is not one of them. */
const PARTNER_GET_TYPES = ASSIGN_TYPES;
const ALL_ROLE_FIELDS = Object.keys(ROLE_VALUES);
/** Role ceilings of shared-in assets compare by these ranks (highest first). */
const RANK: Record<string, readonly string[]> = { advertiser_role: ['ADMIN', 'OPERATOR', 'ANALYST'], catalog_role: ['ADMIN', 'AD_PROMOTE'] };

/**
 * The role fields an asset row may carry (with a user filter): TikTok's asset object (the Go SDK's
 * `model/bc` Asset, https://business-api.tiktok.com/portal/docs/api-reference/v1.3 `/bc/asset/get/`)
 * has `advertiser_role`, `catalog_role`, `tt_account_roles` and `store_role`, and no
 * `form_library_role`: a lead form library is listed without a role, as on `/bc/asset/member/get/` [INF #24].
 */
const ROW_ROLE_FIELDS = new Set(['advertiser_role', 'catalog_role', 'tt_account_roles', 'store_role']);

export function renderAsset(c: CallContext, asset: Asset, relation: AssetRelation, role?: string | string[]): Record<string, unknown> {
  const typeField = ROLE_FIELD[asset.asset_type];
  const field = typeField && ROW_ROLE_FIELDS.has(typeField) ? typeField : undefined;
  const claim = asset.asset_type === 'ADVERTISER' || asset.asset_type === 'PIXEL' || asset.asset_type === 'TIKTOK_SHOP';
  return {
    asset_type: asset.asset_type,
    asset_id: asset.asset_id,
    asset_name: asset.asset_name,
    relation_type: relation,
    ...(claim ? { relation_status: asset.relation_status ?? 'BOUND' } : {}),
    // TikTok's advertiser_status values are not documented for these endpoints: the emulator shows
    // one only when its world has one, and never makes one up [INF]; the account type defaults to
    // AUCTION, one of the two documented values.
    ...(asset.asset_type === 'ADVERTISER' ? { ...(asset.advertiser_status ? { advertiser_status: asset.advertiser_status } : {}), advertiser_account_type: asset.advertiser_account_type ?? 'AUCTION' } : {}),
    owner_bc_name: asset.asset_type === 'TT_ACCOUNT' ? null : c.world.bcs.get(asset.owner_bc_id)?.name ?? null,
    ...(role !== undefined && field ? { [field]: role } : {}),
  };
}

function keywordMatch(asset: Asset, keyword: string | undefined, namesOnly = false): boolean {
  if (!keyword) return true;
  const k = keyword.toLowerCase();
  return asset.asset_name.toLowerCase().includes(k) || (!namesOnly && asset.asset_id.includes(k));
}

export function getAssets(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'asset_type', 'filtering', 'child_bc_id', 'page', 'page_size']);
  const bcId = f.id('bc_id', true);
  const type = f.enumValue('asset_type', ASSET_TYPES, { required: true, valid: GET_TYPES })!;
  const filter = f.object('filtering', ['keyword', 'user_id', 'user_email']);
  const keyword = filter?.string('keyword');
  const userId = filter?.id('user_id');
  const email = filter?.email('user_email');
  const { page, pageSize } = pageParams(f, 50);
  if (userId !== undefined && email !== undefined) throw paramError('filtering: give user_id or user_email, not both');
  if (email !== undefined && type !== 'ADVERTISER') throw paramError('filtering.user_email: only with asset_type ADVERTISER');
  c.member(bcId, 'read');
  c.noChildBc(f, 'child_bc_id');
  let rows: Array<Record<string, unknown>>;
  if (userId !== undefined) {
    if (!c.world.boundMember(bcId, userId) && !c.rt.readings.assetGetUnknownUserEmpty) throw notFound(`filtering.user_id: ${userId} is not a member of Business Center ${bcId}`);
    rows = c.world.assignments
      .filter((a) => a.bc_id === bcId && a.user_id === userId && a.asset_type === type)
      .flatMap((a) => {
        const found = c.world.assetInBc(bcId, a.asset_id);
        return found && keywordMatch(found.asset, keyword, c.rt.readings.keywordNamesOnly) ? [renderAsset(c, found.asset, found.relation, a.role)] : [];
      });
  } else if (email !== undefined) {
    const row = c.world.rowByEmail(bcId, email);
    if (!row || row.relation_status !== 'PENDING') throw notFound(`filtering.user_email: no pending invitation for ${email}`);
    rows = (row.invite_assets ?? []).flatMap((ia) => {
      const found = c.world.assetInBc(bcId, ia.asset_id);
      return found && keywordMatch(found.asset, keyword, c.rt.readings.keywordNamesOnly) ? [renderAsset(c, found.asset, found.relation, ia.advertiser_role)] : [];
    });
  } else {
    rows = c.world.assetsInBc(bcId).filter((x) => x.asset.asset_type === type && keywordMatch(x.asset, keyword, c.rt.readings.keywordNamesOnly)).map((x) => renderAsset(c, x.asset, x.relation));
  }
  return paginate(rows, page, pageSize, c.rt.faults.shortPage(pageSize, c.call.endpoint, page, rows.length), c.rt.readings.pagePastEndCode);
}

export function getAdminAssets(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'asset_type', 'filtering', 'child_bc_id', 'page', 'page_size']);
  const bcId = f.id('bc_id', true);
  const type = f.enumValue('asset_type', ASSET_TYPES, { required: true, valid: GET_TYPES })!;
  const filter = f.object('filtering', ['keyword', 'relation_status', 'relation_type', 'advertiser_show_status']);
  const keyword = filter?.string('keyword');
  const relationType = filter?.enumValue('relation_type', ['OWNER_BC', 'OWNER_PARTNER', 'OWNER_INDIVIDUAL'] as const);
  const relationStatus = filter?.enumValue('relation_status', ['BOUND', 'UNBOUND', 'PENDING', 'REJECTED'] as const);
  filter?.string('advertiser_show_status');
  const { page, pageSize } = pageParams(f, 50);
  c.member(bcId, 'admin');
  c.noChildBc(f, 'child_bc_id');
  const rows = c.world.assetsInBc(bcId)
    .filter((x) => x.asset.asset_type === type && keywordMatch(x.asset, keyword, c.rt.readings.keywordNamesOnly) && (!relationType || x.relation === relationType) && (!relationStatus || relationStatus === (x.asset.relation_status ?? 'BOUND')))
    .map((x) => renderAsset(c, x.asset, x.relation));
  return paginate(rows, page, pageSize, undefined, c.rt.readings.pagePastEndCode);
}

/** The role of an assignment: exactly the role field of the asset type, no other (40002). */
function roleOf(f: Fields, type: AssetType): string | string[] | undefined {
  const field = ROLE_FIELD[type];
  for (const other of ALL_ROLE_FIELDS) {
    if (other !== field && f.has(other)) throw paramError(`${other}: not allowed with asset_type ${type}`);
  }
  if (!field) return undefined;
  if (field === 'tt_account_roles') {
    const roles = f.enumList(field, ROLE_VALUES[field]);
    if (!roles) throw paramError(`${field}: required with asset_type ${type}`);
    return roles;
  }
  return f.enumValue(field, ROLE_VALUES[field], { required: true });
}

function reachable(c: CallContext, bcId: string, assetId: string, type: AssetType) {
  const found = c.world.assetInBc(bcId, assetId);
  if (!found) throw noPermission(`asset_id: no permission to access asset ${assetId}`);
  if (found.asset.asset_type !== type) throw paramError(`asset_type: asset ${assetId} is not of type ${type}`);
  return found;
}

export function assignAsset(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'user_id', 'asset_type', 'asset_id', ...ALL_ROLE_FIELDS]);
  const bcId = f.id('bc_id', true);
  const userId = f.id('user_id', true);
  const type = f.enumValue('asset_type', ASSET_TYPES, { required: true, valid: ASSIGN_TYPES })!;
  const assetId = f.id('asset_id', true);
  const role = roleOf(f, type);
  c.member(bcId, 'admin');
  const found = reachable(c, bcId, assetId, type);
  if (!c.world.boundMember(bcId, userId)) throw missing(c.rt.readings.unknownUserAssetCode, `user_id: ${userId} is not a member of Business Center ${bcId}`);
  const field = ROLE_FIELD[type];
  const ceiling = found.share && field ? (found.share as unknown as Record<string, string | undefined>)[field] : undefined;
  if (ceiling && typeof role === 'string' && RANK[field!] && RANK[field!].indexOf(role) < RANK[field!].indexOf(ceiling)) {
    throw noPermission(`${field}: ${role} is above the ${ceiling} the owner shared asset ${assetId} with`);
  }
  const existing = c.world.assignment(bcId, assetId, userId);
  if (existing && c.rt.readings.refuseAssignHeld) throw paramError(`asset_id: user ${userId} already has access to asset ${assetId}`);
  // Assigning an asset the member holds replaces the role.
  if (existing) existing.role = role ?? '';
  else c.world.assignments.push({ bc_id: bcId, asset_type: type, asset_id: assetId, user_id: userId, role: role ?? '' });
  return {};
}

export function unassignAsset(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'user_id', 'asset_type', 'asset_id']);
  const bcId = f.id('bc_id', true);
  const userId = f.id('user_id', true);
  const type = f.enumValue('asset_type', ASSET_TYPES, { required: true, valid: ASSIGN_TYPES })!;
  const assetId = f.id('asset_id', true);
  c.member(bcId, 'admin');
  reachable(c, bcId, assetId, type);
  if (!c.world.boundMember(bcId, userId)) throw missing(c.rt.readings.unknownUserAssetCode, `user_id: ${userId} is not a member of Business Center ${bcId}`);
  if (c.rt.readings.unassignNotHeldCode === 40007 && !c.world.assignment(bcId, assetId, userId)) throw notFound(`asset_id: user ${userId} has no access to asset ${assetId}`);
  c.world.assignments = c.world.assignments.filter((a) => !(a.bc_id === bcId && a.asset_id === assetId && a.user_id === userId));
  return {};
}

export function assetMembers(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'asset_type', 'asset_id', 'filtering', 'page', 'page_size']);
  const bcId = f.id('bc_id', true);
  const type = f.enumValue('asset_type', ASSET_TYPES, { required: true, valid: MEMBER_GET_TYPES })!;
  const assetId = f.id('asset_id', true);
  const keyword = f.object('filtering', ['keyword'])?.string('keyword', { max: 250 });
  const { page, pageSize } = pageParams(f, 20);
  c.member(bcId, 'read');
  reachable(c, bcId, assetId, type);
  const field = ROLE_FIELD[type];
  const rows = c.world.assignments
    .filter((a) => a.bc_id === bcId && a.asset_id === assetId)
    .flatMap((a) => {
      const row = c.world.boundMember(bcId, a.user_id);
      if (!row) return [];
      if (!memberKeywordMatch(c, row, keyword)) return [];
      return [renderMember(row, field && field !== 'form_library_role' ? { [field]: a.role } : {})];
    });
  return paginate(rows, page, pageSize, c.rt.faults.shortPage(pageSize, c.call.endpoint, page, rows.length), c.rt.readings.pagePastEndCode);
}

export function assetPartners(c: CallContext): unknown {
  const f = c.fields(['bc_id', 'asset_type', 'asset_id', 'filtering', 'page', 'page_size']);
  const bcId = f.id('bc_id', true);
  const type = f.enumValue('asset_type', ASSET_TYPES, { required: true, valid: PARTNER_GET_TYPES })!;
  const assetId = f.id('asset_id', true);
  const keyword = f.object('filtering', ['keyword'])?.string('keyword')?.toLowerCase();
  const { page, pageSize } = pageParams(f, 50);
  c.member(bcId, 'read');
  reachable(c, bcId, assetId, type);
  const rows = c.world.shares
    .filter((s) => s.asset_id === assetId && s.owner_bc_id === bcId)
    .map((s) => ({ bc_id: s.partner_bc_id, bc_name: c.world.bcs.get(s.partner_bc_id)?.name ?? '' }))
    .filter((p) => !keyword || p.bc_name.toLowerCase().includes(keyword));
  return paginate(rows, page, pageSize, undefined, c.rt.readings.pagePastEndCode);
}
