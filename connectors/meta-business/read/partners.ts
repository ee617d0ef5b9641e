import { ConnectorError } from '../../sdk/connector-error.ts';
import type { AppPartner, AssetRef, AssetType, Page, PartnerUser } from '../../sdk/hub-model.ts';
import { toAsset, type RawAsset } from '../mappers/asset.ts';
import { toPartner, type RawPartner } from '../mappers/partner.ts';
import { PAGE_LIMIT, what, type MetaContext } from '../meta-context.ts';
import { BATCH_LIMIT, type GraphClient } from '../graph-client.ts';
import { readAssignments } from './assignments.ts';
import type { PartnerUsersOptions } from '../../sdk/capabilities.ts';

/**
 * Partner businesses: `agencies` (we shared with them) then `clients` (they shared with us), with
 * the permission lists those edges have (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business;
 * emulator/graph-fields.json). There is no pixel list there: pixels name their partners on
 * `/{pixel}/shared_agencies`.
 */
export const PARTNER_FIELDS = 'id,name,adaccount_permissions,page_permissions,productcatalog_permissions';

interface PartnerCursor {
  edge: 'agencies' | 'clients';
  graph?: string;
}

export async function listPartners(ctx: MetaContext, cursor?: string): Promise<Page<AppPartner>> {
  let at: PartnerCursor = { edge: 'agencies' };
  if (cursor) {
    let parsed: PartnerCursor | undefined;
    try {
      parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as PartnerCursor;
    } catch { /* reported below */ }
    if (parsed?.edge !== 'agencies' && parsed?.edge !== 'clients') {
      throw new ConnectorError('invalid-argument', what('list partners: the paging cursor is not one this connector issued'), { field: 'cursor' });
    }
    at = parsed;
  }
  const page = await ctx.graph.page<RawPartner>(`${ctx.businessId}/${at.edge}`, { fields: PARTNER_FIELDS, limit: PAGE_LIMIT.partners }, at.graph, {
    what: what(`list ${at.edge} of business ${ctx.businessId}`), businessId: ctx.businessId,
  });
  const items = page.data.map((raw) => toPartner(raw, at.edge === 'agencies' ? 'agency' : 'client'));
  const enc = (c: PartnerCursor) => Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
  if (page.next) return { items, next: enc({ edge: at.edge, graph: page.next }) };
  if (at.edge === 'agencies') return { items, next: enc({ edge: 'clients' }) };
  return { items };
}

const CLIENT_EDGES: Array<[AssetType, string, string]> = [
  ['ad_account', 'client_ad_accounts', 'business'],
  ['page', 'client_pages', 'business'],
  ['catalog', 'client_product_catalogs', 'business'],
  ['pixel', 'client_pixels', 'owner_business'],
];

/** Every page of a partner's client edge (the partner's token; https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business step 1), our assets only. */
async function ourAssetsSharedWith(graph: GraphClient, ctx: MetaContext, partnerId: string): Promise<AssetRef[]> {
  const lists = await Promise.all(CLIENT_EDGES.map(async ([type, edge, ownerField]) => {
    const refs: AssetRef[] = [];
    let cursor: string | undefined;
    do {
      const page = await graph.page<RawAsset & Record<string, { id?: string } | undefined>>(
        `${partnerId}/${edge}`, { fields: `id,name,${ownerField}`, limit: PAGE_LIMIT.list }, cursor,
        { what: what(`list ${edge} of partner ${partnerId}`), businessId: partnerId },
      );
      for (const raw of page.data) {
        if (raw[ownerField]?.id === ctx.businessId) refs.push(toAsset(type, raw, 'client'));
      }
      cursor = page.next;
    } while (cursor);
    return refs.map(({ type: t, id }) => ({ type: t, id }));
  }));
  return lists.flat();
}

/**
 * A native partner's own people on our shared assets (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business): with the partner's token,
 * its client assets that we own, then `assigned_users?business=<partner>` on each, batched.
 *
 * The partner's token may lack what one asset type needs (a Page's `assigned_users` needs
 * `pages_manage_metadata`, https://developers.facebook.com/docs/graph-api/reference/page/assigned_users).
 * With `onUnreadableAssetType`, such a type is reported there and left out entirely (none of its
 * assignments returned, so the caller keeps what it knew of it instead of reading "nobody holds
 * it"); the other types are still returned. Without it, or if no type could be read, it throws.
 */
export async function listPartnerUsers(ctx: MetaContext, partnerBusinessId: string, options: PartnerUsersOptions = {}): Promise<PartnerUser[]> {
  const graph = ctx.partnerGraph(partnerBusinessId);
  if (!graph) {
    throw new ConnectorError('permission-denied', what(`list people of partner ${partnerBusinessId}: no token configured for this partner (hubs[].partners[].token)`));
  }
  const assets = await ourAssetsSharedWith(graph, ctx, partnerBusinessId);
  const denied = new Map<AssetType, ConnectorError>();
  const onDenied = options.onUnreadableAssetType
    ? (asset: AssetRef, err: ConnectorError) => { if (!denied.has(asset.type)) denied.set(asset.type, err); }
    : undefined;
  // An asset the partner's client edge has just listed whose people Graph answers as a missing
  // object (100/33, which also says "cannot be loaded due to missing permissions",
  // https://developers.facebook.com/docs/graph-api/guides/error-handling) is unread, like a refused
  // one: never "none of the partner's people on it", which would pass for a complete listing.
  const onMissing = (asset: AssetRef) => {
    const err = new ConnectorError('unavailable', what(`read partner ${partnerBusinessId} people on ${asset.type} ${asset.id}: Graph answers them as a missing object (100/33: gone, or not loadable with the partner's token) though the partner's ${CLIENT_EDGES.find(([t]) => t === asset.type)?.[1] ?? 'client'} listing has it`), { providerCode: '100/33' });
    if (!onDenied) throw err;
    onDenied(asset, err);
  };
  const chunks: AssetRef[][] = [];
  for (let i = 0; i < assets.length; i += BATCH_LIMIT) chunks.push(assets.slice(i, i + BATCH_LIMIT));
  const assignments = (await Promise.all(chunks.map((chunk) =>
    readAssignments(graph, chunk, partnerBusinessId, what(`read partner ${partnerBusinessId} assignments on ${chunk.length} assets`), onMissing, onDenied),
  ))).flat();
  const readable = new Set(assets.map((a) => a.type).filter((t) => !denied.has(t)));
  if (denied.size > 0 && readable.size === 0) throw denied.values().next().value!;
  for (const [type, err] of denied) options.onUnreadableAssetType!(type, err.message);
  const byUser = new Map<string, PartnerUser>();
  for (const a of assignments) {
    if (denied.has(a.asset.type)) continue; // part of a type read incompletely: reported unread instead
    let user = byUser.get(a.userId);
    if (!user) {
      user = { partnerBusinessId, userId: a.userId, ...(a.userName ? { name: a.userName } : {}), userType: a.userType, assignments: [] };
      byUser.set(a.userId, user);
    }
    user.assignments.push({ asset: a.asset, tasks: a.tasks });
  }
  return [...byUser.values()];
}
