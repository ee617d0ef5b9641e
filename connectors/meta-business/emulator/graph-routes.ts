/**
 * The endpoint table: for each kind of node, its own methods and its edges' methods. A path not
 * listed here is 2500 "Unknown path components"; a method not listed is 100/33 "Unsupported …
 * request" (https://developers.facebook.com/docs/graph-api/guides/field-expansion, https://developers.facebook.com/docs/graph-api/guides/error-handling).
 */
import { project } from './node-fields.ts';
import { systemUserNode } from './graph-nodes.ts';
import { businessNode } from './business-node.ts';
import { getBusinessUser, inviteBusinessUser, listBusinessUsers, removeBusinessUser, updateBusinessUser } from './business-users.ts';
import { cancelInvite, getInvite, listPendingUsers, updateInvite } from './invites.ts';
import { clientAssets, listSystemUsers, ownedAssets } from './business-assets.ts';
import { assignedAssets } from './person-assets.ts';
import { assignUser, getAsset, listAssignedUsers, unassignUser } from './asset-users.ts';
import { listAgencies, listAssetAgencies, listClients, listPixelAgencies, removeAgency, removeClient, shareAsset, unshareAsset } from './partners.ts';
import { requireVisible } from './access.ts';
import type { GraphContext, GraphMethod } from './graph-context.ts';
import type { Asset, Business, BusinessUser, Invite, SystemUser } from './model.ts';

type Handler<T> = (ctx: GraphContext, entity: T) => unknown;
type Methods<T> = Partial<Record<GraphMethod, Handler<T>>>;
interface NodeRoutes<T> {
  node: Methods<T>;
  edges: Record<string, Methods<T>>;
}

const personEdges = {
  assigned_ad_accounts: { GET: assignedAssets('ad_account', 'assigned_ad_accounts') },
  assigned_pages: { GET: assignedAssets('page', 'assigned_pages') },
  assigned_product_catalogs: { GET: assignedAssets('catalog', 'assigned_product_catalogs') },
};

const business: NodeRoutes<Business> = {
  // Any valid token may read a business's id and name; its edges are scoped (access.ts).
  node: { GET: (ctx, b) => project(businessNode, b, ctx.fields, ctx.render) },
  edges: {
    business_users: { GET: listBusinessUsers, POST: inviteBusinessUser },
    pending_users: { GET: listPendingUsers },
    system_users: { GET: listSystemUsers },
    owned_ad_accounts: { GET: ownedAssets('ad_account', 'owned_ad_accounts') },
    client_ad_accounts: { GET: clientAssets('ad_account', 'client_ad_accounts') },
    owned_pages: { GET: ownedAssets('page', 'owned_pages') },
    client_pages: { GET: clientAssets('page', 'client_pages') },
    owned_product_catalogs: { GET: ownedAssets('catalog', 'owned_product_catalogs') },
    client_product_catalogs: { GET: clientAssets('catalog', 'client_product_catalogs') },
    owned_pixels: { GET: ownedAssets('pixel', 'owned_pixels') },
    adspixels: { GET: ownedAssets('pixel', 'adspixels') },
    client_pixels: { GET: clientAssets('pixel', 'client_pixels') },
    agencies: { GET: listAgencies, DELETE: removeAgency },
    clients: { GET: listClients, DELETE: removeClient },
  },
};

const businessUser: NodeRoutes<BusinessUser> = {
  node: { GET: getBusinessUser, POST: updateBusinessUser, DELETE: removeBusinessUser },
  edges: personEdges,
};

const invite: NodeRoutes<Invite> = {
  node: { GET: getInvite, POST: updateInvite, DELETE: cancelInvite },
  edges: {},
};

const systemUser: NodeRoutes<SystemUser> = {
  node: {
    GET: (ctx, s) => {
      requireVisible(ctx, s.businessId, s.id);
      return project(systemUserNode, s, ctx.fields, ctx.render);
    },
  },
  edges: personEdges,
};

const asset: NodeRoutes<Asset> = {
  node: { GET: getAsset },
  edges: {
    assigned_users: { GET: listAssignedUsers, POST: assignUser, DELETE: unassignUser },
    agencies: { GET: listAssetAgencies, POST: shareAsset, DELETE: unshareAsset },
    shared_agencies: { GET: listPixelAgencies },
  },
};

export const NODE_ROUTES = { business, business_user: businessUser, invite, system_user: systemUser, asset };
