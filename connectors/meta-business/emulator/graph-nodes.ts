/**
 * The node types the emulator serves and their fields, from reference §2.1 (BusinessUser), §3.1
 * (BusinessRoleRequest), §5.1 (SystemUser), §6 (asset shapes), §7.1 (AssignedUser) and §8
 * (partners). Defaults follow the `[default]` marks of §1.4; where the reference is silent the
 * choice is marked [INF].
 */
import { project, value, type FieldGetter, type NodeType, type RenderContext } from './node-fields.ts';
import { graphTime, type Asset, type Business, type BusinessUser, type Invite, type Share, type SystemUser } from './model.ts';
import { baseRole } from './world.ts';
import { encodeCursor } from './paging.ts';

const time = (ms: number | undefined) => (ms === undefined ? undefined : graphTime(ms));

export const businessNode: NodeType<Business> = {
  name: 'Business',
  defaults: ['id', 'name'],
  fields: {
    id: value((b) => b.id),
    name: value((b) => b.name),
    two_factor_type: value((b) => b.two_factor_type),
    vertical: value((b) => b.vertical),
    created_time: value((b) => time(b.created_time)),
    verification_status: value(() => 'not_verified'),
  },
};

function businessField<T>(pickId: (e: T) => string): FieldGetter<T> {
  return (entity, sub, ctx) => {
    const b = ctx.world.businesses.get(pickId(entity));
    return b ? project(businessNode, b, sub.children, ctx) : { id: pickId(entity) };
  };
}

/** An asset as seen on an edge: with the edge fields `tasks` / `permitted_tasks` when they apply. */
export interface AssetView {
  asset: Asset;
  tasks?: string[];
  permittedTasks?: string[];
}

/** Nested edge expansion (`assigned_ad_accounts{id,tasks}`): one page of 25 (or `.limit(n)`). */
function assignedAssetsField(type: Asset['type'], edge: string): FieldGetter<{ id: string }> {
  return (person, sub, ctx: RenderContext) => {
    const views = ctx.world
      .assignmentsOf(person.id)
      .map((a) => ({ a, asset: ctx.world.assets.get(a.assetId) }))
      .filter((x) => x.asset?.type === type);
    const limit = sub.limit ?? 25;
    const page = views.slice(0, limit);
    const data = page.map((x) => project(assetNode(type), { asset: x.asset!, tasks: x.a.tasks }, sub.children, ctx, assetDefaults(type, 'assigned')));
    const out: Record<string, unknown> = { data };
    if (page.length > 0) {
      const after = encodeCursor(page[page.length - 1].a.seq);
      out.paging = { cursors: { before: encodeCursor(page[0].a.seq), after } };
      if (views.length > limit) (out.paging as Record<string, unknown>).next = `${ctx.edgeUrl(person.id, edge)}?${ctx.linkQuery}limit=${limit}&after=${after}`;
    }
    return out;
  };
}

const personEdges = {
  assigned_ad_accounts: assignedAssetsField('ad_account', 'assigned_ad_accounts'),
  assigned_pages: assignedAssetsField('page', 'assigned_pages'),
  assigned_product_catalogs: assignedAssetsField('catalog', 'assigned_product_catalogs'),
};

export const inviteNode: NodeType<Invite> = {
  name: 'BusinessRoleRequest',
  defaults: ['id', 'email', 'role', 'status'],
  fields: {
    id: value((i) => i.id),
    email: value((i) => i.email),
    role: value((i) => i.role),
    status: (i, _sub, ctx) => ctx.world.inviteStatus(i),
    tasks: value((i) => [...i.tasks]),
    created_by: (i, _sub, ctx) => (i.createdBy ? { id: i.createdBy, name: ctx.world.person(i.createdBy)?.name } : undefined),
    updated_by: (i, _sub, ctx) => (i.createdBy ? { id: i.createdBy, name: ctx.world.person(i.createdBy)?.name } : undefined),
    created_time: value((i) => time(i.created_time)),
    updated_time: value((i) => time(i.updated_time)),
    expiration_time: value((i) => time(i.expiration_time)),
    expiry_time: value((i) => time(i.expiration_time)),
    finance_role: value(() => undefined),
    ip_role: value(() => undefined),
    invite_link: value((i) => `https://business.facebook.com/invitation/?token=emulated-${i.id}`),
    invited_user_type: value((i) => [...i.invited_user_type]),
    owner: businessField((i) => i.businessId),
  },
};

export const businessUserNode: NodeType<BusinessUser> = {
  name: 'BusinessUser',
  defaults: ['id', 'name', 'business'],
  fields: {
    id: value((u) => u.id),
    name: value((u) => u.name),
    business: businessField((u) => u.businessId),
    email: value((u) => u.email),
    first_name: value((u) => u.first_name ?? u.name.split(' ')[0]),
    last_name: value((u) => u.last_name ?? (u.name.split(' ').slice(1).join(' ') || undefined)),
    title: value((u) => u.title),
    pending_email: value(() => undefined),
    role: value((u) => baseRole(u.role, u.tasks)),
    tasks: value((u) => [...u.tasks]),
    finance_permission: value((u) => u.finance_permission),
    ip_permission: value(() => undefined),
    two_fac_status: value(() => 'tfa_not_enabled'),
    marked_for_removal: value(() => false),
    invited_user_type: value(() => ['FB']),
    business_role_request: value((u) => (u.requestId ? { id: u.requestId } : undefined)),
    ...personEdges,
  },
};

export const systemUserNode: NodeType<SystemUser> = {
  name: 'SystemUser',
  defaults: ['id', 'name'],
  fields: {
    id: value((s) => s.id),
    name: value((s) => s.name),
    role: value((s) => s.role),
    created_by: value(() => undefined),
    created_time: value((s) => time(s.created_time)),
    finance_permission: value(() => undefined),
    ip_permission: value(() => undefined),
    ...personEdges,
  },
};

/** AssignedUser on `/{asset}/assigned_users` (reference §7.1; SPEC `AssignedUser.json`). */
export interface AssignedUserView {
  id: string;
  name: string;
  businessId: string;
  userType: 'BUSINESS_USER' | 'SYSTEM_USER';
  tasks: string[];
  permittedTasks: string[];
}

export const assignedUserNode: NodeType<AssignedUserView> = {
  name: 'AssignedUser',
  // [INF] edge field `tasks` is default (§1.4); id and name come with every Graph node listing.
  defaults: ['id', 'name', 'tasks'],
  fields: {
    id: value((a) => a.id),
    name: value((a) => a.name),
    business: businessField((a) => a.businessId),
    user_type: value((a) => a.userType),
    tasks: value((a) => [...a.tasks]),
    permitted_tasks: value((a) => [...a.permittedTasks]),
  },
};

const assetCommon: Record<string, FieldGetter<AssetView>> = {
  id: value((v) => v.asset.id),
  name: value((v) => v.asset.name),
  tasks: value((v) => (v.tasks ? [...v.tasks] : undefined)),
  permitted_tasks: value((v) => (v.permittedTasks ? [...v.permittedTasks] : undefined)),
};

const assetNodes: Record<Asset['type'], NodeType<AssetView>> = {
  ad_account: {
    name: 'AdAccount',
    defaults: ['account_id', 'id'],
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
    defaults: ['id', 'name'],
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
    defaults: ['id', 'name'],
    fields: {
      ...assetCommon,
      business: businessField((v) => v.asset.ownerBusinessId),
      vertical: value(() => 'commerce'),
      product_count: value(() => 0),
    },
  },
  pixel: {
    name: 'AdsPixel',
    defaults: ['id', 'name'],
    fields: {
      ...assetCommon,
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

/** On `assigned_*` edges the edge field `tasks` is default (reference §2.3). */
export function assetDefaults(type: Asset['type'], edge: 'owned' | 'client' | 'assigned'): string[] {
  const base = assetNodes[type].defaults;
  return edge === 'assigned' ? [...base, 'tasks'] : base;
}

/** A permission object on `agencies`/`clients` (reference §8.1). */
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
  defaults: ['id', 'name', 'adaccount_permissions', 'page_permissions', 'productcatalog_permissions', 'application_permissions'],
  fields: {
    id: value((v) => v.business.id),
    name: value((v) => v.business.name),
    two_factor_type: value((v) => v.business.two_factor_type),
    vertical: value((v) => v.business.vertical),
    adaccount_permissions: permissionsOf('ad_account'),
    page_permissions: permissionsOf('page'),
    productcatalog_permissions: permissionsOf('catalog'),
    pixel_permissions: permissionsOf('pixel'),
    application_permissions: value(() => undefined),
    shared_ca_count: value(() => 0),
  },
};

/** A partner on `/{asset}/agencies` with the share's edge fields (reference §8.3). */
export const assetAgencyNode: NodeType<{ business: Business; share: Share }> = {
  name: 'Business',
  defaults: ['id', 'name', 'access_requested_time', 'access_status', 'access_updated_time', 'permitted_tasks'],
  fields: {
    id: value((v) => v.business.id),
    name: value((v) => v.business.name),
    access_requested_time: value((v) => graphTime(v.share.access_requested_time)),
    access_status: value((v) => v.share.accessStatus),
    access_updated_time: value((v) => graphTime(v.share.access_updated_time)),
    permitted_tasks: value((v) => [...v.share.permittedTasks]),
  },
};
