/**
 * hubwarden's asset type names for a TikTok hub and TikTok's `asset_type` values, with the role
 * field `/bc/asset/assign/` takes for each (TikTok API for Business v1.3 `bc_asset_assign.yml`;
 * `TT_ACCOUNT` is TikTok's own name for a TikTok account).
 */
export const TIKTOK_ASSET_TYPES = {
  ad_account: { api: 'ADVERTISER', roleField: 'advertiser_role', roles: ['ADMIN', 'OPERATOR', 'ANALYST'], list: false, label: 'ad account' },
  catalog: { api: 'CATALOG', roleField: 'catalog_role', roles: ['ADMIN', 'AD_PROMOTE'], list: false, label: 'catalog' },
  tiktok_account: { api: 'TT_ACCOUNT', roleField: 'tt_account_roles', roles: ['POST', 'LIVE', 'DIRECT_MESSAGE'], list: true, label: 'TikTok account' },
} as const;

export type TikTokAssetType = keyof typeof TIKTOK_ASSET_TYPES;

export function isTikTokAssetType(type: string): type is TikTokAssetType {
  return Object.hasOwn(TIKTOK_ASSET_TYPES, type);
}

/** A row's role on an asset as access (a set of role names): `[OPERATOR]`, `[POST, LIVE]`. */
export function accessOfRow(type: TikTokAssetType, row: Record<string, unknown>): string[] {
  const value = row[TIKTOK_ASSET_TYPES[type].roleField];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' && value ? [value] : [];
}

/** The role field of an assign call for this access. */
export function roleFieldOf(type: TikTokAssetType, access: readonly string[]): Record<string, string | string[]> {
  const t = TIKTOK_ASSET_TYPES[type];
  return { [t.roleField]: t.list ? [...access] : access[0] };
}
