import type { AppAsset, AssetAssignment, AssetRef, AssetType } from '../../sdk/hub-model.ts';
import { idOf, listOf } from './required.ts';

/** Pure mappers for assets and who is assigned to them (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users). */

export interface RawAsset {
  id: string;
  account_id?: string;
  name?: string;
  permitted_tasks?: string[];
}

/** Ad account node ids are `act_<account_id>` (https://developers.facebook.com/docs/graph-api/guides/versioning); a bare number is normalised to that. */
export function assetId(type: AssetType, id: string): string {
  return type === 'ad_account' && !id.startsWith('act_') ? `act_${id}` : id;
}

export function toAsset(type: AssetType, raw: RawAsset, ownership: 'owned' | 'client'): AppAsset {
  return {
    type,
    id: assetId(type, idOf(raw, type)),
    ...(raw.name ? { name: raw.name } : {}),
    ownership,
    ...(ownership === 'client' && Array.isArray(raw.permitted_tasks) ? { permittedTasks: raw.permitted_tasks.map((t) => t.toUpperCase()) } : {}),
  };
}

export interface RawAssignedUser {
  id: string;
  name?: string;
  user_type?: string;
  business?: { id?: string };
  tasks?: string[];
}

export function toAssignment(asset: AssetRef, raw: RawAssignedUser, businessId?: string): AssetAssignment {
  const bid = raw.business?.id ?? businessId;
  return {
    asset: { type: asset.type, id: asset.id },
    userId: idOf(raw, `user assigned to ${asset.type} ${asset.id}`),
    ...(raw.name ? { userName: raw.name } : {}),
    // Only BUSINESS_USER and SYSTEM_USER are observed (https://developers.facebook.com/docs/marketing-api/business-manager/system-user/permissions).
    userType: (raw.user_type ?? '').toUpperCase() === 'SYSTEM_USER' ? 'system-user' : 'member',
    ...(bid ? { businessId: String(bid) } : {}),
    tasks: listOf(raw as unknown as Record<string, unknown>, 'tasks', `user assigned to ${asset.type} ${asset.id}:`).map((t) => t.toUpperCase()),
  };
}
