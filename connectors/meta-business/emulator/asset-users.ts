/**
 * Who holds which tasks on an asset: `GET|POST|DELETE /{asset}/assigned_users` (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users).
 * GET needs `business` (the business whose people to list); POST upserts a person's task set
 * after checking it is a supported bundle (100/1752129) and that the person is a business-scoped
 * or system user of a business with access (100/1752100); a partner may only assign within the
 * `permitted_tasks` it was granted (connectors/meta-business/README.md [INF]). Pixels have no DELETE (Meta's API spec `AdsPixel.json`, https://github.com/facebook/facebook-business-sdk-codegen/blob/ad2b0b6fdfbe4d73ed0754cb4562ef20b72b40d4/api_specs/specs/AdsPixel.json).
 */
import { invalidParameter, permissionsError, requiredParameter, unsupportedRequest, userNotBusinessScoped } from './graph-error.ts';
import { requireAssetAccess, requireScope } from './access.ts';
import { assignedUserNode, type AssignedUserView } from './graph-nodes.ts';
import { assetNode } from './asset-nodes.ts';
import { project } from './node-fields.ts';
import { listParam } from './request-params.ts';
import { ASSET_TASKS, checkTaskBundle } from './task-bundles.ts';
import type { GraphContext } from './graph-context.ts';
import type { Asset } from './model.ts';

export function getAsset(ctx: GraphContext, asset: Asset): unknown {
  requireAssetAccess(ctx, asset);
  return project(assetNode(asset.type), { asset }, ctx.fields, ctx.render);
}

/** The ceiling a business can assign on an asset: everything for the owner, the share for a partner. */
function permittedFor(ctx: GraphContext, asset: Asset, businessId: string): string[] {
  if (asset.ownerBusinessId === businessId) return [...ASSET_TASKS[asset.type]];
  return [...(ctx.world.sharesByAsset.get(asset.id)?.get(businessId)?.permittedTasks ?? [])];
}

export function listAssignedUsers(ctx: GraphContext, asset: Asset): unknown {
  requireAssetAccess(ctx, asset);
  // Reading a Page's assigned_users needs `pages_manage_metadata`
  // (https://developers.facebook.com/docs/graph-api/reference/page/assigned_users); a token without
  // it is refused like any missing permission (code 200), never served.
  if (asset.type === 'page') requireScope(ctx, 'pages_manage_metadata');
  const business = ctx.param('business');
  if (!business) throw requiredParameter('business');
  // Only a business's own token lists its people; the owner cannot list a partner's (https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business).
  if (business !== ctx.caller.businessId) throw permissionsError();
  const permitted = permittedFor(ctx, asset, business);
  const rows: Array<AssignedUserView & { seq: number }> = [];
  for (const a of ctx.world.assignmentsByAsset.get(asset.id)?.values() ?? []) {
    const person = ctx.world.person(a.userId);
    if (!person) continue;
    rows.push({ seq: a.seq, id: a.userId, name: person.name, businessId: person.businessId, userType: person.userType, tasks: a.tasks, permittedTasks: permitted });
  }
  rows.sort((x, y) => x.seq - y.seq);
  // Other businesses' people on the asset are hidden after the page is cut (paginate's `visible`):
  // a page may hold fewer than `limit`, or none, and still carry `next` (https://developers.facebook.com/docs/graph-api/results).
  return ctx.page(rows, 'assigned_users', asset.id, (r) => project(assignedUserNode, r, ctx.fields, ctx.render, `${assetNode(asset.type).name}/assigned_users`), (r) => r.businessId === business);
}

function assignee(ctx: GraphContext, asset: Asset): { userId: string; businessId: string } {
  requireAssetAccess(ctx, asset);
  const userId = ctx.param('user');
  if (!userId) throw requiredParameter('user');
  const person = ctx.world.person(userId);
  if (!person || !ctx.world.hasAccess(asset, person.businessId)) throw userNotBusinessScoped();
  if (person.businessId !== ctx.caller.businessId) throw permissionsError();
  return { userId, businessId: person.businessId };
}

export function assignUser(ctx: GraphContext, asset: Asset): unknown {
  if (asset.type === 'catalog') requireScope(ctx, 'catalog_management');
  const { userId, businessId } = assignee(ctx, asset);
  const raw = listParam(ctx.call.params, 'tasks');
  if (!raw || raw.length === 0) throw requiredParameter('tasks');
  const tasks = checkTaskBundle(asset.type, raw);
  const ceiling = permittedFor(ctx, asset, businessId);
  const beyond = tasks.filter((t) => !ceiling.includes(t));
  // The B2B guide says an agency assigns within `permitted_tasks` but gives no error: the plain
  // (#200), with no invented error_user_title/msg naming the ceiling (README [INF]).
  if (beyond.length > 0) throw permissionsError();
  ctx.world.assign(asset.id, userId, tasks);
  return { success: true };
}

/**
 * Removing someone who holds no tasks on the asset is refused, (#100): Meta documents no answer
 * for it (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/assigned_users
 * lists 100 among the DELETE's errors), and the strict one makes a client that removes without
 * knowing the person is there, or races another removal, find out (README [INF]).
 */
export function unassignUser(ctx: GraphContext, asset: Asset): unknown {
  if (asset.type === 'pixel') throw unsupportedRequest('DELETE', asset.id);
  const { userId } = assignee(ctx, asset);
  if (!ctx.world.assignmentsByAsset.get(asset.id)?.has(userId)) throw invalidParameter(`The user ${userId} has no tasks on ${asset.id}`);
  ctx.world.unassign(asset.id, userId);
  return { success: true };
}
