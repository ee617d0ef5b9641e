import type { AppAsset, AppInvite, AppMember } from '../../sdk/hub-model.ts';
import type { TikTokAssetType } from './asset-types.ts';

/** A `/bc/member/get/` row (TikTok API for Business v1.3 member object). */
export interface MemberRow {
  user_id?: string;
  user_name?: string;
  user_email?: string;
  user_role?: string;
  relation_status?: string;
  advertiser_role?: string;
  catalog_role?: string;
}

/** A `/bc/asset/get/` row. */
export interface AssetRow {
  asset_type?: string;
  asset_id?: string;
  asset_name?: string;
  relation_type?: string;
  [roleField: string]: unknown;
}

/** A pending invitation has no user_id: its key is the lower-cased address it went to. */
export function inviteIdOf(email: string): string {
  return email.trim().toLowerCase();
}

export function toMember(row: MemberRow): AppMember {
  return {
    id: String(row.user_id),
    ...(row.user_email ? { email: row.user_email } : {}),
    ...(row.user_name ? { name: row.user_name } : {}),
    role: row.user_role ?? 'STANDARD',
  };
}

/**
 * A row of a listing filtered by `relation_status`: the filter says its state when the row does
 * not (the reference lists the field, but a row may come without it [INF #43]); a row that names
 * another state than the one asked for is not of this listing.
 */
export function ofStatus(row: MemberRow, status: string): MemberRow | undefined {
  if (row.relation_status === undefined || row.relation_status === null || row.relation_status === '') return { ...row, relation_status: status };
  return row.relation_status === status ? row : undefined;
}

/** A row of the PENDING or REJECTED listing (its status from `ofStatus`). */
export function toInvite(row: MemberRow): AppInvite {
  const email = row.user_email ?? '';
  return { id: inviteIdOf(email), email, role: row.user_role ?? 'STANDARD', status: row.relation_status === 'REJECTED' ? 'declined' : 'pending' };
}

export function toAsset(type: TikTokAssetType, row: AssetRow): AppAsset {
  return {
    type,
    id: String(row.asset_id),
    ...(row.asset_name ? { name: row.asset_name } : {}),
    // OWNER_PARTNER: a partner BC shared it with us.
    ownership: row.relation_type === 'OWNER_PARTNER' ? 'client' : 'owned',
  };
}
