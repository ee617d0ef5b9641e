/**
 * People nodes: BusinessUser (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users), BusinessRoleRequest (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/pending_users), SystemUser (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/system_users) and
 * AssignedUser (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users). Defaults follow the `[default]` marks of https://developers.facebook.com/docs/graph-api/results; where Meta's docs are silent
 * the choice is marked [INF]. Assets are in asset-nodes.ts, partners in partner-nodes.ts.
 */
import { project, value, type FieldGetter, type NodeType, type RenderContext } from './node-fields.ts';
import type { Asset, BusinessUser, Invite, SystemUser } from './model.ts';
import { baseRole } from './world.ts';
import { encodeCursor } from './paging.ts';
import { businessField, time } from './business-node.ts';
import { assetNode } from './asset-nodes.ts';
import { fieldsText } from './field-selection.ts';
import { invalidParameter } from './graph-error.ts';

/** Nested edge expansion (`assigned_ad_accounts{id,tasks}`): one page of 25 (or `.limit(n)`). */
function assignedAssetsField(type: Asset['type'], edge: string): FieldGetter<{ id: string }> {
  return (person, sub, ctx: RenderContext) => {
    const views = ctx.world
      .assignmentsOf(person.id)
      .map((a) => ({ a, asset: ctx.world.assets.get(a.assetId) }))
      .filter((x) => x.asset?.type === type);
    const limit = sub.limit ?? 25;
    const page = views.slice(0, limit);
    const data = page.map((x) => project(assetNode(type), { asset: x.asset!, tasks: x.a.tasks }, sub.children, ctx, `${ctx.world.systemUsers.has(person.id) ? 'SystemUser' : 'BusinessUser'}/${edge}`));
    const out: Record<string, unknown> = { data };
    if (page.length > 0) {
      const after = encodeCursor(page[page.length - 1].a.seq);
      out.paging = { cursors: { before: encodeCursor(page[0].a.seq), after } };
      // `next` keeps the sub-fields asked for, like a top-level edge's next keeps `fields`
      // (https://developers.facebook.com/docs/graph-api/results): following it must not fall back to defaults.
      const fields = sub.children ? `fields=${encodeURIComponent(fieldsText(sub.children))}&` : '';
      if (views.length > limit) (out.paging as Record<string, unknown>).next = `${ctx.edgeUrl(person.id, edge)}?${ctx.linkQuery}${fields}limit=${limit}&after=${after}`;
    }
    return out;
  };
}

/**
 * BusinessUser `business_role_request`, "the invite this user came from": `{id}`, or the fields a
 * nested selection asks for (`business_role_request{id,email}`, https://developers.facebook.com/docs/graph-api/results).
 * An accepted request has left pending_users, so the emulator keeps its id and the email it was
 * sent to only; any other field of it is refused as not emulated (README [INF]).
 */
const acceptedRequestField: FieldGetter<BusinessUser> = (u, sub) => {
  if (!u.requestId) return undefined;
  const known: Record<string, string> = { id: u.requestId, email: u.requestEmail ?? u.email };
  const out: Record<string, unknown> = { id: u.requestId };
  for (const c of sub.children ?? []) {
    if (!(c.name in known)) throw invalidParameter(`meta emulator: field (${c.name}) of an accepted BusinessRoleRequest is not emulated`);
    out[c.name] = known[c.name];
  }
  return out;
};

const personEdges = {
  assigned_ad_accounts: assignedAssetsField('ad_account', 'assigned_ad_accounts'),
  assigned_pages: assignedAssetsField('page', 'assigned_pages'),
  assigned_product_catalogs: assignedAssetsField('catalog', 'assigned_product_catalogs'),
};

export const inviteNode: NodeType<Invite> = {
  name: 'BusinessRoleRequest',
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
  fields: {
    id: value((u) => u.id),
    name: value((u) => u.name),
    business: businessField((u) => u.businessId),
    email: value((u) => u.email),
    first_name: value((u) => u.first_name ?? u.name.split(' ')[0]),
    last_name: value((u) => u.last_name ?? (u.name.split(' ').slice(1).join(' ') || undefined)),
    title: value((u) => u.title),
    pending_email: value((u) => u.pending_email),
    role: value((u) => baseRole(u.role, u.tasks)),
    tasks: value((u) => [...u.tasks]),
    finance_permission: value((u) => u.finance_permission),
    ip_permission: value(() => undefined),
    two_fac_status: value(() => 'tfa_not_enabled'),
    marked_for_removal: value(() => false),
    invited_user_type: value(() => ['FB']),
    business_role_request: acceptedRequestField,
    ...personEdges,
  },
};

export const systemUserNode: NodeType<SystemUser> = {
  name: 'SystemUser',
  fields: {
    id: value((s) => s.id),
    name: value((s) => s.name),
    role: value((s) => s.role),
    created_by: value(() => undefined),
    created_time: value((s) => time(s.created_time)),
    finance_permission: value(() => undefined),
    ip_permission: value(() => undefined),
    business: businessField((s) => s.businessId),
    ...personEdges,
  },
};

/** AssignedUser on `/{asset}/assigned_users` (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users; SPEC `AssignedUser.json`). */
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
  fields: {
    id: value((a) => a.id),
    name: value((a) => a.name),
    business: businessField((a) => a.businessId),
    user_type: value((a) => a.userType),
    tasks: value((a) => [...a.tasks]),
    permitted_tasks: value((a) => [...a.permittedTasks]),
  },
};
