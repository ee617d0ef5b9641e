import type { AppPartner, AssetType } from '../../sdk/hub-model.ts';
import { assetId } from './asset.ts';
import { idOf } from './required.ts';

/**
 * Pure mapper for a partner business on the `agencies` / `clients` edges
 * (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business).
 */

interface RawPermission {
  id: string;
  permitted_tasks?: string[];
  access_status?: string;
}

export interface RawPartner {
  id: string;
  name?: string;
  adaccount_permissions?: RawPermission[];
  page_permissions?: RawPermission[];
  productcatalog_permissions?: RawPermission[];
}

const PERMISSION_FIELDS: Array<[keyof RawPartner, AssetType]> = [
  ['adaccount_permissions', 'ad_account'],
  ['page_permissions', 'page'],
  ['productcatalog_permissions', 'catalog'],
];

export function toPartner(raw: RawPartner, relation: 'agency' | 'client'): AppPartner {
  const assets: AppPartner['assets'] = [];
  for (const [field, type] of PERMISSION_FIELDS) {
    const perms = raw[field];
    if (!Array.isArray(perms)) continue;
    for (const p of perms) {
      assets.push({
        type,
        id: assetId(type, idOf(p, `${type} shared with partner ${idOf(raw, 'partner')}`)),
        permittedTasks: (p.permitted_tasks ?? []).map((t) => t.toUpperCase()),
        ...(p.access_status ? { accessStatus: p.access_status } : {}),
      });
    }
  }
  return { businessId: idOf(raw, 'partner'), ...(raw.name ? { name: raw.name } : {}), relation, assets };
}
