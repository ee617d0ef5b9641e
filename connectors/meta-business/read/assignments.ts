import type { AssetAssignment, AssetRef } from '../../sdk/hub-model.ts';
import type { AssignmentsOptions } from '../../sdk/capabilities.ts';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { scanAssetListing } from './assets.ts';
import type { BatchOperation, GraphClient } from '../graph-client.ts';
import { PageTrail, staleListing } from '../graph-cursor.ts';
import { toAssignment, type RawAssignedUser } from '../mappers/asset.ts';
import { PAGE_LIMIT, what, type MetaContext } from '../meta-context.ts';

/**
 * Who holds which tasks on each asset: `/{asset}/assigned_users?business=<id>` (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users),
 * one batch operation per asset, ≤ 50 per batch request (https://developers.facebook.com/docs/graph-api/batch-requests). Per-asset `next` pages are
 * followed in further batches, so the result is complete for every asset asked about (deletions
 * are only planned from complete listings).
 */
export const ASSIGNMENT_FIELDS = 'id,name,user_type,tasks';

export async function readAssignments(
  graph: GraphClient,
  assets: AssetRef[],
  scopeBusinessId: string,
  whatFor: string,
  onMissing?: (asset: AssetRef) => void,
  onDenied?: (asset: AssetRef, err: ConnectorError) => void,
): Promise<AssetAssignment[]> {
  const out: AssetAssignment[] = [];
  const ctx = { what: whatFor, businessId: graph.businessId };
  // `continued`: the op follows a `paging.next` Graph gave for this asset (see below).
  let work: Array<{ asset: AssetRef; op: BatchOperation; continued?: true }> = assets.map((asset) => ({
    asset,
    op: {
      method: 'GET',
      relativeUrl: `${asset.id}/assigned_users?business=${scopeBusinessId}&fields=${ASSIGNMENT_FIELDS}&limit=${PAGE_LIMIT.list}`,
    },
  }));
  const trail = new PageTrail();
  while (work.length > 0) {
    const results = await graph.batch(work.map((w) => w.op), ctx);
    const more: typeof work = [];
    results.forEach((result, i) => {
      const { asset, continued } = work[i];
      if (result.status >= 400 || (result.body as { error?: unknown })?.error) {
        const err = graph.errorOf(result, { ...ctx, what: `${whatFor}: ${asset.type} ${asset.id}` });
        // A next page refused (its cursor's item was deleted meanwhile, or the asset went): the
        // earlier pages of this asset are not its listing, so neither "missing" nor "nobody else
        // assigned" may be reported from them. The read fails as unavailable and starts over.
        if (continued) throw staleListing(err, `${whatFor}: ${asset.type} ${asset.id}`);
        // The asset vanished since it was listed (or is no longer shared): nobody is assigned to it.
        if (err.kind === 'not-found') return onMissing?.(asset);
        // The token may not read this asset's people (a Page needs pages_manage_metadata,
        // https://developers.facebook.com/docs/graph-api/reference/page/assigned_users): a caller
        // that can report it as unread gets the rest; any other caller fails as before.
        if (err.kind === 'permission-denied' && onDenied) return onDenied(asset, err);
        throw err;
      }
      // A 200 without a `data` array is not an empty page (GraphClient.toPage).
      const page = graph.toPage<RawAssignedUser>(result.body, `${whatFor}: ${asset.type} ${asset.id}`);
      for (const raw of page.data) out.push(toAssignment(asset, raw, scopeBusinessId));
      const next = (result.body as { paging?: { next?: string } }).paging?.next;
      if (next) more.push({ asset, op: { method: 'GET', relativeUrl: trail.follow(`${asset.type}:${asset.id}`, graph.nextOp(next, work[i].op.relativeUrl), `${whatFor}: ${asset.type} ${asset.id}`) }, continued: true });
    });
    work = more;
  }
  return out;
}

/**
 * The assignments on `assets` (just listed by the check for updates). An asset whose people Graph
 * answers as a missing object (100/33) has nobody assigned only if it has left the business's
 * listings since (deleted, or no longer shared): 100/33 also says the object "cannot be loaded due
 * to missing permissions" (https://developers.facebook.com/docs/graph-api/guides/error-handling;
 * a Page's people are documented for a Page token,
 * https://developers.facebook.com/docs/graph-api/reference/page/assigned_users). One still listed
 * fails the read as `unavailable`, naming it: its people are unknown, and "nobody" would pass for
 * a complete listing (people seen as removed by hand, holders nobody governs).
 *
 * Each holder is typed from AssignedUser `user_type` (mappers/asset.ts toAssignment), a field
 * whose values Meta does not document (the ad-account assigned_users page names the field only):
 * a hint, not a decision. Who is a system user is what `GET /{business}/system_users` lists
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/system_users),
 * and the check for updates that calls this has just listed it: the agent types every holder by
 * its listings (agent/check-for-updates/read-app.ts holdersByListing). The system users are not
 * read again here; that second listing, once per call (one per 50 assets), cost a check one more
 * paginated read of the same edge per chunk and decided nothing the agent does not decide again.
 */
export async function listAssignments(ctx: MetaContext, assets: AssetRef[], options: AssignmentsOptions = {}): Promise<AssetAssignment[]> {
  const whatFor = what(`read assignments on ${assets.length} assets of business ${ctx.businessId}`);
  const missing: AssetRef[] = [];
  // A permission refusal on one asset's people (a Page's need `pages_manage_metadata`,
  // https://developers.facebook.com/docs/graph-api/reference/page/assigned_users) is that asset
  // unread, reported to a caller that keeps what it knew of it; before, it failed every asset's
  // read, so a token without a Page permission never read its ad accounts' holders either.
  const onDenied = options.onUnreadableAsset ? (a: AssetRef, err: ConnectorError) => options.onUnreadableAsset!(a, err.message) : undefined;
  const found = await readAssignments(ctx.graph, assets, ctx.businessId, whatFor, (a) => missing.push(a), onDenied);
  await confirmGone(ctx, missing, whatFor);
  return found;
}

/**
 * Throws unless every asset in `missing` (its people answered 100/33) has left the business's
 * owned and client listings: 100/33 also says the object "cannot be loaded due to missing
 * permissions" (https://developers.facebook.com/docs/graph-api/guides/error-handling), so an
 * asset still listed has people that are not known, and "nobody" would pass for a complete
 * listing. Used by the check for updates (listAssignments) and a person's re-read (read/person.ts),
 * whose `missingAssets` the agent drops from its snapshot as gone.
 */
export async function confirmGone(ctx: MetaContext, missing: AssetRef[], whatFor: string): Promise<void> {
  for (const type of new Set(missing.map((a) => a.type))) {
    const ids = new Set(missing.filter((a) => a.type === type).map((a) => a.id));
    await scanAssetListing(ctx, type, `${whatFor}: is ${type} ${[...ids].join(', ')} still listed`, (page) => {
      const listed = page.items.find((a) => ids.has(a.id));
      if (listed) {
        throw new ConnectorError('unavailable', `${whatFor}: Graph answers the people of ${type} ${listed.id} as a missing object (100/33: gone, or not loadable with this token) though the business still lists it; its assignments are not known`, {
          providerCode: '100/33',
        });
      }
      // Part of the listing refused (a client edge, marked incomplete): not listed is not gone.
      if (page.incomplete) {
        throw new ConnectorError('unavailable', `${whatFor}: Graph answers the people of ${type} ${[...ids].join(', ')} as a missing object (100/33: gone, or not loadable with this token) and the business's ${type} listing could be read only in part (${page.incomplete.reason}); their assignments are not known`, {
          providerCode: '100/33',
        });
      }
      return undefined;
    });
  }
}
