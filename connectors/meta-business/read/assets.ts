import { ConnectorError, isConnectorError } from '../../sdk/connector-error.ts';
import type { AppAsset, AssetType, Page } from '../../sdk/hub-model.ts';
import { toAsset, type RawAsset } from '../mappers/asset.ts';
import { PAGE_LIMIT, what, type MetaContext } from '../meta-context.ts';
import type { GraphPage } from '../graph-client.ts';
import { PageTrail } from '../graph-cursor.ts';

/**
 * Assets of the business, owned then client (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business). One listing per type walks two
 * edges, so the opaque cursor says which edge and carries that edge's Graph cursor.
 */
export const ASSET_EDGES: Record<AssetType, { owned: string; client: string; label: string }> = {
  ad_account: { owned: 'owned_ad_accounts', client: 'client_ad_accounts', label: 'ad accounts' },
  page: { owned: 'owned_pages', client: 'client_pages', label: 'pages' },
  catalog: { owned: 'owned_product_catalogs', client: 'client_product_catalogs', label: 'catalogs' },
  pixel: { owned: 'owned_pixels', client: 'client_pixels', label: 'pixels' },
};

interface AssetCursor {
  edge: 'owned' | 'client';
  graph?: string;
}

function encode(c: AssetCursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decode(cursor: string | undefined, label: string): AssetCursor {
  if (!cursor) return { edge: 'owned' };
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as AssetCursor;
    if (c.edge === 'owned' || c.edge === 'client') return c;
  } catch { /* reported below */ }
  throw new ConnectorError('invalid-argument', what(`list ${label}: the paging cursor is not one this connector issued`), { field: 'cursor' });
}

/**
 * A client edge the credential may not read: Meta is "temporarily limiting access" to
 * client_ad_accounts ("Only apps that have successfully called this endpoint within the last 30
 * days will continue to have access", https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/client_ad_accounts),
 * so a new app's token can be refused there while the owned edge answers. A permission refusal
 * (code 10 or 200–299, graph-errors.ts) on a client edge gives the owned assets listed with the
 * client part marked incomplete (README [INF]); anything else throws as before.
 */
function clientEdgeRefused(err: unknown, label: string): Page<AppAsset> {
  if (!isConnectorError(err) || err.kind !== 'permission-denied') throw err;
  return { items: [], incomplete: { reason: `client ${label}: ${err.message}`, ownership: 'client' } };
}

/**
 * One page of `owned_pixels` as the pixel listing asks it (`cursor`: the Graph cursor, none for the
 * first page). With `withinCheck`, inside a check for updates: each page once per check, shared
 * with the pixel partner read (read/check-reads.ts).
 */
export function ownedPixelsPage(ctx: MetaContext, cursor: string | undefined, withinCheck: boolean): Promise<GraphPage<RawAsset>> {
  const read = () => ctx.graph.page<RawAsset>(`${ctx.businessId}/${ASSET_EDGES.pixel.owned}`, { fields: 'id,name', limit: PAGE_LIMIT.list }, cursor, {
    what: what(`list owned ${ASSET_EDGES.pixel.label} of business ${ctx.businessId}`), businessId: ctx.businessId,
  });
  const check = withinCheck ? ctx.check() : undefined;
  return check ? check.once(`${ASSET_EDGES.pixel.owned} ${cursor ?? ''}`, read) : read();
}

/**
 * One page of the type's assets. `withinCheck`: the caller is the agent's listing (connector.ts),
 * which may share pages within a check; the connector's own re-reads (is an asset still listed?)
 * pass nothing and always ask Graph.
 */
export async function listAssets(ctx: MetaContext, type: AssetType, cursor?: string, options: { withinCheck?: boolean } = {}): Promise<Page<AppAsset>> {
  const edges = ASSET_EDGES[type];
  if (!edges) throw new ConnectorError('invalid-argument', what(`list assets: unknown asset type "${type}"`), { field: 'type' });
  const at = decode(cursor, edges.label);
  const edge = edges[at.edge];
  const fields = at.edge === 'client' ? 'id,name,permitted_tasks' : 'id,name';
  const read = type === 'pixel' && at.edge === 'owned' ? ownedPixelsPage(ctx, at.graph, options.withinCheck === true) : ctx.graph.page<RawAsset>(`${ctx.businessId}/${edge}`, { fields, limit: PAGE_LIMIT.list }, at.graph, {
    what: what(`list ${at.edge} ${edges.label} of business ${ctx.businessId}`), businessId: ctx.businessId,
  });
  const page = at.edge === 'client' ? await read.catch((err: unknown) => clientEdgeRefused(err, edges.label)) : await read;
  if (!('data' in page)) return page;
  const items = page.data.map((raw) => toAsset(type, raw, at.edge));
  if (page.next) return { items, next: encode({ edge: at.edge, graph: page.next }) };
  if (at.edge === 'owned') return { items, next: encode({ edge: 'client' }) };
  return { items };
}

/**
 * Pages through the business's `type` listing (owned and client, listAssets), handing each page to
 * `visit` until it returns something, which is returned; undefined once the listing ends. `why`
 * names the scan in a repeated-cursor error (PageTrail). The write paths that ask whether an asset
 * is still listed, or a client asset, scan with it.
 */
export async function scanAssetListing<T>(ctx: MetaContext, type: AssetType, why: string, visit: (page: Page<AppAsset>) => T | undefined): Promise<T | undefined> {
  const trail = new PageTrail();
  let cursor: string | undefined;
  do {
    const page = await listAssets(ctx, type, cursor);
    const found = visit(page);
    if (found !== undefined) return found;
    cursor = page.next && trail.follow(type, page.next, why);
  } while (cursor);
  return undefined;
}
