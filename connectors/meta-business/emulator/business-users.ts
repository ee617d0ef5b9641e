/**
 * People in the portfolio: `GET|POST /{business}/business_users` (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users) and
 * `GET|POST|DELETE /{business-user-id}` (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user), with last-admin protection (3914, connectors/meta-business/README.md [INF]).
 */
import { lastAdmin, requiredParameter } from './graph-error.ts';
import { requireAdminCaller, requireOwnBusiness, requireVisible } from './access.ts';
import { businessTasksParam, emailParam, roleParam } from './business-roles.ts';
import { businessUserNode } from './graph-nodes.ts';
import { project } from './node-fields.ts';
import { createInvite } from './invites.ts';
import { checkAdvancedAccess, checkPeopleChange } from './guards.ts';
import { baseRole, defaultTasks, financePermission } from './world.ts';
import type { GraphContext } from './graph-context.ts';
import type { Business, BusinessUser } from './model.ts';


export function listBusinessUsers(ctx: GraphContext, business: Business): unknown {
  requireOwnBusiness(ctx, business.id);
  checkAdvancedAccess(ctx);
  const members = ctx.runtime.faults.seenBusinessUsers([...ctx.world.users.values()].filter((u) => u.businessId === business.id).sort((a, b) => a.seq - b.seq));
  return ctx.page(members, 'business_users', business.id, (u) => project(businessUserNode, u, ctx.fields, ctx.render, 'Business/business_users'));
}

/** POST business_users: an invite, not a member, until the person accepts (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business/business_users). */
export function inviteBusinessUser(ctx: GraphContext, business: Business): unknown {
  requireOwnBusiness(ctx, business.id);
  requireAdminCaller(ctx);
  checkPeopleChange(ctx, business.id);
  const email = emailParam(ctx.call.params);
  if (!email) throw requiredParameter('email');
  return createInvite(ctx, business, email, roleParam(ctx.call.params), businessTasksParam(ctx.call.params));
}

export function getBusinessUser(ctx: GraphContext, user: BusinessUser): unknown {
  requireVisible(ctx, user.businessId, user.id);
  return project(businessUserNode, user, ctx.fields, ctx.render);
}

function isAdmin(u: BusinessUser): boolean {
  return baseRole(u.role, u.tasks) === 'ADMIN';
}

function otherAdmins(ctx: GraphContext, user: BusinessUser): number {
  let n = 0;
  for (const u of ctx.world.users.values()) if (u.businessId === user.businessId && u.id !== user.id && isAdmin(u)) n++;
  return n;
}

/** POST /{business-user-id}: role or tasks; demoting the last admin is 3914 (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user). */
export function updateBusinessUser(ctx: GraphContext, user: BusinessUser): unknown {
  requireVisible(ctx, user.businessId, user.id);
  requireAdminCaller(ctx);
  checkPeopleChange(ctx, user.businessId);
  const p = ctx.call.params;
  const role = roleParam(p);
  const tasks = businessTasksParam(p);
  const email = emailParam(p);
  const nextRole = role ?? (tasks ? baseRole('', tasks) : user.role);
  const nextTasks = tasks ?? (role ? defaultTasks(role) : user.tasks);
  if (isAdmin(user) && baseRole(nextRole, nextTasks) !== 'ADMIN' && otherAdmins(ctx, user) === 0) throw lastAdmin();
  const pending = email ?? emailParam(p, 'pending_email');
  user.role = nextRole;
  user.tasks = [...nextTasks];
  if (role || tasks) {
    // The finance add-on follows the role just set (world.ts financePermission, [INF]).
    const finance = financePermission(nextRole, nextTasks);
    if (finance) user.finance_permission = finance;
    else delete user.finance_permission;
  }
  // A new email "still has to be verified" by the person (skip_verification_email only skips
  // sending the message): it waits in pending_email and `email` stays the address in use
  // (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user).
  // No Graph call verifies it, so the emulator never swaps it in ([INF], connector README).
  if (ctx.param('clear_pending_email') === 'true') delete user.pending_email;
  if (pending) user.pending_email = pending;
  for (const key of ['first_name', 'last_name', 'title'] as const) {
    const v = ctx.param(key);
    if (v !== undefined) user[key] = v;
  }
  if (ctx.fields) return project(businessUserNode, user, ctx.fields, ctx.render);
  return { success: true };
}

/** DELETE /{business-user-id}: also drops their asset tasks in this business (https://developers.facebook.com/documentation/ads-commerce/marketing-api/reference/business-user). */
export function removeBusinessUser(ctx: GraphContext, user: BusinessUser): unknown {
  requireVisible(ctx, user.businessId, user.id);
  requireAdminCaller(ctx);
  checkPeopleChange(ctx, user.businessId);
  if (isAdmin(user) && otherAdmins(ctx, user) === 0) throw lastAdmin();
  ctx.world.removeUser(user.id);
  return { success: true };
}
