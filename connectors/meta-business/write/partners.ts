import { ConnectorError } from '../../sdk/connector-error.ts';
import type { AssetRef, ChangeResult } from '../../sdk/hub-model.ts';
import { PAGE_LIMIT, what, type MetaContext } from '../meta-context.ts';
import { PageTrail } from '../graph-cursor.ts';
import { assetGone, requireSupported } from './assets.ts';
import { toPartner, type RawPartner } from '../mappers/partner.ts';
import { shareOfClientAsset } from './share-ceiling.ts';


/**
 * Share / unshare an asset with a partner business (`/{asset}/agencies`, https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business). Only
 * the owner business can share. The current share is read first (GET /{asset}/agencies, pixels:
 * shared_agencies, catalogs: the business's own agencies edge) so a repeat is already-done; 3944
 * "already has access" is already-done too.
 * Pixels have no DELETE on agencies (the B2B guide and API spec list POST agencies, GET
 * shared_agencies and shared_accounts only), so unsharing a pixel is refused, never already-done.
 * A share answered with `requires_admin_approval: true` is not in effect until another admin
 * approves it: reported as an error naming that, never as done (the connector contract has no
 * "pending" result; README).
 */
const LIST_EDGE: Record<Exclude<AssetRef['type'], 'catalog'>, string> = { ad_account: 'agencies', page: 'agencies', pixel: 'shared_agencies' };

/**
 * A catalog's share, read where Meta documents it: the `productcatalog_permissions` of the partner
 * on `GET /{business}/agencies` (B2B guide). The B2B guide gives `GET agencies` on ad accounts and
 * Pages ("GET and DELETE work as for ad accounts") and only POST and DELETE on a catalog's
 * `agencies`, so a Graph built strictly from those docs answers GET /{catalog}/agencies 2500, and a
 * share or unshare of a catalog read through it failed every time (README [INF]).
 */
async function currentCatalogShare(ctx: MetaContext, asset: AssetRef, partnerId: string, whatFor: string): Promise<string[] | undefined> {
  const trail = new PageTrail();
  let cursor: string | undefined;
  do {
    const page = await ctx.graph.page<RawPartner>(`${ctx.businessId}/agencies`, { fields: 'id,productcatalog_permissions', limit: PAGE_LIMIT.partners }, cursor, {
      what: `${whatFor}: read current partners`, businessId: ctx.businessId,
    });
    const hit = page.data.find((p) => String(p.id) === partnerId);
    if (hit) {
      const share = toPartner(hit, 'agency').assets.find((a) => a.type === 'catalog' && a.id === asset.id);
      return share?.permittedTasks;
    }
    cursor = page.next && trail.follow('agencies', page.next, `${whatFor}: read current partners`);
  } while (cursor);
  return undefined;
}

async function currentShare(ctx: MetaContext, asset: AssetRef, partnerId: string, whatFor: string): Promise<string[] | undefined> {
  if (asset.type === 'catalog') return currentCatalogShare(ctx, asset, partnerId, whatFor);
  const trail = new PageTrail();
  let cursor: string | undefined;
  do {
    const page = await ctx.graph.page<{ id: string; permitted_tasks?: string[] }>(`${asset.id}/${LIST_EDGE[asset.type]}`, { fields: 'id,permitted_tasks', limit: 100 }, cursor, {
      what: `${whatFor}: read current partners`, businessId: ctx.businessId,
    });
    const hit = page.data.find((p) => String(p.id) === partnerId);
    if (hit) return (hit.permitted_tasks ?? []).map((t) => t.toUpperCase());
    cursor = page.next && trail.follow(LIST_EDGE[asset.type], page.next, `${whatFor}: read current partners`);
  } while (cursor);
  return undefined;
}

export async function shareAsset(ctx: MetaContext, input: { asset: AssetRef; partnerBusinessId: string; tasks: string[] }): Promise<ChangeResult> {
  const tasks = input.tasks.map((t) => t.toUpperCase());
  const whatFor = what(`share ${input.asset.type} ${input.asset.id} with partner ${input.partnerBusinessId} as [${tasks.join(',')}]`);
  requireSupported(input.asset.type, tasks, whatFor);
  try {
    return await shareChecked(ctx, input, tasks, whatFor);
  } catch (err) {
    // An AGENCY sharing another business's asset on (its partners' read or the POST answered with
    // a permission error): this write's refusal, not the token's (share-ceiling.ts).
    throw await shareOfClientAsset(ctx, err, input.asset, whatFor);
  }
}

async function shareChecked(ctx: MetaContext, input: { asset: AssetRef; partnerBusinessId: string }, tasks: string[], whatFor: string): Promise<ChangeResult> {
  const same = (current: string[] | undefined) => current !== undefined && current.length === tasks.length && tasks.every((t) => current.includes(t));
  if (same(await currentShare(ctx, input.asset, input.partnerBusinessId, whatFor))) return 'already-done';
  let body: unknown;
  try {
    body = await ctx.graph.call('POST', `${input.asset.id}/agencies`, { business: input.partnerBusinessId, permitted_tasks: tasks }, { what: whatFor, businessId: ctx.businessId });
  } catch (err) {
    // 3944 "Business already has access to this object": done only if the access it has is the one
    // asked for; a share with other tasks was not changed (re-read, not assumed).
    if (err instanceof ConnectorError && err.providerCode === '3944' && same(await currentShare(ctx, input.asset, input.partnerBusinessId, whatFor))) return 'already-done';
    throw err;
  }
  if ((body as { requires_admin_approval?: unknown } | undefined)?.requires_admin_approval === true) {
    // Meta took the request but the partner has no access yet. invalid-argument: the agent fails
    // the task with this reason instead of retrying, since a repeat would only ask for approval again.
    throw new ConnectorError('invalid-argument', `${whatFor}: pending approval: Meta requires another admin of business ${ctx.businessId} to approve this share at business.facebook.com/settings/requests/admin_reviews; the partner has no access until then`, {
      field: 'asset', providerCode: 'requires_admin_approval',
    });
  }
  return 'done';
}

/**
 * The partner's current share before or after an unshare, undefined when none. Graph answering
 * the asset's partners as a missing object (100/33) means no share only once the business no
 * longer lists the asset (deleted, or no longer shared with it, between plan and call): 100/33
 * also says "cannot be loaded due to missing permissions", so assetGone throws while it is listed.
 */
async function shareBeforeRemoval(ctx: MetaContext, asset: AssetRef, partnerId: string, whatFor: string): Promise<string[] | undefined> {
  try {
    return await currentShare(ctx, asset, partnerId, whatFor);
  } catch (err) {
    if (!(err instanceof ConnectorError) || err.kind !== 'not-found') throw err;
    await assetGone(ctx, asset, { what: 'partners', holding: `partner ${partnerId} still has access` }, whatFor);
    return undefined;
  }
}

export async function unshareAsset(ctx: MetaContext, input: { asset: AssetRef; partnerBusinessId: string }): Promise<ChangeResult> {
  const whatFor = what(`unshare ${input.asset.type} ${input.asset.id} from partner ${input.partnerBusinessId}`);
  // An asset removed from the business since the plan: nobody holds it through us, already-done
  // (as an unassign of it is); a removal is never a failed task for a state that already holds.
  const current = await shareBeforeRemoval(ctx, input.asset, input.partnerBusinessId, whatFor);
  if (!current) return 'already-done';
  if (input.asset.type === 'pixel') {
    // No DELETE /{pixel}/agencies (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business); Graph would answer 100/33
    // "Unsupported delete request", which must not read as "already gone": the partner keeps access.
    throw new ConnectorError('invalid-argument', `${whatFor}: Meta has no API to stop sharing a pixel with a partner; remove the partner in Business Settings`, {
      field: 'asset', providerCode: 'unsupported', notApplied: true,
    });
  }
  try {
    await ctx.graph.call('DELETE', `${input.asset.id}/agencies`, { business: input.partnerBusinessId }, { what: whatFor, businessId: ctx.businessId });
  } catch (err) {
    // Refused (100/33, or a plain 100 when the share is already gone: another removal won the race
    // since our read; Meta documents no answer, README [INF]): already-done only if a re-read agrees.
    if (!(err instanceof ConnectorError) || (err.kind !== 'not-found' && err.kind !== 'invalid-argument')) throw err;
    if (await shareBeforeRemoval(ctx, input.asset, input.partnerBusinessId, whatFor)) throw err;
    return 'already-done';
  }
  return 'done';
}
