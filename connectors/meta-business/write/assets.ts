import { ConnectorError } from '../../sdk/connector-error.ts';
import type { AssetRef, ChangeResult } from '../../sdk/hub-model.ts';
import { what, type MetaContext } from '../meta-context.ts';
import { readAssignments } from '../read/assignments.ts';
import { scanAssetListing } from '../read/assets.ts';
import { isSupportedTaskSet, TASK_RULES } from '../task-bundles.ts';
import { notAppliedUnlessSent } from './not-applied.ts';
import { assignBeyondShare } from './share-ceiling.ts';

/**
 * Assign / unassign a person's tasks on an asset (`/{asset}/assigned_users`, https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users).
 * Decision: check the current assignment first (one read of the asset's assigned_users). POST is
 * an upsert (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users [INF]), so without the read a repeat would look like a change in the audit;
 * with it, "already assigned with these tasks" is already-done and "not assigned" on unassign is
 * already-done. Unsupported task bundles are rejected here, before any call (100/1752129).
 */
const LABEL: Record<AssetRef['type'], string> = { ad_account: 'ad account', page: 'page', catalog: 'catalog', pixel: 'pixel' };

function sameTasks(a: string[], b: string[]): boolean {
  const x = new Set(a.map((t) => t.toUpperCase()));
  const y = new Set(b.map((t) => t.toUpperCase()));
  return x.size === y.size && [...x].every((t) => y.has(t));
}

export function requireSupported(type: AssetRef['type'], tasks: string[], whatFor: string): void {
  if (!isSupportedTaskSet(type, tasks)) {
    const rules = TASK_RULES[type];
    if (rules?.anyOf) {
      throw new ConnectorError('invalid-argument', `${whatFor}: [${tasks.join(',')}] are not ${LABEL[type] ?? type} tasks Meta's API lists (any of ${rules.anyOf.join(', ')})`, { field: 'tasks' });
    }
    const bundles = rules?.bundles.map((b) => `[${b.tasks.join(',')}]`).join(' ') ?? '';
    throw new ConnectorError('invalid-argument', `${whatFor}: [${tasks.join(',')}] is not a task bundle Meta supports on a ${LABEL[type] ?? type} (one of ${bundles})`, {
      field: 'tasks', providerCode: '100/1752129',
    });
  }
}

async function currentTasks(ctx: MetaContext, asset: AssetRef, userId: string, whatFor: string): Promise<string[] | undefined> {
  const list = await readAssignments(ctx.graph, [asset], ctx.businessId, `${whatFor}: read current assignment`);
  return list.find((a) => a.userId === userId)?.tasks;
}

/**
 * The person's tasks on the asset before a removal, `missing` when Graph answers the asset's
 * people as a missing object (100/33). That answer also says the object "cannot be loaded due to
 * missing permissions" (https://developers.facebook.com/docs/graph-api/guides/error-handling), and
 * a Page's people are documented for a Page token
 * (https://developers.facebook.com/docs/graph-api/reference/page/assigned_users): so it proves the
 * person gone only once the business no longer lists the asset (assetGone).
 */
async function tasksBeforeRemoval(ctx: MetaContext, asset: AssetRef, userId: string, whatFor: string): Promise<{ tasks?: string[]; missing: boolean }> {
  let missing = false;
  const list = await readAssignments(ctx.graph, [asset], ctx.businessId, `${whatFor}: read current assignment`, () => { missing = true; });
  return { tasks: list.find((a) => a.userId === userId)?.tasks, missing };
}

/**
 * Whether `asset` has left the business's owned and client listings (deleted, or no longer shared
 * with it): then nobody holds tasks on it through the business and no partner holds it through
 * us, and a removal is already-done. Still listed, Graph will not load what was asked of it
 * (`unread`) for this token, and whether the person or partner still holds it is not known: the
 * removal fails saying so (not applied), never done on a guess.
 */
export async function assetGone(ctx: MetaContext, asset: AssetRef, unread: { what: string; holding: string }, whatFor: string): Promise<boolean> {
  const unknown = (why: string) => new ConnectorError('not-found', `${whatFor}: Graph answers the ${unread.what} of ${LABEL[asset.type] ?? asset.type} ${asset.id} as a missing object (100/33: gone, or not loadable with this token) ${why}; whether ${unread.holding} is not known, so nothing was removed`, {
    providerCode: '100/33', notApplied: true,
  });
  const label = LABEL[asset.type] ?? asset.type;
  try {
    await scanAssetListing(ctx, asset.type, `${whatFor}: is ${label} ${asset.id} still listed`, (page) => {
      if (page.items.some((a) => a.id === asset.id)) throw unknown(`though business ${ctx.businessId} still lists it`);
      // Part of the listing refused (listAssets marks a refused client edge incomplete, no longer
      // throws): an asset not listed may be in that part, so it is not known to be gone.
      if (page.incomplete) throw unknown(`and business ${ctx.businessId}'s ${label} listing could be read only in part (${page.incomplete.reason})`);
      return undefined;
    });
  } catch (err) {
    // The listing itself refused (a client edge the app may not read): still not known.
    if (err instanceof ConnectorError && err.kind === 'permission-denied') throw unknown(`and business ${ctx.businessId}'s ${label} listing could not be read (${err.message})`);
    throw err;
  }
  return true;
}

/**
 * 100/1752100 "User is not business-scoped" on `POST /{asset}/assigned_users`: the member is no
 * longer a business user with access (they left). The contract's word for that is `not-found`
 * (AssetGrants.assignAsset, connectors/sdk/capabilities.ts), as for an asset gone: both are a
 * stale view the agent re-reads the person for, without knowing Meta's codes.
 */
function memberGone(err: unknown): unknown {
  if (!(err instanceof ConnectorError) || err.kind !== 'invalid-argument' || err.providerCode !== '100/1752100') return err;
  return new ConnectorError('not-found', err.message, { providerCode: err.providerCode, field: err.field, notApplied: err.notApplied, cause: err });
}

export async function assignAsset(ctx: MetaContext, input: { asset: AssetRef; userId: string; tasks: string[] }): Promise<ChangeResult> {
  const tasks = input.tasks.map((t) => t.toUpperCase());
  const whatFor = what(`assign ${LABEL[input.asset.type] ?? input.asset.type} ${input.asset.id} to user ${input.userId} with [${tasks.join(',')}]`);
  // Marked not applied when nothing reached Meta (not-applied.ts): an assign that may have landed
  // makes the grant hubwarden's when a later check finds it (agent/app-state/grant-maker.ts); a
  // throttled or refused one must not.
  let sent = false;
  try {
    requireSupported(input.asset.type, tasks, whatFor);
    const current = await currentTasks(ctx, input.asset, input.userId, whatFor);
    if (current && sameTasks(current, tasks)) return 'already-done';
    // `user` and `tasks` are the documented params; only Meta's system-user guide adds `business`, on an
    // ad account (https://developers.facebook.com/docs/marketing-api/business-manager/system-user/permissions).
    // Pages, catalogs and pixels list no `business` on this POST, so none is sent there.
    const params = input.asset.type === 'ad_account' ? { user: input.userId, tasks, business: ctx.businessId } : { user: input.userId, tasks };
    sent = true;
    await ctx.graph.call('POST', `${input.asset.id}/assigned_users`, params, { what: whatFor, businessId: ctx.businessId });
  } catch (err) {
    // A permission error on a client asset may be the owner's ceiling, not the token (share-ceiling.ts).
    throw notAppliedUnlessSent(memberGone(sent ? await assignBeyondShare(ctx, err, input.asset, tasks, whatFor) : err), sent);
  }
  return 'done';
}

export async function unassignAsset(ctx: MetaContext, input: { asset: AssetRef; userId: string }): Promise<ChangeResult> {
  const whatFor = what(`unassign user ${input.userId} from ${LABEL[input.asset.type] ?? input.asset.type} ${input.asset.id}`);
  const before = await tasksBeforeRemoval(ctx, input.asset, input.userId, whatFor);
  if (before.missing && (await assetGone(ctx, input.asset, { what: 'people', holding: `user ${input.userId} holds tasks there` }, whatFor))) return 'already-done';
  const current = before.tasks;
  if (!current) return 'already-done';
  if (input.asset.type === 'pixel') {
    // AdsPixel assigned_users has no DELETE (SPEC AdsPixel.json, https://developers.facebook.com/docs/marketing-api/reference/ads-pixel/assigned_users); Graph answers
    // 100/33 "Unsupported delete request", which must not read as "already gone".
    throw new ConnectorError('invalid-argument', `${whatFor}: Meta has no API to remove a person from a pixel (https://developers.facebook.com/docs/marketing-api/reference/ads-pixel/assigned_users); remove them in Business Settings`, {
      field: 'asset', providerCode: 'unsupported',
    });
  }
  try {
    await ctx.graph.call('DELETE', `${input.asset.id}/assigned_users`, { user: input.userId }, { what: whatFor, businessId: ctx.businessId });
  } catch (err) {
    // 100/33 also means "unsupported" or "cannot be loaded"; a plain 100 may be Graph refusing to
    // remove someone who no longer holds tasks there (another removal won the race since our read;
    // Meta documents no answer for it, README [INF]). Either is already-done only if a re-read agrees.
    if (!(err instanceof ConnectorError) || (err.kind !== 'not-found' && err.kind !== 'invalid-argument')) throw err;
    const after = await tasksBeforeRemoval(ctx, input.asset, input.userId, whatFor);
    if (after.missing) {
      // The asset's people no longer load: gone only if the business no longer lists the asset
      // (assetGone throws, not applied, while it does: the DELETE was refused, nothing changed).
      await assetGone(ctx, input.asset, { what: 'people', holding: `user ${input.userId} holds tasks there` }, whatFor);
      return 'already-done';
    }
    if (after.tasks) throw err;
    return 'already-done';
  }
  return 'done';
}
