import { ConnectorError } from '../../sdk/connector-error.ts';
import type { AssetRef, ChangeResult } from '../../sdk/hub-model.ts';
import { PAGE_LIMIT, what, type MetaContext } from '../meta-context.ts';
import { PageTrail } from '../graph-cursor.ts';
import { assetGone, requireSupported } from './assets.ts';
import { toPartner, type RawPartner } from '../mappers/partner.ts';
import { idOf } from '../mappers/required.ts';
import { shareOfClientAsset } from './share-ceiling.ts';
import { SHARE_TASKS } from '../task-bundles.ts';


/**
 * Share / unshare an asset with a partner business (`/{asset}/agencies`, https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business). Only
 * the owner business can share. The current share is read first (GET /{asset}/agencies, pixels:
 * shared_agencies, catalogs: the business's own agencies edge) so a repeat is already-done; 3944
 * "already has access" is already-done too. A catalog's share no read can show is unshared by the
 * DELETE all the same (catalogUnread).
 * Pixels have no DELETE on agencies (the B2B guide and API spec list POST agencies, GET
 * shared_agencies and shared_accounts only), so unsharing a pixel is refused, never already-done.
 * A share answered with `requires_admin_approval: true` is not in effect until another admin
 * approves it: reported as an error naming that, never as done (the connector contract has no
 * "pending" result; README).
 */
const LIST_EDGE: Record<Exclude<AssetRef['type'], 'catalog'>, string> = { ad_account: 'agencies', page: 'agencies', pixel: 'shared_agencies' };

/**
 * A partner's share of an asset as a listing shows it: its tasks; `none` when every row read names
 * its business and none is the partner (or the partner's row lists its shares of that kind without
 * this asset); or `unknown` (why) when a row that may be the partner's cannot show it: a row without
 * its `id`, or the partner's row without the permission list of that kind. Meta documents these
 * lists as default edge fields and says nothing of a row without one (empty, or not shown), so
 * "not shared" is read only from what the listing shows (README [INF]; docs/architecture.md,
 * "Gone" only from what the documents guarantee).
 */
type ShareRead = { tasks: string[] } | 'none' | { unknown: string };

const tasksOf = (list: unknown): string[] => (Array.isArray(list) ? list.filter((t): t is string => typeof t === 'string').map((t) => t.toUpperCase()) : []);

/** One listing's rows, as the partner's share: `hit` reads the partner's own row. */
async function shareFromRows<R extends { id?: unknown }>(
  read: (cursor: string | undefined) => Promise<{ data: R[]; next?: string }>, edge: string, partnerId: string, why: string, hit: (row: R) => ShareRead,
): Promise<ShareRead> {
  const trail = new PageTrail();
  let unknown: string | undefined;
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    for (const row of page.data) {
      let id: string;
      try {
        id = idOf(row, 'partner');
      } catch {
        unknown ??= `${edge} answered a partner without its id (a default field, asked for by name)`;
        continue;
      }
      if (id === partnerId) return hit(row);
    }
    cursor = page.next && trail.follow(edge, page.next, why);
  } while (cursor);
  return unknown ? { unknown } : 'none';
}

/**
 * A catalog's share, read where Meta documents it: the `productcatalog_permissions` of the partner
 * on `GET /{business}/agencies` (B2B guide). The B2B guide gives `GET agencies` on ad accounts and
 * Pages ("GET and DELETE work as for ad accounts") and only POST and DELETE on a catalog's
 * `agencies`, so a Graph built strictly from those docs answers GET /{catalog}/agencies 2500, and a
 * share or unshare of a catalog read through it failed every time (README [INF]). Only when the
 * partner's row cannot show the answer (no `productcatalog_permissions`, which a Graph may leave
 * out when the partner holds no catalog) does a removal ask the catalog's own `agencies` edge (API spec
 * `ProductCatalog.json`); refused, the share stays unknown, and an unshare sends the DELETE anyway
 * (unshareAsset, catalogUnread).
 */
async function currentCatalogShare(ctx: MetaContext, asset: AssetRef, partnerId: string, whatFor: string, confirm: boolean): Promise<ShareRead> {
  const why = `${whatFor}: read current partners`;
  const fromBusiness = await shareFromRows<RawPartner>(
    (cursor) => ctx.graph.page<RawPartner>(`${ctx.businessId}/agencies`, { fields: 'id,productcatalog_permissions', limit: PAGE_LIMIT.partners }, cursor, { what: why, businessId: ctx.businessId }),
    'agencies', partnerId, why,
    (row) => {
      if (!Array.isArray(row.productcatalog_permissions)) return { unknown: `business ${ctx.businessId}'s agencies answered partner ${partnerId} without productcatalog_permissions` };
      const share = toPartner(row, 'agency').assets.find((a) => a.type === 'catalog' && a.id === asset.id);
      return share ? { tasks: share.permittedTasks ?? [] } : 'none';
    },
  );
  // A share needs no more (an unknown share is not the one asked for: the POST sets it); a removal does.
  if (!confirm || fromBusiness === 'none' || 'tasks' in fromBusiness) return fromBusiness;
  try {
    const fromCatalog = await assetShare(ctx, asset.id, 'agencies', partnerId, whatFor);
    return fromCatalog === 'none' || 'tasks' in fromCatalog ? fromCatalog : { unknown: `${fromBusiness.unknown}, and ${fromCatalog.unknown}` };
  } catch (err) {
    // 2500 (no such edge on this Graph) or a refusal; a missing object (100/33) goes on to assetGone.
    if (!(err instanceof ConnectorError) || (err.kind !== 'invalid-argument' && err.kind !== 'permission-denied')) throw err;
    return { unknown: `${fromBusiness.unknown}, and the catalog's own agencies could not be read (${err.message})` };
  }
}

async function assetShare(ctx: MetaContext, assetId: string, edge: string, partnerId: string, whatFor: string): Promise<ShareRead> {
  const why = `${whatFor}: read current partners`;
  return shareFromRows<{ id?: unknown; permitted_tasks?: unknown }>(
    (cursor) => ctx.graph.page<{ id?: unknown; permitted_tasks?: unknown }>(`${assetId}/${edge}`, { fields: 'id,permitted_tasks', limit: 100 }, cursor, { what: why, businessId: ctx.businessId }),
    edge, partnerId, why,
    // Listed on the asset's own partners: shared (tasks as given; none given reads as a share of no known tasks).
    (row) => ({ tasks: tasksOf(row.permitted_tasks) }),
  );
}

async function currentShare(ctx: MetaContext, asset: AssetRef, partnerId: string, whatFor: string, confirm = false): Promise<ShareRead> {
  if (asset.type === 'catalog') return currentCatalogShare(ctx, asset, partnerId, whatFor, confirm);
  return assetShare(ctx, asset.id, LIST_EDGE[asset.type], partnerId, whatFor);
}

/** A share the listing cannot show, on a removal: not applied, tried again; never already-done (README [INF]). */
function shareUnknown(read: { unknown: string }, whatFor: string, partnerId: string): ConnectorError {
  return new ConnectorError('unavailable', `${whatFor}: whether partner ${partnerId} still has access is not known: ${read.unknown}; nothing was removed`, {
    providerCode: 'field-missing', notApplied: true,
  });
}

export async function shareAsset(ctx: MetaContext, input: { asset: AssetRef; partnerBusinessId: string; tasks: string[] }): Promise<ChangeResult> {
  const tasks = input.tasks.map((t) => t.toUpperCase());
  const whatFor = what(`share ${input.asset.type} ${input.asset.id} with partner ${input.partnerBusinessId} as [${tasks.join(',')}]`);
  requireSupported(input.asset.type, tasks, whatFor);
  // The share's own enum (task-bundles.ts SHARE_TASKS): a Page's DRAFT or a pixel's AA_ANALYZE is
  // an assigned_users task only, and Graph refuses a value outside the enum; nothing is sent.
  const outside = tasks.filter((t) => !SHARE_TASKS[input.asset.type].includes(t));
  if (outside.length > 0) {
    throw new ConnectorError('invalid-argument', `${whatFor}: [${outside.join(',')}] cannot be shared: a ${input.asset.type}'s partner tasks are ${SHARE_TASKS[input.asset.type].join(', ')} (Meta's API spec, agencies permitted_tasks)`, {
      field: 'tasks', notApplied: true,
    });
  }
  try {
    return await shareChecked(ctx, input, tasks, whatFor);
  } catch (err) {
    // An AGENCY sharing another business's asset on (its partners' read or the POST answered with
    // a permission error): this write's refusal, not the token's (share-ceiling.ts).
    throw await shareOfClientAsset(ctx, err, input.asset, whatFor);
  }
}

async function shareChecked(ctx: MetaContext, input: { asset: AssetRef; partnerBusinessId: string }, tasks: string[], whatFor: string): Promise<ChangeResult> {
  // A share the listing cannot show is not the one asked for: the POST sets it (a share is an upsert).
  const same = (current: ShareRead) => typeof current === 'object' && 'tasks' in current && current.tasks.length === tasks.length && tasks.every((t) => current.tasks.includes(t));
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
 * The partner's current share before or after an unshare: its tasks, undefined when none, or
 * `unknown` when the listing cannot show it. Graph answering the asset's partners as a missing
 * object (100/33) means no share only once the business no longer lists the asset (deleted, or no
 * longer shared with it, between plan and call): 100/33 also says "cannot be loaded due to missing
 * permissions", so assetGone throws while it is listed.
 */
async function shareBeforeRemoval(ctx: MetaContext, asset: AssetRef, partnerId: string, whatFor: string): Promise<string[] | { unknown: string } | undefined> {
  let read: ShareRead;
  try {
    read = await currentShare(ctx, asset, partnerId, whatFor, true);
  } catch (err) {
    if (!(err instanceof ConnectorError) || err.kind !== 'not-found') throw err;
    await assetGone(ctx, asset, { what: 'partners', holding: `partner ${partnerId} still has access` }, whatFor);
    return undefined;
  }
  if (read === 'none') return undefined;
  return 'unknown' in read ? read : read.tasks;
}

export async function unshareAsset(ctx: MetaContext, input: { asset: AssetRef; partnerBusinessId: string }): Promise<ChangeResult> {
  const whatFor = what(`unshare ${input.asset.type} ${input.asset.id} from partner ${input.partnerBusinessId}`);
  // An asset removed from the business since the plan: nobody holds it through us, already-done
  // (as an unassign of it is); a removal is never a failed task for a state that already holds.
  const current = await shareBeforeRemoval(ctx, input.asset, input.partnerBusinessId, whatFor);
  if (!current) return 'already-done';
  // A catalog's share unread (its partner row without productcatalog_permissions, and the catalog's
  // own agencies not served): the documented DELETE is sent anyway (catalogUnread). Any other
  // share the listing cannot show: not applied, tried again (README [INF]).
  if (!Array.isArray(current) && input.asset.type !== 'catalog') throw shareUnknown(current, whatFor, input.partnerBusinessId);
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
    if (!Array.isArray(current)) return catalogUnread(ctx, input, current, err, whatFor);
    const again = await shareBeforeRemoval(ctx, input.asset, input.partnerBusinessId, whatFor);
    if (again && !Array.isArray(again)) throw shareUnknown(again, whatFor, input.partnerBusinessId);
    if (again) throw err;
    return 'already-done';
  }
  return 'done';
}

/**
 * `DELETE /{catalog}/agencies` (`business`*, https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business)
 * refused when whether the partner holds the catalog cannot be read. Read as not applied and tried
 * again, it failed the same way on every attempt on a Graph that never shows the share; a removal
 * refused so is "already-done" only from what Meta documents, and it documents no answer for a
 * catalog not shared. So: 100/33 is already-done once the business no longer lists the catalog
 * (assetGone, as elsewhere); any other refusal fails once, not retried (invalid-argument keeps
 * Graph's own code), saying why, nothing removed (README [INF]).
 */
async function catalogUnread(ctx: MetaContext, input: { asset: AssetRef; partnerBusinessId: string }, read: { unknown: string }, err: ConnectorError, whatFor: string): Promise<ChangeResult> {
  if (err.kind === 'not-found') {
    await assetGone(ctx, input.asset, { what: 'partners', holding: `partner ${input.partnerBusinessId} still has access` }, whatFor);
    return 'already-done';
  }
  const answer = err.message.startsWith(`${whatFor}: `) ? err.message.slice(whatFor.length + 2) : err.message;
  throw new ConnectorError('invalid-argument', `${whatFor}: Graph refused the DELETE (${answer}), and whether partner ${input.partnerBusinessId} holds the catalog cannot be read on this Graph (${read.unknown}); Meta documents no answer for a catalog not shared, so this is not taken as already-done; nothing was removed: see the partner's access in Business Settings`, {
    field: 'asset', providerCode: err.providerCode, notApplied: true, cause: err,
  });
}
