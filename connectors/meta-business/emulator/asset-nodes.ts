/**
 * Asset nodes (AdAccount, Page, ProductCatalog, AdsPixel) with the minimal shapes of https://github.com/facebook/facebook-business-sdk-codegen/blob/ad2b0b6fdfbe4d73ed0754cb4562ef20b72b40d4/api_specs/specs/Business.json
 * and the edge fields `tasks` / `permitted_tasks`. Defaults [INF]: ad accounts `account_id,id`
 * (as `/me/adaccounts` answers), the others `id,name`.
 */
import { value, type FieldGetter, type NodeType } from './node-fields.ts';
import { businessField, time } from './business-node.ts';
import type { Asset } from './model.ts';

/** An asset as seen on an edge: with the edge fields `tasks` / `permitted_tasks` when they apply. */
export interface AssetView {
  asset: Asset;
  tasks?: string[];
  permittedTasks?: string[];
}

const assetCommon: Record<string, FieldGetter<AssetView>> = {
  id: value((v) => v.asset.id),
  name: value((v) => v.asset.name),
  tasks: value((v) => (v.tasks ? [...v.tasks] : undefined)),
  permitted_tasks: value((v) => (v.permittedTasks ? [...v.permittedTasks] : undefined)),
};

const assetNodes: Record<Asset['type'], NodeType<AssetView>> = {
  ad_account: {
    name: 'AdAccount',
    fields: {
      ...assetCommon,
      account_id: value((v) => v.asset.id.replace(/^act_/, '')),
      account_status: value(() => 1),
      currency: value(() => 'USD'),
      timezone_id: value(() => 1),
      timezone_name: value(() => 'America/Los_Angeles'),
      business: businessField((v) => v.asset.ownerBusinessId),
      owner: value((v) => v.asset.ownerBusinessId),
      user_tasks: value((v) => (v.tasks ? [...v.tasks] : undefined)),
      disable_reason: value(() => 0),
      amount_spent: value(() => '0'),
      spend_cap: value(() => '0'),
      created_time: value((v) => time(v.asset.created_time)),
    },
  },
  page: {
    name: 'Page',
    fields: {
      ...assetCommon,
      category: value(() => 'Brand'),
      business: businessField((v) => v.asset.ownerBusinessId),
      link: value((v) => `https://www.facebook.com/${v.asset.id}`),
      username: value(() => undefined),
      is_published: value(() => true),
      verification_status: value(() => 'not_verified'),
      fan_count: value(() => 0),
    },
  },
  catalog: {
    name: 'ProductCatalog',
    fields: {
      ...assetCommon,
      business: businessField((v) => v.asset.ownerBusinessId),
      vertical: value(() => 'commerce'),
      product_count: value(() => 0),
    },
  },
  pixel: {
    name: 'AdsPixel',
    // No edge lists a pixel with `tasks` (people are listed on /{pixel}/assigned_users instead).
    fields: {
      id: assetCommon.id,
      name: assetCommon.name,
      permitted_tasks: assetCommon.permitted_tasks,
      creation_time: value((v) => time(v.asset.created_time)),
      last_fired_time: value(() => undefined),
      owner_business: businessField((v) => v.asset.ownerBusinessId),
      owner_ad_account: value(() => undefined),
      is_unavailable: value(() => false),
      is_created_by_business: value(() => true),
      data_use_setting: value(() => 'ADVERTISING_AND_ANALYTICS'),
    },
  },
};

export function assetNode(type: Asset['type']): NodeType<AssetView> {
  return assetNodes[type];
}
