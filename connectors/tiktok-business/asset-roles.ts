import { TIKTOK_ASSET_TYPES, type TikTokAssetType } from './mappers/asset-types.ts';

/**
 * Per-asset roles (TikTok API for Business v1.3 `bc_asset_assign.yml`): an ad account or a
 * catalog takes exactly one role, a TikTok account a non-empty list without repeats. Several
 * teams' roles on one asset combine as hubwarden's merge rule says: the highest role
 * (ADMIN > OPERATOR > ANALYST; ADMIN > AD_PROMOTE), and for TikTok accounts the union.
 */
export function isSupportedAccess(type: TikTokAssetType, access: readonly string[]): boolean {
  const t = TIKTOK_ASSET_TYPES[type];
  const roles = t.roles as readonly string[];
  if (!access.every((a) => roles.includes(a)) || new Set(access).size !== access.length) return false;
  return t.list ? access.length >= 1 : access.length === 1;
}

export function combineAccess(type: TikTokAssetType, accesses: readonly (readonly string[])[]): string[] {
  const t = TIKTOK_ASSET_TYPES[type];
  const roles = t.roles as readonly string[];
  const all = new Set(accesses.flat());
  for (const a of all) if (!roles.includes(a)) throw new Error(`"${a}" is not a ${t.label} role (${roles.join(', ')})`);
  if (all.size === 0) throw new Error(`no ${t.label} role to combine`);
  if (t.list) return roles.filter((r) => all.has(r));
  // Roles are listed highest first.
  return [roles.find((r) => all.has(r))!];
}
