import { ConnectorError } from '../../sdk/connector-error.ts';
import type { AppPartner, AssetType } from '../../sdk/hub-model.ts';
import type { BatchOperation } from '../graph-client.ts';
import { PageTrail, staleListing } from '../graph-cursor.ts';
import { assetId } from '../mappers/asset.ts';
import { idOf, listOf } from '../mappers/required.ts';
import { ASSET_EDGES, ownedPixelsPage } from './assets.ts';
import { PAGE_LIMIT, what, type MetaContext } from '../meta-context.ts';

/**
 * The partners of the business's own pixels. The business's `agencies` edge carries ad account,
 * page and catalog permission lists but none for pixels; a pixel names its partners on
 * `GET /{pixel}/shared_agencies` (Meta's API spec `AdsPixel.json`,
 * https://github.com/facebook/facebook-business-sdk-codegen/blob/ad2b0b6fdfbe4d73ed0754cb4562ef20b72b40d4/api_specs/specs/AdsPixel.json;
 * B2B guide, https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business).
 * Only the owner shares a pixel, so only `owned_pixels` are asked about.
 *
 * One batch operation per pixel (≤ 50 per request, https://developers.facebook.com/docs/graph-api/batch-requests),
 * each pixel's `next` pages followed in further batches, as read/assignments.ts does for people.
 * Nothing here is partial: any failure throws, so the caller's partner listing fails and the
 * agent keeps the partners it knew instead of reading "no partner on these pixels".
 */
export const PIXEL_PARTNER_FIELDS = 'id,name,permitted_tasks,access_status';

interface RawPixelPartner {
  id: string;
  name?: string;
  permitted_tasks?: string[];
  access_status?: string;
}

/** A partner business and the business's pixels it may use, keyed by the partner's business id. */
export type PixelPartners = Map<string, { name?: string; assets: AppPartner['assets'] }>;

/**
 * Every owned pixel, to the last page: a listing that fails part way throws (never a shorter list).
 * `fromCheck`, inside a check for updates: the pages the pixel asset listing asks (the same call,
 * read/assets.ts `ownedPixelsPage`), each asked of Graph once per check (read/check-reads.ts);
 * a failure of theirs is reported as this read's. Otherwise Graph is asked afresh.
 */
async function ownedIds(ctx: MetaContext, type: AssetType, whatFor: string, fromCheck: boolean): Promise<string[]> {
  const ids: string[] = [];
  const trail = new PageTrail();
  let cursor: string | undefined;
  const edge = ASSET_EDGES[type].owned;
  const shared = type === 'pixel' && fromCheck && ctx.check() !== undefined;
  do {
    let page;
    if (shared) {
      try {
        page = await ownedPixelsPage(ctx, cursor, true);
      } catch (err) {
        throw err instanceof ConnectorError ? err.with({ message: `${whatFor}: ${err.message.replace(/^meta-business: /, '')}` }) : err;
      }
    } else {
      page = await ctx.graph.page<{ id: string }>(`${ctx.businessId}/${edge}`, { fields: 'id', limit: PAGE_LIMIT.list }, cursor, {
        what: `${whatFor}: list ${edge}`, businessId: ctx.businessId,
      });
    }
    for (const raw of page.data) ids.push(assetId(type, idOf(raw, type)));
    cursor = page.next && trail.follow(edge, page.next, `${whatFor}: list ${edge}`);
  } while (cursor);
  return ids;
}

export function readPixelPartners(ctx: MetaContext): Promise<PixelPartners> {
  return readAssetPartners(ctx, 'pixel');
}

/**
 * The partners of every asset of `type` the business owns, read on each asset: a pixel's
 * `shared_agencies`, an ad account's, Page's or catalog's `agencies` (B2B guide; API spec
 * `ProductCatalog.json` for a catalog). For an ad account, Page or catalog this settles a partner
 * row on the business's `agencies` that comes without that kind's permission list (read/partners.ts):
 * any failure throws, so the partner listing fails instead of reading "no share of that kind".
 *
 * One exception, catalogs: the B2B guide documents only POST and DELETE on a catalog's `agencies`
 * (GET on ad accounts and Pages), so a Graph built from it may refuse the read as a request it does
 * not support (2500 "Unknown path components", or (#100): kind invalid-argument, graph-errors.ts).
 * When every owned catalog's read is refused so, the edge is not served: one warning is logged and
 * no catalog share is returned (the rows' absent `productcatalog_permissions` read as none), rather
 * than a partner listing that fails on every check forever. Acceptable because nothing in the
 * agent decides a removal from partner shares: they are only reported (audited), hubwarden never
 * shares or unshares on its own (README [INF]). Any other failure (throttle, 5xx, permission or
 * 100/33 on one catalog, a next page refused, a refusal on only some catalogs, where the edge is
 * served) still throws. An unshare never reads "not shared" from it: it sends the DELETE (write/partners.ts).
 */
export async function readAssetPartners(ctx: MetaContext, type: AssetType): Promise<PixelPartners> {
  const label = ASSET_EDGES[type].label;
  const listEdge = type === 'pixel' ? 'shared_agencies' : 'agencies';
  const whatFor = what(`read the partners of the ${label} of business ${ctx.businessId}`);
  const errCtx = { what: whatFor, businessId: ctx.businessId };
  const partners: PixelPartners = new Map();
  const missing: string[] = [];
  const unsupported: ConnectorError[] = [];
  let owned: string[];
  try {
    owned = await ownedIds(ctx, type, whatFor, true);
  } catch (err) {
    if (type !== 'pixel') throw err;
    // A token that may not list pixels (no ads_management: Meta answers 200/10/270 "Permissions
    // error", https://developers.facebook.com/docs/graph-api/guides/error-handling) cannot know
    // their partners, nor share them: the listing goes on with the partners' other assets, as it
    // did before pixels were read, rather than failing on every check. Pixel shares act on
    // nothing in the agent (they are reported); the same token's asset listing says pixels are
    // unreadable. [INF]
    if (err instanceof ConnectorError && err.kind === 'permission-denied') {
      ctx.log.warn('meta: the partners of the business\'s pixels are not read: this token may not list its pixels', { businessId: ctx.businessId, reason: err.message });
      return partners;
    }
    throw err;
  }
  // `continued`: the op follows a `paging.next` Graph gave for this pixel.
  let work: Array<{ pixel: string; op: BatchOperation; continued?: true }> = owned.map((pixel) => ({
    pixel,
    op: { method: 'GET', relativeUrl: `${pixel}/${listEdge}?fields=${PIXEL_PARTNER_FIELDS}&limit=${PAGE_LIMIT.partners}` },
  }));
  const trail = new PageTrail();
  while (work.length > 0) {
    const results = await ctx.graph.batch(work.map((w) => w.op), errCtx);
    const more: typeof work = [];
    results.forEach((result, i) => {
      const { pixel, continued } = work[i];
      const opWhat = `${whatFor}: ${type} ${pixel}`;
      if (result.status >= 400 || (result.body as { error?: unknown })?.error) {
        const err = ctx.graph.errorOf(result, { ...errCtx, what: opWhat });
        // A next page refused: the earlier pages are not the pixel's partner list (graph-cursor.ts).
        if (continued) throw staleListing(err, opWhat);
        // 100/33 is "does not exist, cannot be loaded due to missing permissions" (https://developers.facebook.com/docs/graph-api/guides/error-handling): settled below.
        if (err.kind === 'not-found') return void missing.push(pixel);
        if (type === 'catalog' && err.kind === 'invalid-argument') return void unsupported.push(err);
        throw err;
      }
      // A 200 without a `data` array is not an empty page (GraphClient.toPage).
      const page = ctx.graph.toPage<RawPixelPartner>(result.body, opWhat);
      for (const raw of page.data) {
        const id = idOf(raw, `partner of ${type} ${pixel}`);
        // Asked for by name: a row without it cannot show which tasks the partner has (required.ts).
        const tasks = listOf(raw as unknown as Record<string, unknown>, 'permitted_tasks', `partner of ${type} ${pixel}:`);
        let partner = partners.get(id);
        if (!partner) partners.set(id, (partner = { ...(raw.name ? { name: raw.name } : {}), assets: [] }));
        if (partner.assets.some((a) => a.id === pixel)) continue;
        partner.assets.push({
          type,
          id: pixel,
          permittedTasks: tasks.map((t) => t.toUpperCase()),
          ...(raw.access_status ? { accessStatus: raw.access_status } : {}),
        });
      }
      const next = (result.body as { paging?: { next?: string } }).paging?.next;
      if (next) more.push({ pixel, op: { method: 'GET', relativeUrl: trail.follow(pixel, ctx.graph.nextOp(next, work[i].op.relativeUrl), opWhat) }, continued: true });
    });
    work = more;
  }
  if (unsupported.length > 0) {
    // Refused on some catalogs only: the edge is served, so the refusal is that catalog's; fail.
    if (unsupported.length < owned.length) throw unsupported[0];
    ctx.log.warn('meta: the partner lists of the business\'s catalogs could not be read (Graph refuses GET /{catalog}/agencies as an unsupported request); a partner row without productcatalog_permissions is read as holding no catalog for this check', {
      businessId: ctx.businessId, reason: unsupported[0].message,
    });
    return new Map();
  }
  if (missing.length > 0) {
    // Gone since it was listed (deleted): no partner uses it. Still listed: its partners are not known.
    // Asked afresh: whether it is listed now, after the 100/33, not what the check read before.
    const listed = new Set(await ownedIds(ctx, type, `${whatFor}: is a ${type} answered missing still listed`, false));
    const still = missing.filter((p) => listed.has(p));
    if (still.length > 0) {
      throw new ConnectorError('unavailable', `${whatFor}: Graph answers the partners of ${type} ${still.join(', ')} as a missing object (100/33: gone, or not loadable with this token) though the business still lists it; which partners may use it is not known`, {
        providerCode: '100/33',
      });
    }
  }
  return partners;
}
