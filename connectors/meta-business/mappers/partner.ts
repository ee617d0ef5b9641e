import type { AppPartner, AssetType } from '../../sdk/hub-model.ts';
import { assetId } from './asset.ts';
import { idOf, listOf } from './required.ts';

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

export const PERMISSION_FIELDS: Array<[keyof RawPartner, AssetType]> = [
  ['adaccount_permissions', 'ad_account'],
  ['page_permissions', 'page'],
  ['productcatalog_permissions', 'catalog'],
];

/**
 * `unshown`, given: the kinds whose permission list the row does not carry. The lists are default
 * edge fields, asked for by name, and Meta says nothing of a row without one: an empty list left
 * out, or one not shown. Such a kind is not "no share of that kind": it is added to `unshown` for
 * the caller to settle on each asset (read/partners.ts), and its shares are not listed here. A
 * permission object without its `id` or `permitted_tasks` cannot show the share: the read fails
 * (required.ts). README [INF].
 */
export function toPartner(raw: RawPartner, relation: 'agency' | 'client', unshown?: Set<AssetType>): AppPartner {
  const assets: AppPartner['assets'] = [];
  for (const [field, type] of PERMISSION_FIELDS) {
    const perms = raw[field];
    if (!Array.isArray(perms)) {
      unshown?.add(type);
      continue;
    }
    for (const p of perms) {
      const whose = `${type} shared with partner ${idOf(raw, 'partner')}`;
      assets.push({
        type,
        id: assetId(type, idOf(p, whose)),
        permittedTasks: listOf(p as unknown as Record<string, unknown>, 'permitted_tasks', `${whose}:`).map((t) => t.toUpperCase()),
        ...(p.access_status ? { accessStatus: p.access_status } : {}),
      });
    }
  }
  return { businessId: idOf(raw, 'partner'), ...(raw.name ? { name: raw.name } : {}), relation, assets };
}
