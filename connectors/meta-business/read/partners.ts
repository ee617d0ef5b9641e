import { ConnectorError } from '../../sdk/connector-error.ts';
import type { AppPartner, AssetRef, AssetType, Page, PartnerUser } from '../../sdk/hub-model.ts';
import { toAsset, type RawAsset } from '../mappers/asset.ts';
import { toPartner, type RawPartner } from '../mappers/partner.ts';
import { PAGE_LIMIT, what, type MetaContext } from '../meta-context.ts';
import { BATCH_LIMIT, type GraphClient } from '../graph-client.ts';
import { readAssignments } from './assignments.ts';
import { readAssetPartners, readPixelPartners, type PixelPartners } from './pixel-partners.ts';
import { listOf } from '../mappers/required.ts';
import { PageTrail } from '../graph-cursor.ts';
import type { PartnerUsersOptions } from '../../sdk/capabilities.ts';

/**
 * Partner businesses: `agencies` (we shared with them) then `clients` (they shared with us), with
 * the permission lists those edges have (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business;
 * emulator/graph-fields.json). There is no pixel list there: pixels name their partners on
 * `/{pixel}/shared_agencies` (read/pixel-partners.ts), merged into the agencies.
 */
export const PARTNER_FIELDS = 'id,name,adaccount_permissions,page_permissions,productcatalog_permissions';

/** Only the `clients` part is paged through the caller: the agencies come whole on the first page. */
interface PartnerCursor {
  edge: 'clients';
  graph?: string;
}

/**
 * The first page is every agency, each with the business's pixels it may use; then the clients,
 * one Graph page at a time. The agencies are read whole because their pixel shares come from
 * each pixel, not from the partner: merged page by page, a partner on a later agencies page, or
 * one that has only pixels, would be listed twice or lose them. A partner on a pixel's
 * `shared_agencies` that `agencies` does not list (Meta does not say whether a pixel-only
 * partner is on `agencies`; README [INF]) is listed as an agency with its pixels.
 */
export async function listPartners(ctx: MetaContext, cursor?: string): Promise<Page<AppPartner>> {
  const enc = (c: PartnerCursor) => Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
  if (!cursor) return { items: await listAgencies(ctx), next: enc({ edge: 'clients' }) };
  let at: PartnerCursor | undefined;
  try {
    at = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as PartnerCursor;
  } catch { /* reported below */ }
  if (at?.edge !== 'clients') {
    throw new ConnectorError('invalid-argument', what('list partners: the paging cursor is not one this connector issued'), { field: 'cursor' });
  }
  const page = await ctx.graph.page<RawPartner>(`${ctx.businessId}/clients`, { fields: PARTNER_FIELDS, limit: PAGE_LIMIT.partners }, at.graph, {
    what: what(`list clients of business ${ctx.businessId}`), businessId: ctx.businessId,
  });
  const unshown = new Map<string, Set<AssetType>>();
  const items = page.data.map((raw) => toPartner(raw, 'client', kindsOf(unshown, raw)));
  await settleUnshown(items, unshown, (type) => clientShares(ctx, type));
  return page.next ? { items, next: enc({ edge: 'clients', graph: page.next }) } : { items };
}

async function listAgencies(ctx: MetaContext): Promise<AppPartner[]> {
  const unshown = new Map<string, Set<AssetType>>();
  const everyAgency = async () => {
    const out: AppPartner[] = [];
    const trail = new PageTrail();
    let graphCursor: string | undefined;
    do {
      const page = await ctx.graph.page<RawPartner>(`${ctx.businessId}/agencies`, { fields: PARTNER_FIELDS, limit: PAGE_LIMIT.partners }, graphCursor, {
        what: what(`list agencies of business ${ctx.businessId}`), businessId: ctx.businessId,
      });
      for (const raw of page.data) out.push(toPartner(raw, 'agency', kindsOf(unshown, raw)));
      graphCursor = page.next && trail.follow('agencies', page.next, what(`list agencies of business ${ctx.businessId}`));
    } while (graphCursor);
    return out;
  };
  const [agencies, pixels] = await Promise.all([everyAgency(), readPixelPartners(ctx)]);
  const byId = new Map(agencies.map((p) => [p.businessId, p]));
  for (const [businessId, shared] of pixels) {
    const known = byId.get(businessId);
    if (!known) {
      const partner: AppPartner = { businessId, ...(shared.name ? { name: shared.name } : {}), relation: 'agency', assets: [...shared.assets] };
      agencies.push(partner);
      byId.set(businessId, partner);
      continue;
    }
    for (const asset of shared.assets) if (!known.assets.some((a) => a.type === asset.type && a.id === asset.id)) known.assets.push(asset);
  }
  await settleUnshown(agencies, unshown, (type) => readAssetPartners(ctx, type));
  return agencies;
}

/** The set `toPartner` fills with the kinds a partner row does not show, kept by the row's id. */
function kindsOf(unshown: Map<string, Set<AssetType>>, raw: RawPartner): Set<AssetType> {
  const id = (raw as { id?: unknown }).id;
  const kinds = new Set<AssetType>();
  // toPartner fails on a row without its id (required.ts); this key is only read once it has one.
  unshown.set(String(typeof id === 'string' ? id.trim() : id), kinds);
  return kinds;
}

/**
 * The shares a partner row could not show (no permission list of that kind: left out as empty, or
 * not shown; Meta does not say), read where each share is documented from the other side: an
 * agency's on each of our assets of that kind (`GET /{asset}/agencies`), a client's on our
 * `client_*` edge by owner. Never "no share of that kind" from the row alone; any failure of that
 * read throws, so the listing fails and the agent keeps the shares it knew (README [INF];
 * docs/architecture.md, "Gone" only from what the documents guarantee). Except an agency's catalogs
 * on a Graph that refuses every `GET /{catalog}/agencies` as unsupported (the B2B guide documents
 * only POST and DELETE there): read as no catalog share, with a warning, since nothing in the agent
 * decides a removal from partner shares (reported only; read/pixel-partners.ts `readAssetPartners`).
 */
async function settleUnshown(partners: AppPartner[], unshown: Map<string, Set<AssetType>>, read: (type: AssetType) => Promise<PixelPartners>): Promise<void> {
  const types = [...new Set([...unshown.values()].flatMap((kinds) => [...kinds]))];
  if (types.length === 0) return;
  const byType = new Map(await Promise.all(types.map(async (type) => [type, await read(type)] as const)));
  for (const partner of partners) {
    for (const type of unshown.get(partner.businessId) ?? []) {
      for (const asset of byType.get(type)?.get(partner.businessId)?.assets ?? []) {
        if (!partner.assets.some((a) => a.type === asset.type && a.id === asset.id)) partner.assets.push(asset);
      }
    }
  }
}

/**
 * Each client edge and the field that names the business owning its assets: `business` {id,name}
 * on an ad account, Page or catalog, `owner_business` on a pixel (AdsPixel has no `business`:
 * the fields of each node type, emulator/graph-fields.json, from Meta's API spec).
 */
const CLIENT_EDGES: Array<[AssetType, string, string]> = [
  ['ad_account', 'client_ad_accounts', 'business'],
  ['page', 'client_pages', 'business'],
  ['catalog', 'client_product_catalogs', 'business'],
  ['pixel', 'client_pixels', 'owner_business'],
];

/** The client edge of `type` and its owner field (CLIENT_EDGES). */
function clientEdge(type: AssetType): { edge: string; ownerField: string } {
  const found = CLIENT_EDGES.find(([t]) => t === type);
  if (!found) throw new ConnectorError('internal', what(`no client edge for asset type ${type}`));
  return { edge: found[1], ownerField: found[2] };
}

/**
 * Our `client_*` assets of `type` (shared with us), by the business that owns them (the edge's
 * owner field, CLIENT_EDGES), with the tasks we were given. The `clients` rows carry no pixel
 * list, so only the ad account, Page and catalog kinds reach here from the partner listing; a
 * pixel is asked with `owner_business` all the same, never a `business` its node does not have.
 */
export async function clientShares(ctx: MetaContext, type: AssetType): Promise<PixelPartners> {
  const { edge, ownerField } = clientEdge(type);
  const why = what(`list ${edge} of business ${ctx.businessId} (a client's row without its ${type} permissions)`);
  const out: PixelPartners = new Map();
  const trail = new PageTrail();
  let cursor: string | undefined;
  do {
    const page = await ctx.graph.page<RawAsset & Record<string, unknown>>(`${ctx.businessId}/${edge}`, { fields: `id,permitted_tasks,${ownerField}`, limit: PAGE_LIMIT.list }, cursor, {
      what: why, businessId: ctx.businessId,
    });
    for (const raw of page.data) {
      const owner = ownerOf(raw, ownerField, `${edge} of business ${ctx.businessId}`);
      const { id } = toAsset(type, raw, 'client');
      const tasks = listOf(raw, 'permitted_tasks', `${edge} of business ${ctx.businessId}:`).map((t) => t.toUpperCase());
      let shares = out.get(owner);
      if (!shares) out.set(owner, (shares = { assets: [] }));
      shares.assets.push({ type, id, permittedTasks: tasks });
    }
    cursor = page.next && trail.follow(edge, page.next, why);
  } while (cursor);
  return out;
}

/**
 * The business that owns a partner's client asset, as the row names it (`business` {id,name} on an
 * ad account, Page or catalog, `owner_business` on a pixel: their reference pages). Asked for by
 * name but no default field, and the id may come as a number: compared as its digits. A row
 * without it cannot be told ours or not; dropped as "not ours", the partner's people on one of our
 * assets read as gone from it. So the read fails as `unavailable` (README [INF]), like a row
 * without a default field (mappers/required.ts).
 */
function ownerOf(raw: Record<string, unknown>, field: string, whose: string): string {
  const owner = raw[field] as { id?: unknown } | undefined;
  const id = owner && typeof owner === 'object' ? owner.id : undefined;
  if (typeof id === 'string' && id.trim() !== '') return id.trim();
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return String(id);
  throw new ConnectorError('unavailable', what(`${whose}: Graph answered asset ${String(raw.id ?? '(no id)')} without its ${field} (asked for by name); whether it is ours is not known, so nothing is decided from this answer`), {
    providerCode: 'field-missing',
  });
}

/** Every page of a partner's client edge (the partner's token; https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business step 1), our assets only. */
async function ourAssetsSharedWith(graph: GraphClient, ctx: MetaContext, partnerId: string): Promise<AssetRef[]> {
  const lists = await Promise.all(CLIENT_EDGES.map(async ([type, edge, ownerField]) => {
    const refs: AssetRef[] = [];
    const trail = new PageTrail();
    let cursor: string | undefined;
    do {
      const page = await graph.page<RawAsset & Record<string, unknown>>(
        `${partnerId}/${edge}`, { fields: `id,name,${ownerField}`, limit: PAGE_LIMIT.list }, cursor,
        { what: what(`list ${edge} of partner ${partnerId}`), businessId: partnerId },
      );
      for (const raw of page.data) {
        if (ownerOf(raw, ownerField, `${edge} of partner ${partnerId}`) === ctx.businessId) refs.push(toAsset(type, raw, 'client'));
      }
      cursor = page.next && trail.follow(edge, page.next, what(`list ${edge} of partner ${partnerId}`));
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
