/** Partner views: businesses on `agencies` / `clients` with permission objects (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business). */
import { value, type FieldGetter, type NodeType } from './node-fields.ts';
import { graphTime, type Asset, type Business, type Share } from './model.ts';
import { businessNode } from './business-node.ts';

/** The Business node's own fields (graph-fields.json), for a partner read on an edge. */
function businessFields<V extends { business: Business }>(): Record<string, FieldGetter<V>> {
  return Object.fromEntries(Object.entries(businessNode.fields).map(([name, get]) => [name, (v: V, sub, ctx) => get(v.business, sub, ctx)]));
}

/** A permission object on `agencies`/`clients` (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business). */
export function permissionObject(share: Share): Record<string, unknown> {
  return {
    id: share.assetId,
    permitted_tasks: [...share.permittedTasks],
    access_status: share.accessStatus,
    access_requested_time: graphTime(share.access_requested_time),
    access_updated_time: graphTime(share.access_updated_time),
  };
}

/** A partner business on `/{business}/agencies` or `/clients`, with its permission objects. */
export interface PartnerView {
  business: Business;
  shares: Array<{ share: Share; type: Asset['type'] }>;
}

const permissionsOf = (kind: Asset['type']): FieldGetter<PartnerView> => (v) => {
  const list = v.shares.filter((s) => s.type === kind).map((s) => permissionObject(s.share));
  return list.length > 0 ? list : undefined;
};

export const partnerNode: NodeType<PartnerView> = {
  name: 'Business',
  fields: {
    ...businessFields<PartnerView>(),
    adaccount_permissions: permissionsOf('ad_account'),
    page_permissions: permissionsOf('page'),
    productcatalog_permissions: permissionsOf('catalog'),
    application_permissions: value(() => undefined),
    shared_ca_count: value(() => 0),
  },
};

/** A partner on `/{asset}/agencies` with the share's edge fields (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business). */
export const assetAgencyNode: NodeType<{ business: Business; share: Share }> = {
  name: 'Business',
  fields: {
    ...businessFields<{ business: Business; share: Share }>(),
    access_requested_time: value((v) => graphTime(v.share.access_requested_time)),
    access_status: value((v) => v.share.accessStatus),
    access_updated_time: value((v) => graphTime(v.share.access_updated_time)),
    permitted_tasks: value((v) => [...v.share.permittedTasks]),
  },
};

