/**
 * Token scoping (https://developers.facebook.com/docs/business-management-apis/business-manager/get-started, https://developers.facebook.com/docs/business-management-apis/business-asset-management/guides/business-to-business [INF]): a token acts for one business. Its own business's
 * edges need `business_management`; another business's edges are 200 "Permissions error"; nodes of
 * another business (people, invites, unshared assets) are invisible: 100/33.
 */
import { GraphError, permissionsError, unsupportedRequest } from './graph-error.ts';
import type { GraphContext } from './graph-context.ts';
import type { Asset } from './model.ts';

export function requireScope(ctx: GraphContext, scope: string): void {
  if (!ctx.caller.scopes.includes(scope)) {
    throw new GraphError({ code: 200, message: `(#200) Requires ${scope} permission to manage the object` });
  }
}

/** Edges of a business node: only that business's own tokens may use them. */
export function requireOwnBusiness(ctx: GraphContext, businessId: string): void {
  requireScope(ctx, 'business_management');
  if (ctx.caller.businessId !== businessId) throw permissionsError();
}

/** A node that belongs to one business (a person, an invite): others see "does not exist". */
export function requireVisible(ctx: GraphContext, businessId: string, id: string): void {
  if (ctx.caller.businessId !== businessId) throw unsupportedRequest(ctx.call.method, id);
}

export function requireAssetAccess(ctx: GraphContext, asset: Asset): void {
  if (!ctx.world.hasAccess(asset, ctx.caller.businessId)) throw unsupportedRequest(ctx.call.method, asset.id);
}

/**
 * People changes need an admin: a system user with role ADMIN, or an admin business user
 * (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users: EMPLOYEE "cannot change anything").
 */
export function requireAdminCaller(ctx: GraphContext): void {
  const w = ctx.world;
  const su = w.systemUsers.get(ctx.caller.userId);
  const bu = w.users.get(ctx.caller.userId);
  const admin = su ? su.role === 'ADMIN' : bu ? bu.role === 'ADMIN' || bu.tasks.includes('MANAGE') : false;
  if (!admin) throw permissionsError('(#200) Permissions error', 2655040);
}
